"""actionlint over a generated GitHub workflow: expression contexts, job and step keys,
action inputs, runner labels, and (through shellcheck) the shell of every `run:` step.

Both binaries come from the virtualenv (PyPI wheels, pinned in pyproject.toml), then PATH.
A missing actionlint makes the run "not_run", which fails the validation; a missing
shellcheck only narrows it, and the tool string says so.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from libs.analysis.workflows import ToolFailed, run_json_tool
from libs.cigen.validate.result import Finding, ValidatorRun, run_of

TIMEOUT = 30.0
# actionlint exits 1 when it found problems; 2 is a bad command line, 3 a fatal error.
_FOUND = frozenset({0, 1})


def _binary(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


@functools.cache
def _version(executable: str) -> str | None:
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    # the version ends the first line: "1.7.12" upstream, "actionlint.kjanat.dev 1.17.0"
    return done.stdout.splitlines()[0].split()[-1]


def run_actionlint(
    content: str, *, path: str, timeout: float = TIMEOUT
) -> tuple[ValidatorRun, list[Finding]]:
    """Lint one workflow given as text; its findings name `path`."""
    executable = _binary("actionlint")
    version = _version(executable) if executable else None
    if executable is None or version is None:
        return ValidatorRun(name="actionlint", status="not_run", reason="not installed"), []
    shellcheck = _binary("shellcheck")
    tool = f"actionlint {version}" + ("" if shellcheck else " (without shellcheck)")
    command = [
        executable,
        "-no-color",
        "-format",
        "{{json .}}",
        "-shellcheck",
        shellcheck or "",
        "-pyflakes",
        "",  # only for `shell: python` steps, which we never write
        "-stdin-filename",
        path,
        "-",
    ]
    try:
        raw = _run(command, content, timeout)
    except ToolFailed as exc:
        return ValidatorRun(name="actionlint", status="not_run", tool=tool, reason=str(exc)), []
    findings = [
        Finding(
            validator="actionlint",
            rule=str(item.get("kind") or "actionlint"),
            message=str(item.get("message") or "finding"),
            line=item["line"] if isinstance(item.get("line"), int) else None,
        )
        for item in raw
        if isinstance(item, dict)
    ]
    return run_of("actionlint", findings, tool), findings


def _run(command: list[str], content: str, timeout: float) -> list[Any]:
    with tempfile.TemporaryDirectory(prefix="actionlint-") as home:
        # an empty folder: no repository configuration (.github/actionlint.yaml) applies
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "NO_COLOR": "1"}
        return run_json_tool(
            "actionlint",
            command,
            cwd=Path(home),
            env=env,
            stdin=content,
            timeout=timeout,
            exit_codes=_FOUND,
        )
