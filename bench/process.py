"""What the process benches share: timing a command as its own process, and the
environment an installed `autodevops` runs in."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path


def timed(
    command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0, 1)
) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`; CPU is user + system time of the
    process and of every child it waited for (zizmor, git)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(command)} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime


def installed_env(cache: Path) -> dict[str, str]:
    """This environment as an installed package has it: bytecode cached (pip and uv
    compile on install), here in a private folder so the checkout stays untouched.
    PYTHONDONTWRITEBYTECODE, set on some developer machines, would otherwise make
    every run compile every module from source."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env
