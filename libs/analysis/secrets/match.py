"""A credential found in text: its place and value (which never leaves the process), and
the redacted preview a report shows instead."""

from __future__ import annotations

from dataclasses import dataclass, field

from libs.analysis.report import Severity


@dataclass(frozen=True, slots=True)
class RawMatch:
    """One credential found in text, with its value.

    `value` is the secret itself. It exists so that a caller can remove or replace it;
    it must never be logged, stored or serialized. `start`/`end` index the value in
    the text that was scanned (characters for str input, bytes for bytes input).
    """

    rule: str
    description: str
    severity: Severity
    line: int
    start: int
    end: int
    value: str = field(repr=False)

    def __repr__(self) -> str:
        return f"RawMatch(rule={self.rule!r}, line={self.line}, preview={preview(self.value)!r})"


def preview(value: str) -> str:
    """What of a secret may be shown: a few leading characters and the length."""
    shown = min(4, len(value) // 4)
    if value.startswith("-----BEGIN"):
        return value.split("-----", 3)[1].strip().join(("-----", "-----")) + "…"
    return f"{value[:shown]}…({len(value)} chars)"
