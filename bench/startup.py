"""CLI start-up: `autodevops --help` and `autodevops scan EMPTY_DIR` against `python -c pass`.

What a CI job pays before any work: each command runs as its own process through the
installed `autodevops` script, interleaved with the baseline, several times; the medians
of wall time and CPU time (user + system) are printed with the difference and ratio.
Target: each command within 0.3 s of the baseline, in median CPU time. CPU time is what
the command costs; wall time on a shared machine adds however long the process waited
for a core (on the 2-core development machine with seven other jobs, a 0.2 s start-up
showed 1.4 s wall), so it is printed but not judged.

Bytecode is cached the way an installed package has it (bench.process.installed_env);
a first untimed run fills the cache.

Run: `make bench` or `.venv/bin/python -m bench.startup`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from bench.process import installed_env, timed

RUNS = 9
TARGET_SECONDS = 0.3


def main() -> int:
    script = Path(sys.executable).with_name("autodevops")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        empty = Path(tmp) / "empty"
        empty.mkdir()
        env = installed_env(Path(tmp) / "pycache")
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
        extra = cpu[name] - cpu[base]
        print(
            f"  {name:24} {wall[name]:6.3f} / {cpu[name]:6.3f}   +{extra:.3f} s CPU "
            f"({cpu[name] / cpu[base]:.1f}x), +{wall[name] - wall[base]:.3f} s wall"
        )
        if extra > TARGET_SECONDS:
            missed.append(name)
    verdict = "met" if not missed else f"MISSED by {', '.join(missed)}"
    print(f"target: within {TARGET_SECONDS} s of python -c pass (median CPU): {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
