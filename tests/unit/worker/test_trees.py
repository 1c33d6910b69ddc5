"""The tree of a (repository, commit) is downloaded and extracted once, reused while kept,
and swept only when no job is linking it."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path

import pytest

from libs.github.tarball import ExtractStats
from services.worker import scratch
from services.worker.trees import KEEP_S, TreeCache, sweep

COMMIT = "a" * 40


class Maker:
    """Makes a two-file tree, counting the downloads and extractions it was asked for."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.made = 0
        self.delay_s = delay_s

    async def __call__(self, download: Path, tree: Path) -> ExtractStats:
        self.made += 1
        (download / "archive.tar").write_bytes(b"archive")
        await asyncio.sleep(self.delay_s)
        (tree / "src").mkdir(parents=True)
        (tree / "README.md").write_text("# shop\n")
        (tree / "src/app.py").write_text("print('hi')\n")
        (tree / "link").symlink_to("README.md")
        return ExtractStats(files=2, bytes=19, links=1)


def assert_tree(dest: Path) -> None:
    assert (dest / "README.md").read_text() == "# shop\n"
    assert (dest / "src/app.py").read_text() == "print('hi')\n"
    assert (dest / "link").is_symlink()


async def test_a_tree_is_made_once_and_linked_into_each_job(tmp_path: Path) -> None:
    cache, make, repo = TreeCache(tmp_path / "trees"), Maker(), uuid.uuid4()
    first = await cache.link(repo, COMMIT, tmp_path / "job1", make)
    second = await cache.link(repo, COMMIT, tmp_path / "job2", make)
    assert make.made == 1
    assert first == second == ExtractStats(files=2, bytes=19, links=1)
    assert_tree(tmp_path / "job1")
    assert_tree(tmp_path / "job2")
    # The same files, not copies; the archive is not kept.
    assert (
        os.stat(tmp_path / "job1/README.md").st_ino == os.stat(tmp_path / "job2/README.md").st_ino
    )
    assert sorted(p.name for p in (cache.root / f"{repo}-{COMMIT}").iterdir()) == [
        "stats.json",
        "tree",
    ]
    # A job's scratch directory going does not take the kept tree with it.
    for path in (tmp_path / "job1").rglob("*"):
        if not path.is_dir():
            path.unlink()
    await cache.link(repo, COMMIT, tmp_path / "job3", make)
    assert_tree(tmp_path / "job3")
    # Another repository row (another organization's registration) gets its own.
    await cache.link(uuid.uuid4(), COMMIT, tmp_path / "job4", make)
    assert make.made == 2


async def test_two_jobs_of_one_commit_at_once_extract_it_once(tmp_path: Path) -> None:
    cache, make, repo = TreeCache(tmp_path / "trees"), Maker(delay_s=0.2), uuid.uuid4()
    await asyncio.gather(
        cache.link(repo, COMMIT, tmp_path / "analysis", make),
        cache.link(repo, COMMIT, tmp_path / "ci", make),
    )
    assert make.made == 1
    assert_tree(tmp_path / "analysis")
    assert_tree(tmp_path / "ci")


async def test_a_failed_make_leaves_nothing_and_the_next_job_makes_it(tmp_path: Path) -> None:
    cache, repo = TreeCache(tmp_path / "trees"), uuid.uuid4()

    async def fail(download: Path, tree: Path) -> ExtractStats:
        (download / "archive.tar").write_bytes(b"half")
        raise RuntimeError("download cut")

    with pytest.raises(RuntimeError, match="download cut"):
        await cache.link(repo, COMMIT, tmp_path / "job1", fail)
    assert [p.name for p in cache.root.iterdir()] == [f".{repo}-{COMMIT}.lock"]
    make = Maker()
    await cache.link(repo, COMMIT, tmp_path / "job2", make)
    assert make.made == 1


def _age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


async def test_the_sweep_removes_unused_trees_only(tmp_path: Path) -> None:
    cache, make = TreeCache(tmp_path / "trees"), Maker()
    used, unused, fresh = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for repo in (used, unused, fresh):
        await cache.link(repo, COMMIT, tmp_path / f"job-{repo}", make)
    for repo in (used, unused):
        _age(cache.root / f"{repo}-{COMMIT}", KEEP_S + 1)
    # A job linking `used` right now holds a shared lock on it.
    reader = scratch.lock(cache.root / f"{used}-{COMMIT}", shared=True)
    assert reader is not None
    try:
        assert sweep(cache.root) == 1
    finally:
        os.close(reader)
    names = {p.name for p in cache.root.iterdir()}
    assert f"{unused}-{COMMIT}" not in names
    assert f".{unused}-{COMMIT}.lock" not in names
    assert {f"{used}-{COMMIT}", f"{fresh}-{COMMIT}"} <= names
    assert sweep(cache.root) == 1  # `used`, now that nobody links it
    # Linking again after the sweep makes it again.
    await cache.link(used, COMMIT, tmp_path / "again", make)
    assert make.made == 4


async def test_the_sweep_removes_what_a_dead_maker_left(tmp_path: Path) -> None:
    root = tmp_path / "trees"
    root.mkdir()
    key = f"{uuid.uuid4()}-{COMMIT}"
    (root / f".{key}.lock").touch()
    (root / f".{key}.0123.new/tree").mkdir(parents=True)
    assert sweep(root) == 0
    assert list(root.iterdir()) == []
