"""The archive of a (repository, commit) is made once and reused while fresh."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest

from services.worker.archives import KEEP_S, ArchiveCache


async def test_an_archive_is_made_once_and_reused(tmp_path: Path) -> None:
    cache = ArchiveCache(tmp_path / "archives")
    made: list[Path] = []

    async def make(path: Path) -> None:
        made.append(path)
        path.write_bytes(b"archive")

    repo, commit = uuid.uuid4(), "a" * 40
    first = await cache.get(repo, commit, ".tar", make)
    second = await cache.get(repo, commit, ".tar", make)
    assert first == second
    assert first.read_bytes() == b"archive"
    assert len(made) == 1
    # Another repository row (another organization's registration) gets its own.
    await cache.get(uuid.uuid4(), commit, ".tar", make)
    assert len(made) == 2
    # Past half its keep, an archive is made again rather than risk a prune mid-read.
    old = time.time() - KEEP_S / 2 - 1
    os.utime(first, (old, old))
    await cache.get(repo, commit, ".tar", make)
    assert len(made) == 3


async def test_old_archives_and_a_failed_make_leave_nothing(tmp_path: Path) -> None:
    cache = ArchiveCache(tmp_path / "archives")
    cache.root.mkdir()
    stale = cache.root / "stale.tar"
    stale.write_bytes(b"x")
    old = time.time() - KEEP_S - 1
    os.utime(stale, (old, old))

    async def fail(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("download cut")

    with pytest.raises(RuntimeError, match="download cut"):
        await cache.get(uuid.uuid4(), "b" * 40, ".tar", fail)
    assert list(cache.root.iterdir()) == [stale]
    assert cache.prune() == 1
    assert list(cache.root.iterdir()) == []
