"""Lenient readers for the manifest formats: a file that does not parse reads as empty.

Each parser is imported on first use: `autodevops scan` of a small tree (or an empty one,
in a CI job's first step) should not pay for YAML, TOML and XML it never reads.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from typing import TYPE_CHECKING, Any

from libs.analysis.tree import Tree

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET


def load_toml(tree: Tree, path: str) -> dict[str, Any]:
    key = ("toml", path)
    if key not in tree.parsed:
        tree.parsed[key] = _toml(tree.read_text(path))
    return tree.parsed[key]  # type: ignore[return-value]


def _toml(text: str | None) -> dict[str, Any]:
    import tomllib

    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def load_json(tree: Tree, path: str) -> dict[str, Any]:
    key = ("json", path)
    if key not in tree.parsed:
        tree.parsed[key] = _json(tree.read_text(path))
    return tree.parsed[key]  # type: ignore[return-value]


def _json(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def load_yaml(tree: Tree, path: str) -> Any:
    key = ("yaml", path)
    if key not in tree.parsed:
        text = tree.read_text(path)
        tree.parsed[key] = None if text is None else parse_yaml(text)
    return tree.parsed[key]


def parse_yaml(text: str) -> Any:
    yaml, loader = _yaml()
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        return None


@functools.cache
def _yaml() -> tuple[Any, Any]:
    import yaml

    try:  # the C loader is many times faster; fall back where libyaml is missing
        return yaml, yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - depends on how PyYAML was built
        return yaml, yaml.SafeLoader


def parse_xml(tree: Tree, path: str) -> ET.Element | None:
    """The root element of an XML file (namespaces stripped from tags), None if unparsable.

    Expat expands no external entities and, since 2.4.1, refuses entity blow-ups.
    """
    import xml.etree.ElementTree as ET

    text = tree.read_text(path)
    if not text:
        return None
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def dig(data: Any, *keys: Any) -> Any:
    """data[k1][k2]... or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def as_str(value: Any) -> str | None:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    return None


def mapping(value: Any) -> dict[Any, Any]:
    """`value` if it is a mapping, else an empty one: manifests are untrusted input."""
    return value if isinstance(value, dict) else {}


def listing(value: Any) -> list[Any]:
    """`value` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


# a word the shell reads as it is written (tox's `{posargs}` included)
_PLAIN = re.compile(r"^[\w@%+=:,./{}\[\]-]+$")


def shell_word(text: str) -> str:
    """One argument of a command a runner gives as a list (nox's `session.run(...)`, tox
    TOML's `commands`), as a shell line would spell it: `-m "not slow"` stays two words."""
    return text if _PLAIN.match(text) else shlex.quote(text)
