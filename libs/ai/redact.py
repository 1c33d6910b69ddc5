"""Nothing secret leaves for Gemini: flagged lines blanked, secret-shaped strings masked.

Two layers. Every line the analysis flagged (Report.secrets.findings: path + line) is
replaced whole, whatever its shape. Then every text sent is scanned for strings shaped
like credentials (known token formats, private keys, `password = ...` assignments, URL
passwords), so a secret the scanner missed, or one in the facts, is masked too.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from libs.analysis.report import SecretFinding

MASK = "[REDACTED]"
FLAGGED_LINE = "[REDACTED: line flagged as a possible secret]"

_TOKENS = re.compile(
    r"""
      \b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA)[0-9A-Z]{16}\b     # AWS access key ids
    | \bgh[pousr]_[A-Za-z0-9]{30,}\b                              # GitHub tokens
    | \bgithub_pat_[A-Za-z0-9_]{30,}\b
    | \bglpat-[A-Za-z0-9_-]{20,}\b                                # GitLab
    | \bAIza[0-9A-Za-z_-]{35}\b                                   # Google API keys
    | \bya29\.[0-9A-Za-z_-]{20,}\b                                # Google OAuth access tokens
    | \bxox[abposr]-[0-9A-Za-z-]{10,}\b                           # Slack
    | \bhttps://hooks\.slack\.com/services/[A-Za-z0-9/]+
    | \b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}\b                    # Stripe
    | \bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b                    # OpenAI, Anthropic
    | \bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\b              # SendGrid
    | \bnpm_[A-Za-z0-9]{36}\b
    | \bpypi-[A-Za-z0-9_-]{50,}\b
    | \bey[A-Za-z0-9_-]{10,}\.ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}  # JWTs
    | \bado_[A-Za-z0-9_-]{20,}                                    # our own API tokens
    """,
    re.VERBOSE,
)
_PRIVATE_KEY = re.compile(
    r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----"
    r".*?(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
    re.DOTALL,
)
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
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@]+:)(?P<pw>[^\s/@]+)(?=@)", re.I)
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


def mask_secrets(text: str) -> str:
    """Mask every secret-shaped string in `text`."""
    text = _PRIVATE_KEY.sub(MASK, text)
    text = _TOKENS.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK, text)
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
        return mask_secrets(text)


def normalise(path: str) -> str:
    return path.strip().removeprefix("./").lstrip("/")
