"""Running one `run:` step the way a runner does: its shell, its environment, a time
limit, output captured to a file; and the files a step writes to talk to the runner
(GITHUB_ENV, GITHUB_PATH, GITHUB_OUTPUT)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TAIL_LINES = 40
TAIL_CHARS = 4000


class UnknownShell(Exception):
    pass


@dataclass(frozen=True)
class Ran:
    exit_code: int | None  # None: killed at the time limit
    output: str
    seconds: float


def shell_command(shell: str | None, script: Path, env_path: str) -> list[str]:
    """The command line for a script, as GitHub's runner builds it on Linux."""
    if shell is None:
        return ["bash", "-e", str(script)]  # the default when no shell is named
    named = {
        "bash": ["bash", "--noprofile", "--norc", "-eo", "pipefail", "{0}"],
        "sh": ["sh", "-e", "{0}"],
        "python": ["python", "{0}"],
        "pwsh": ["pwsh", "-command", ". '{0}'"],
    }
    template = named.get(shell.strip()) or shlex.split(shell)
    if "{0}" not in " ".join(template):
        raise UnknownShell(f"shell {shell!r} has no {{0}} for the script")
    program = template[0]
    if shutil.which(program, path=env_path) is None:
        raise UnknownShell(f"shell {program!r} is not installed here")
    return [part.replace("{0}", str(script)) for part in template]


def script_suffix(shell: str | None) -> str:
    return ".py" if shell and shell.strip() == "python" else ".sh"


def run_script(
    command: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    log: Path,
    run_as: dict[str, Any] | None = None,
) -> Ran:
    """Run in its own process group, killed whole at the time limit; `run_as`: Popen's
    user, group and extra_groups when the steps run as another user."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        with runner_nice():  # the child takes the nice value it is forked at
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **(run_as or {}),
            )
        code: int | None = None
        try:
            code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        finally:
            # Background processes the step left (servers, watchers) go with it, as on a
            # runner where the job's processes end with the job; so they do when the
            # rehearsal itself is interrupted.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
    return Ran(code, log.read_bytes().decode("utf-8", "replace"), time.monotonic() - started)


@contextmanager
def runner_nice() -> Iterator[None]:
    """Processes started inside run at nice 0, as a runner's steps do, even where the
    rehearsal itself was started niced: libuv's thread_priority test sets its thread's
    nice value to 4, which an unprivileged process at nice 5 may not. Only root can go
    back up (JobRun says so where it could not)."""
    before = os.getpriority(os.PRIO_PROCESS, 0)
    if before <= 0:
        yield
        return
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:
        yield
        return
    try:
        yield
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)


def tail(output: str) -> str:
    lines = output.rstrip().splitlines()[-TAIL_LINES:]
    text = "\n".join(lines)
    return text[-TAIL_CHARS:]


class CommandFiles:
    """The files one step writes its env, path and outputs to."""

    def __init__(self, directory: Path) -> None:
        token = uuid.uuid4().hex[:12]
        directory.mkdir(parents=True, exist_ok=True)
        self.env = directory / f"env_{token}"
        self.path = directory / f"path_{token}"
        self.output = directory / f"output_{token}"
        self.state = directory / f"state_{token}"
        self.summary = directory / f"summary_{token}"
        for file in (self.env, self.path, self.output, self.state, self.summary):
            file.touch()

    def variables(self) -> dict[str, str]:
        return {
            "GITHUB_ENV": str(self.env),
            "GITHUB_PATH": str(self.path),
            "GITHUB_OUTPUT": str(self.output),
            "GITHUB_STATE": str(self.state),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }

    def variables_paths(self) -> list[Path]:
        return [self.env, self.path, self.output, self.state, self.summary]

    def read_env(self) -> dict[str, str]:
        return parse_key_values(self.env.read_text(errors="replace"))

    def read_output(self) -> dict[str, str]:
        return parse_key_values(self.output.read_text(errors="replace"))

    def read_path(self) -> list[str]:
        return [
            line.strip()
            for line in self.path.read_text(errors="replace").splitlines()
            if line.strip()
        ]


def parse_key_values(text: str) -> dict[str, str]:
    """`NAME=value` lines and `NAME<<DELIMITER` blocks, as the runner reads them."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        heredoc = re.match(r"^([^=<\s][^=<]*)<<(.+)$", line)
        if heredoc and "=" not in line.split("<<")[0]:
            name, delimiter = heredoc.group(1), heredoc.group(2)
            body: list[str] = []
            while index < len(lines) and lines[index] != delimiter:
                body.append(lines[index])
                index += 1
            index += 1
            values[name] = "\n".join(body)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values
