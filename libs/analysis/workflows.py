"""GitHub Actions workflow security, audited by zizmor (run offline, never re-implemented)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from libs.analysis.parsing import dig, listing, mapping
from libs.analysis.report import Severity, WorkflowFinding, WorkflowSecurity
from libs.analysis.tree import Tree

DEFAULT_TIMEOUT = 60.0
_SEVERITY: dict[str, Severity] = {
    "high": "high",
    "medium": "medium",
    "low": "low",
    "informational": "info",
    "unknown": "info",
}
# zizmor exits 0 when clean and 10-14 when it found something; anything else is a failure.
_FINDINGS_EXIT_CODES = frozenset({0, *range(10, 15)})


def workflow_paths(tree: Tree) -> list[str]:
    """Workflows and composite actions zizmor can audit."""
    return [
        e.path
        for e in tree.files
        if (e.path.startswith(".github/workflows/") and e.name.endswith((".yml", ".yaml")))
        or e.name in ("action.yml", "action.yaml")
    ]


def find_zizmor() -> str | None:
    """zizmor from this interpreter's environment first, then from PATH."""
    candidate = Path(sys.executable).parent / "zizmor"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which("zizmor")


@functools.cache
def zizmor_version(executable: str) -> str | None:
    import subprocess  # here: trees without workflows never run zizmor

    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def audit(tree: Tree, *, timeout: float = DEFAULT_TIMEOUT) -> WorkflowSecurity:
    """Run zizmor on the tree's workflows; status "not_run" (with why) when it cannot."""
    paths = workflow_paths(tree)
    if not paths:
        return WorkflowSecurity(status="no_workflows")
    for path in paths:
        tree.read(path)  # the audit depends on these bytes: count them into the digest
    return _audit(paths, cwd=tree.root, stdin=None, timeout=timeout)


def audit_text(content: str, *, path: str, timeout: float = DEFAULT_TIMEOUT) -> WorkflowSecurity:
    """Run zizmor on one workflow given as text (before it is in any tree), ignoring any
    zizmor configuration; the findings name `path`."""
    return _audit(["--no-config", "-"], cwd=None, stdin=content, timeout=timeout, path=path)


def _audit(
    arguments: list[str],
    *,
    cwd: Path | None,
    stdin: str | None,
    timeout: float,
    path: str | None = None,
) -> WorkflowSecurity:
    executable = find_zizmor()
    if executable is None:
        return WorkflowSecurity(status="not_run", reason="zizmor is not installed")
    version = zizmor_version(executable)
    if version is None:
        return WorkflowSecurity(status="not_run", reason=f"{executable} --version failed")
    try:
        output = _run([executable, *_OPTIONS, *arguments], cwd, stdin, timeout)
    except ToolFailed as exc:
        return WorkflowSecurity(status="not_run", tool=version, reason=str(exc))
    findings = [f for f in (_finding(item, path) for item in output) if f is not None]
    findings.sort(key=lambda f: (f.path, f.line or 0, f.audit))
    return WorkflowSecurity(status="ok", tool=version, findings=findings)


class ToolFailed(Exception):
    """A checker (zizmor here, actionlint in libs.cigen) gave no verdict."""


_OPTIONS = ("--offline", "--format", "json", "--no-progress", "--color", "never")


def _run(command: list[str], cwd: Path | None, stdin: str | None, timeout: float) -> list[Any]:
    import tempfile  # here: trees without workflows never run zizmor

    with tempfile.TemporaryDirectory(prefix="zizmor-") as home:
        # no tokens, no network, no user configuration or cache from the host
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home}
        env |= {"ZIZMOR_OFFLINE": "1", "XDG_CACHE_HOME": home, "XDG_CONFIG_HOME": home}
        env["NO_COLOR"] = "1"
        return run_json_tool(
            "zizmor",
            command,
            cwd=cwd or Path(home),
            env=env,
            stdin=stdin,
            timeout=timeout,
            exit_codes=_FINDINGS_EXIT_CODES,
        )


def run_json_tool(
    name: str,
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdin: str | None,
    timeout: float,
    exit_codes: frozenset[int],
) -> list[Any]:
    """Run a checker that prints its findings as a JSON list; ToolFailed, saying why,
    when it times out, cannot start, exits with a code not in `exit_codes` or prints
    anything else."""
    import subprocess

    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(f"{name} timed out after {timeout:g} s") from exc
    except OSError as exc:
        raise ToolFailed(f"{name} could not start: {exc}") from exc
    if done.returncode not in exit_codes:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ToolFailed(f"{name} failed: {tail[0][:300]}")
    try:
        raw = json.loads(done.stdout or "[]")
    except ValueError as exc:
        raise ToolFailed(f"{name} printed output that is not JSON") from exc
    if not isinstance(raw, list):
        raise ToolFailed(f"{name} printed JSON of an unexpected shape")
    return raw


def _finding(item: Any, path_override: str | None) -> WorkflowFinding | None:
    if not isinstance(item, dict) or item.get("ignored"):
        return None
    determinations = mapping(item.get("determinations"))
    severity = _SEVERITY.get(str(determinations.get("severity", "")).lower(), "info")
    locations = [loc for loc in listing(item.get("locations")) if isinstance(loc, dict)]
    primary = next(
        (loc for loc in locations if dig(loc, "symbolic", "kind") == "Primary"),
        locations[0] if locations else {},
    )
    path = path_override or dig(primary, "symbolic", "key", "Local", "verbatim_path")
    row = dig(primary, "concrete", "location", "start_point", "row")
    annotation = dig(primary, "symbolic", "annotation")
    message = str(item.get("desc") or item.get("ident") or "finding")
    if annotation:
        message = f"{message}: {annotation}"
    confidence = determinations.get("confidence")
    return WorkflowFinding(
        audit=str(item.get("ident") or "unknown"),
        severity=severity,
        path=str(path).removeprefix("./") if path else "",
        line=row + 1 if isinstance(row, int) else None,
        message=message,
        confidence=str(confidence).lower() if confidence else None,
        url=str(item["url"]) if item.get("url") else None,
    )
