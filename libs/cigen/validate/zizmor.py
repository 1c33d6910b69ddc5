"""Audit a GitHub Actions workflow with zizmor, offline, and map its JSON output.

The findings use the Report's `WorkflowFinding` type so the analysis of existing
workflows and the validation of generated ones speak the same language.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Literal

import msgspec

from libs.analysis.report import Severity, WorkflowFinding

DEFAULT_TIMEOUT = 30.0
_SEVERITY: dict[str, Severity] = {
    "high": "high",
    "medium": "medium",
    "low": "low",
    "informational": "info",
    "unknown": "info",
}


class _Point(msgspec.Struct):
    row: int


class _Span(msgspec.Struct):
    start_point: _Point


class _Concrete(msgspec.Struct):
    location: _Span


class _Symbolic(msgspec.Struct):
    annotation: str = ""
    kind: str = ""


class _Location(msgspec.Struct):
    symbolic: _Symbolic
    concrete: _Concrete


class _Determinations(msgspec.Struct):
    confidence: str = "Unknown"
    severity: str = "Unknown"


class _Finding(msgspec.Struct):
    ident: str
    desc: str
    url: str | None = None
    determinations: _Determinations = msgspec.field(default_factory=_Determinations)
    locations: list[_Location] = []
    ignored: bool = False


class ZizmorRun(msgspec.Struct, frozen=True, kw_only=True):
    status: Literal["ok", "not_run"]
    tool: str | None = None  # "zizmor 1.32.0"
    reason: str | None = None
    findings: list[WorkflowFinding] = []


def zizmor_binary() -> str | None:
    """zizmor from this interpreter's environment first (it is a locked dependency)."""
    beside = Path(sys.executable).parent / "zizmor"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("zizmor")


@functools.cache
def zizmor_version(binary: str) -> str:
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    return out.stdout.strip() or "zizmor"


def audit_workflow(content: str, *, path: str, timeout: float = DEFAULT_TIMEOUT) -> ZizmorRun:
    """Audit one workflow given as text; `path` is what the findings name."""
    binary = zizmor_binary()
    if binary is None:
        return ZizmorRun(status="not_run", reason="zizmor is not installed")
    command = [
        binary,
        "--offline",
        "--no-config",
        "--no-exit-codes",
        "--no-progress",
        "--color=never",
        "--format=json",
        "-",
    ]
    try:
        with tempfile.TemporaryDirectory(prefix="zizmor-") as home:
            # offline, and nothing from the host: no tokens, configuration or caches
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
            env |= {"XDG_CACHE_HOME": home, "XDG_CONFIG_HOME": home, "NO_COLOR": "1"}
            out = subprocess.run(
                command,
                input=content,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=env,
            )
    except subprocess.TimeoutExpired:
        return ZizmorRun(status="not_run", reason=f"zizmor did not finish within {timeout:g}s")
    except OSError as exc:
        return ZizmorRun(status="not_run", reason=f"zizmor could not start: {exc}")
    tool = zizmor_version(binary)
    if out.returncode != 0:
        detail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        return ZizmorRun(
            status="not_run", tool=tool, reason=f"zizmor failed ({out.returncode}): {detail[0]}"
        )
    try:
        raw = msgspec.json.decode(out.stdout or "[]", type=list[_Finding])
    except msgspec.ValidationError as exc:
        return ZizmorRun(status="not_run", tool=tool, reason=f"unreadable zizmor output: {exc}")
    return ZizmorRun(status="ok", tool=tool, findings=[_map(f, path) for f in raw if not f.ignored])


def _map(finding: _Finding, path: str) -> WorkflowFinding:
    primary = next((loc for loc in finding.locations if loc.symbolic.kind == "Primary"), None)
    primary = primary or (finding.locations[0] if finding.locations else None)
    annotation = primary.symbolic.annotation if primary else ""
    return WorkflowFinding(
        audit=finding.ident,
        severity=_SEVERITY.get(finding.determinations.severity.lower(), "info"),
        path=path,
        line=primary.concrete.location.start_point.row + 1 if primary else None,
        message=f"{finding.desc}: {annotation}" if annotation else finding.desc,
        confidence=finding.determinations.confidence.lower(),
        url=finding.url,
    )
