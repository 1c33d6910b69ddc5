"""Nothing secret leaves for Gemini: flagged lines blanked, secret-shaped strings masked.

Two layers. Every line the analysis flagged (Report.secrets.findings: path + line) is
replaced whole, whatever its shape. Then every text sent is masked where the analysis'
secret scanner sees a credential's shape (its provider formats, private keys, URL and
connection-string passwords, the keyword rule), in its lenient mode: a placeholder that
looks like a token is masked too, since hiding it costs nothing. Last, any value assigned
to a secret-looking name is masked unless it reads as a reference or placeholder, a
broader net than the scanner's, which must not report ordinary values as leaks.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from libs.analysis.report import SecretFinding
from libs.analysis.secrets import iter_matches

MASK = "[REDACTED]"
FLAGGED_LINE = "[REDACTED: line flagged as a possible secret]"

# `password: hunter22`, `API_KEY="abc..."`, `"client_secret": "..."`: keep the name, mask the value.
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<name>["']?[\w.-]*(?:passw(?:or)?d|passwd|pwd|secret|token|api[_-]?key|apikey
        |access[_-]?key|private[_-]?key|credential|auth)[\w.-]*["']?)
    (?P<sep>\s*(?::|=|:=|=>)\s*)
    (?P<quote>["']?)
    (?P<value>[^\s"'`,;]{6,})
    """
)
# Values that look like placeholders or references rather than secrets are left readable.
_PLACEHOLDER = re.compile(
    r"""(?ix)^(?:\$\{?\{?|%\(|<|\{\{|process\.env|os\.environ|env\(|secrets\.|vars\.
        |changeme|example|dummy|placeholder|xxx|\*+$|none$|null$|true$|false$|required$)"""
)


def _mask_assignment(match: re.Match[str]) -> str:
    value = match.group("value")
    if _PLACEHOLDER.match(value):
        return match.group(0)
    return f"{match.group('name')}{match.group('sep')}{match.group('quote')}{MASK}"


def mask_secrets(text: str, path: str = "") -> str:
    """Mask every secret-shaped string in `text` (`path` says how values are written in it)."""
    pieces: list[str] = []
    last = 0
    for match in iter_matches(text, path, strict=False):
        pieces += (text[last : match.start], MASK)
        last = match.end
    if pieces:
        text = "".join(pieces) + text[last:]
    return _ASSIGNMENT.sub(_mask_assignment, text)


class Redactor:
    """Redacts file contents by the analysis' findings, then by shape."""

    def __init__(self, findings: Iterable[SecretFinding]) -> None:
        self._lines: dict[str, set[int]] = defaultdict(set)
        for finding in findings:
            self._lines[normalise(finding.path)].add(finding.line)

    def flagged(self, path: str) -> set[int]:
        return self._lines.get(normalise(path), set())

    def file(self, path: str, text: str) -> str:
        """`text` (a file's content) with its flagged lines replaced and secrets masked."""
        lines = self.flagged(path)
        if lines:
            text = "\n".join(
                FLAGGED_LINE if number in lines else line
                for number, line in enumerate(text.split("\n"), start=1)
            )
        return mask_secrets(text, path)


def normalise(path: str) -> str:
    return path.strip().removeprefix("./").lstrip("/")
