"""Scratch directories of dead job attempts are swept at once; live ones are left alone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from services.worker import scratch
from tests.helpers import ROOT

# A child process that takes an attempt directory, says so, and waits to be killed.
_HOLDER = """
import asyncio, sys
from pathlib import Path
from services.worker import scratch

async def main() -> None:
    async with scratch.attempt_dir(Path(sys.argv[1]), sys.argv[2]) as path:
        (path / "tree").mkdir()
        (path / "tree" / "big.bin").write_bytes(b"x" * 1024)
        print(path, flush=True)
        await asyncio.sleep(60)

asyncio.run(main())
"""


def _held_by_child(workdir: Path, name: str) -> tuple[subprocess.Popen[str], Path]:
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(workdir), name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    with child.stdout:
        return child, Path(child.stdout.readline().strip())


def test_a_killed_owners_directory_goes_at_once_a_live_ones_stays(tmp_path: Path) -> None:
    dead, dead_path = _held_by_child(tmp_path, f"{uuid.uuid4()}-1")
    live, live_path = _held_by_child(tmp_path, f"{uuid.uuid4()}-2")
    try:
        dead.kill()
        dead.wait(timeout=10)
        assert (dead_path / "tree" / "big.bin").is_file()  # the kill left it behind

        assert scratch.sweep(tmp_path) == 1

        assert not dead_path.exists()
        assert (live_path / "tree" / "big.bin").is_file()
    finally:
        live.kill()
        live.wait(timeout=10)
    assert scratch.sweep(tmp_path) == 1
    assert not live_path.exists()


async def test_an_attempt_removes_its_own_directory(tmp_path: Path) -> None:
    async with scratch.attempt_dir(tmp_path, f"{uuid.uuid4()}-1") as path:
        (path / "tree").mkdir()
        assert scratch.sweep(tmp_path) == 0  # held by this process
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_only_our_names_are_swept(tmp_path: Path) -> None:
    unrelated = tmp_path / "autodevops-pg-x1y2"
    unrelated.mkdir()
    other = tmp_path / "someone-else-1"
    other.mkdir()
    fresh = tmp_path / f".autodevops-{uuid.uuid4()}-1.new"
    fresh.mkdir()
    stale = tmp_path / f".autodevops-{uuid.uuid4()}-1.new"
    stale.mkdir()
    then = time.time() - 3600
    os.utime(stale, (then, then))

    assert scratch.sweep(tmp_path) == 1

    assert unrelated.is_dir()
    assert other.is_dir()
    assert fresh.is_dir()  # a directory being created right now
    assert not stale.exists()


def test_a_missing_workdir_sweeps_nothing(tmp_path: Path) -> None:
    assert scratch.sweep(tmp_path / "absent") == 0
