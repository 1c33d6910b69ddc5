"""CLI start-up: `autodevops --help` and `autodevops scan EMPTY_DIR` against `python -c pass`.

What a CI job pays before any work: each command runs as its own process through the
installed `autodevops` script, interleaved with the baseline, several times; the medians
of wall time and CPU time (user + system) are printed with the difference and ratio.
Target: each command within 0.3 s of the baseline (median wall time).

Bytecode is cached the way an installed package has it (pip and uv compile on install),
in a private cache folder so that the checkout is left untouched; a first untimed run
fills it. PYTHONDONTWRITEBYTECODE, set on some developer machines, would otherwise make
every run compile every module from source.

Run: `make bench` or `.venv/bin/python -m bench.startup`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 9
TARGET_SECONDS = 0.3


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # a scan may exit 1; anything else is broken
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> int:
    script = Path(sys.executable).with_name("autodevops")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "autodevops --help": [str(script), "--help"],
            "autodevops scan EMPTY": [str(script), "scan", str(empty)],
        }
        for command in commands.values():
            timed(command, env)  # fills the bytecode cache
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                samples[name].append(timed(command, env))
    wall = {name: statistics.median(w for w, _ in runs) for name, runs in samples.items()}
    cpu = {name: statistics.median(c for _, c in runs) for name, runs in samples.items()}
    base = "python -c pass"
    print(f"medians of {RUNS} runs each (wall / CPU seconds)")
    print(f"  {base:24} {wall[base]:6.3f} / {cpu[base]:6.3f}")
    missed = []
    for name in commands:
        if name == base:
            continue
        extra = wall[name] - wall[base]
        ratio = wall[name] / wall[base]
        print(
            f"  {name:24} {wall[name]:6.3f} / {cpu[name]:6.3f}   +{extra:.3f} s wall "
            f"({ratio:.1f}x), +{cpu[name] - cpu[base]:.3f} s CPU"
        )
        if extra > TARGET_SECONDS:
            missed.append(name)
    verdict = "met" if not missed else f"MISSED by {', '.join(missed)}"
    print(f"target: within {TARGET_SECONDS} s of python -c pass (median wall): {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
