"""Scratch directories a killed worker left behind are swept at the next start."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from services.worker.runner import sweep_scratch


def _attempt(workdir: Path, name: str, age_s: float) -> Path:
    path = workdir / name
    (path / "tree").mkdir(parents=True)
    (path / "tree" / "main.py").write_text("print('hi')\n")
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def test_only_attempts_older_than_any_job_are_removed(tmp_path: Path) -> None:
    stale = _attempt(tmp_path, f"autodevops-{uuid.uuid4()}-1", age_s=7200)
    live = _attempt(tmp_path, f"autodevops-{uuid.uuid4()}-2", age_s=60)
    unrelated = tmp_path / "autodevops-pg-x1y2"
    unrelated.mkdir()
    os.utime(unrelated, (0, 0))
    other = tmp_path / "someone-else-1"
    other.mkdir()
    os.utime(other, (0, 0))

    assert sweep_scratch(tmp_path, older_than_s=3600) == 1

    assert not stale.exists()
    assert (live / "tree" / "main.py").is_file()
    assert unrelated.is_dir()
    assert other.is_dir()


def test_a_missing_workdir_sweeps_nothing(tmp_path: Path) -> None:
    assert sweep_scratch(tmp_path / "absent", older_than_s=0) == 0
