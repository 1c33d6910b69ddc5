"""YAML as written, with line numbers: what the CI readers parse pipelines with.

The values stay the text of the file (`3.10` is "3.10", not the float 3.1; `on` is "on",
not True), which is what a version matrix means, and every mapping, list and scalar knows
the line it starts on, so each fact can name it. Merge keys (`<<: *defaults`) are
applied; an alias is converted once however often it is used, so a "billion laughs"
document costs no more than its text. yaml is imported on first use only.
"""

from __future__ import annotations

from typing import Any


class YStr(str):
    """A scalar, with the line its text starts on (a block scalar's first content line)."""

    line: int = 0
    tag: str = ""


class YMap(dict[str, Any]):
    line: int = 0
    tag: str = ""
    key_lines: dict[str, int]  # the line of each key


class YList(list[Any]):
    line: int = 0
    tag: str = ""  # e.g. GitLab's "!reference"


def load(text: str) -> Any:
    """The first document of `text`, converted; None when it does not parse."""
    import yaml

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    try:
        for node in yaml.compose_all(text, Loader=loader):
            if node is not None:
                return _Converter().convert(node)
    except (yaml.YAMLError, RecursionError):
        return None
    return None


class _Converter:
    def __init__(self) -> None:
        self.done: dict[int, Any] = {}

    def convert(self, node: Any) -> Any:
        known = self.done.get(id(node))
        if known is not None:
            return known
        kind = type(node).__name__
        line = node.start_mark.line + 1
        result: Any
        if kind == "ScalarNode":
            result = YStr(node.value)
            # a block scalar's text starts on the line after its `|` or `>`
            result.line = line + 1 if node.style in ("|", ">") else line
        elif kind == "SequenceNode":
            result = YList()
            result.line = line
            self.done[id(node)] = result
            result.extend(self.convert(item) for item in node.value)
        else:
            result = YMap()
            result.line = line
            result.key_lines = {}
            self.done[id(node)] = result
            self._fill(result, node)
        result.tag = node.tag if node.tag.startswith("!") else ""
        self.done[id(node)] = result
        return result

    def _fill(self, result: YMap, node: Any) -> None:
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            value = self.convert(value_node)
            if type(key_node).__name__ != "ScalarNode":
                continue
            if key_node.value == "<<":
                merged.extend(v for v in (value if isinstance(value, list) else [value]))
                continue
            result[key_node.value] = value
            result.key_lines[key_node.value] = key_node.start_mark.line + 1
        for base in merged:  # explicit keys win over merged ones, earlier merges over later
            if isinstance(base, dict):
                for key, value in base.items():
                    result.setdefault(key, value)


def line_of(value: Any) -> int | None:
    line = getattr(value, "line", 0)
    return line or None


def key_line(data: Any, key: str) -> int | None:
    """The line of `key` in the mapping `data` (of a merged key: None)."""
    lines = getattr(data, "key_lines", None)
    return lines.get(key) if lines else None


def text(value: Any) -> str | None:
    """A scalar's text, stripped; None for a mapping, a list, or an empty value."""
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    return None


def items(value: Any) -> list[Any]:
    """A list as is, a single scalar or mapping as a one-item list, nothing as none."""
    if isinstance(value, list):
        return value
    if value is None or value == "":
        return []
    return [value]


def texts(value: Any) -> list[str]:
    """The scalar texts of a list (or of one scalar)."""
    return [t for t in (text(item) for item in items(value)) if t]


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
