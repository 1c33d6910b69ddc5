"""A small YAML writer for CI files: block style, comments beside values, and quoting that
reads the same under YAML 1.1 (GitLab's Ruby parser) and 1.2 (GitHub's).

General YAML dumpers either cannot write comments (PyYAML) or quote GitHub's `on:` key;
what we emit is a narrow subset (maps, lists, strings, numbers, booleans), so a writer
made for it stays small and its output is predictable enough for golden files.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

Scalar = str | int | bool | None


@dataclass(frozen=True)
class Commented:
    """A scalar written with a comment after it on the same line."""

    value: Scalar
    comment: str


_INDICATORS = set("-?:,[]{}#&*!|>'\"%@`")
_AMBIGUOUS = re.compile(
    r"^(y|yes|n|no|true|false|on|off|null|~|=|<<|)$"
    # anything number-like in either version: 1_000, 3.10, 1:20 (base 60), 1e3, +_, .5
    r"|^[-+.]?[\d_.:]*([eE][-+]?[\d_]*)?$"
    r"|^[-+]?\.(inf|nan)$|^0[xob]|^\d{4}-\d\d?-\d\d?",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_UNSAFE = re.compile(r"(: |\s#|[\x00-\x1f\x7f]|:$|\s$|^\s)")


def scalar(value: Scalar, *, plain_ok: Collection[str] = ()) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value in plain_ok:
        return value
    if (
        value
        and value[0] not in _INDICATORS
        and value.isascii()
        and not _AMBIGUOUS.match(value)
        and not _UNSAFE.search(value)
    ):
        return value
    return _quote(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _quote(value: str) -> str:
    """A double-quoted YAML scalar in ASCII (\\U for characters beyond the BMP, which
    JSON-style surrogate pairs would not survive)."""
    out = []
    for char in value:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _literal_ok(value: str) -> bool:
    """Multi-line text a literal block carries unchanged (ours: shell scripts)."""
    body = value.removesuffix("\n")
    return (
        "\n" in body
        and not body.endswith("\n")
        and not value.startswith((" ", "\n"))
        and value.isascii()
        and not _CONTROL.search(body.replace("\n", ""))
    )


def dump(
    data: Mapping[str, object],
    *,
    header: Sequence[str] = (),
    plain_keys: Collection[str] = (),
    spaced: Collection[tuple[str, ...]] = ((),),
) -> str:
    """Render `data`; `spaced` names the maps whose entries get a blank line between them."""
    lines = [f"# {line}" if line else "#" for line in header]
    if lines:
        lines.append("")
    _map(data, 0, (), lines, plain_keys, spaced)
    return "\n".join(lines) + "\n"


def _map(
    data: Mapping[str, object],
    indent: int,
    path: tuple[str, ...],
    lines: list[str],
    plain_keys: Collection[str],
    spaced: Collection[tuple[str, ...]],
    first_prefix: str | None = None,
) -> None:
    pad = " " * indent
    for i, (key, value) in enumerate(data.items()):
        if i and path in spaced:
            lines.append("")
        prefix = first_prefix if (i == 0 and first_prefix is not None) else pad
        head = f"{prefix}{scalar(key, plain_ok=plain_keys)}:"
        _value(value, head, indent, (*path, key), lines, plain_keys, spaced)


def _value(
    value: object,
    head: str,
    indent: int,
    path: tuple[str, ...],
    lines: list[str],
    plain_keys: Collection[str],
    spaced: Collection[tuple[str, ...]],
) -> None:
    if isinstance(value, Commented):
        text = scalar(value.value)
        lines.append(f"{head} {text} # {value.comment}" if text else f"{head} # {value.comment}")
    elif isinstance(value, Mapping):
        if not value:
            lines.append(f"{head} {{}}")
            return
        lines.append(head)
        _map(value, indent + 2, path, lines, plain_keys, spaced)
    elif isinstance(value, list | tuple):
        if not value:
            lines.append(f"{head} []")
            return
        lines.append(head)
        _list(value, indent + 2, path, lines, plain_keys, spaced)
    elif isinstance(value, str) and _literal_ok(value):
        lines.append(f"{head} |" if value.endswith("\n") else f"{head} |-")
        inner = " " * (indent + 2)
        lines.extend(f"{inner}{line}" if line else "" for line in value.rstrip("\n").split("\n"))
    else:
        text = scalar(value)  # type: ignore[arg-type]
        lines.append(f"{head} {text}" if text else head)


def _list(
    items: Sequence[object],
    indent: int,
    path: tuple[str, ...],
    lines: list[str],
    plain_keys: Collection[str],
    spaced: Collection[tuple[str, ...]],
) -> None:
    pad = " " * indent
    for item in items:
        if isinstance(item, Mapping) and item:
            _map(item, indent + 2, path, lines, plain_keys, (), first_prefix=f"{pad}- ")
        elif isinstance(item, Commented):
            lines.append(f"{pad}- {scalar(item.value)} # {item.comment}")
        else:
            lines.append(f"{pad}- {scalar(item)}")  # type: ignore[arg-type]
