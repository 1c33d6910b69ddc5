"""Jupyter notebooks: the cells' code as the lines a .py file would have.

A notebook stores each source line as a JSON string (`"key = \\"sk-...\\"\\n",`), so the
quotes the keyword rule reads are escaped and a key assigned in a cell went unseen where
the same line in a .py file is found. Each line that is one JSON string is decoded in
place (so line numbers stay the file's), and matches are placed back on the raw bytes.
"""

from __future__ import annotations

import json

from libs.analysis.secrets.match import RawMatch


def decoded(data: bytes) -> bytes:
    """`data` with every line that is a JSON string literal replaced by its value."""
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        text = line.strip().rstrip(b",")
        if len(text) < 2 or text[:1] != b'"' or text[-1:] != b'"' or b"\\" not in text:
            continue  # not a string, or nothing escaped: already what a .py line would be
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, str):
            lines[index] = value.replace("\n", " ").encode("utf-8", "surrogatepass")
    return b"\n".join(lines)


def placed(raw: bytes, text: bytes, match: RawMatch) -> RawMatch | None:
    """`match` (found in `decoded(raw)`, as `text`) with offsets into `raw`, or None
    when the value cannot be found on its line of the raw file."""
    line = match.line - 1
    starts = _line_starts(raw)
    if line >= len(starts):
        return None
    start = starts[line]
    end = raw.find(b"\n", start)
    end = len(raw) if end < 0 else end
    value = text[match.start : match.end]
    for form in (value, json.dumps(value.decode("utf-8", "replace"))[1:-1].encode()):
        at = raw.find(form, start, end)
        if at >= 0:
            return RawMatch(
                match.rule,
                match.description,
                match.severity,
                match.line,
                at,
                at + len(form),
                match.value,
            )
    return None


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    at = data.find(b"\n")
    while at >= 0:
        starts.append(at + 1)
        at = data.find(b"\n", at + 1)
    return starts
