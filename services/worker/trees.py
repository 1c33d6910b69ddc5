"""Extracted repository trees kept on the worker's disk for a while, one per (repository, commit).

The analysis job and the CI-generation job of a commit read the same tree: the first one
downloads the archive and extracts it into `WORKDIR/trees/<repository>-<commit>`, and each
job hard-links that tree into its own scratch directory (scratch.py), so a commit is
downloaded and extracted once. Keyed by our repository row's id, never shared between
organizations that register the same upstream repository (each one's access is checked by
its own download), and by the commit, whose content never changes. Workers on one host
share the folder; workers on other hosts make their own.

Locks, with the scratch directories' `flock`s (dropped by the kernel when a process dies):
a key's lock file is held while its tree is looked up or made, so two jobs of one commit
extract it once; a job holds a shared lock on the kept tree while it links it, and the
sweep removes a tree only under the key's lock and an exclusive lock on the tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec

from libs.github.tarball import ExtractStats
from services.worker import scratch

# Long enough for the CI generation that follows an analysis, even behind a queue; counted
# from the tree's last use.
KEEP_S = 30 * 60
_POLL_S = 0.05
_STATS = "stats.json"


def _key_lock(path: Path) -> int | None:
    """An fd holding lock file `path`, or None while another process holds it (or the
    sweep removed the file after we opened it: then it no longer is the key's lock)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.stat(path).st_ino == os.fstat(fd).st_ino:
            return fd
    except (BlockingIOError, FileNotFoundError):
        pass
    os.close(fd)
    return None


@dataclass(frozen=True)
class TreeCache:
    root: Path

    @classmethod
    def in_workdir(cls, workdir: Path) -> TreeCache:
        return cls(workdir / "trees")

    async def link(
        self,
        repository_id: uuid.UUID,
        commit: str,
        dest: Path,
        make: Callable[[Path, Path], Awaitable[ExtractStats]],
    ) -> ExtractStats:
        """Hard-link the tree of (repository, commit) into `dest` (a new directory); the
        tree is made by `make(download, tree)` (the archive into folder `download`,
        extracted into `tree`) unless it is kept already. Nothing may write into a
        linked file in place."""
        key = f"{repository_id}-{commit}"
        kept, lock_path = self.root / key, self.root / f".{key}.lock"
        self.root.mkdir(parents=True, exist_ok=True)
        while (lock := _key_lock(lock_path)) is None:
            await asyncio.sleep(_POLL_S)
        made = False
        try:
            if not kept.is_dir():
                staging = self.root / f".{key}.{uuid.uuid4().hex}.new"
                staging.mkdir()
                try:
                    download = staging / "download"
                    download.mkdir()
                    stats = await make(download, staging / "tree")
                    # The archive goes: the tree is what is kept.
                    await asyncio.to_thread(shutil.rmtree, download, True)
                    (staging / _STATS).write_bytes(msgspec.json.encode(stats))
                    os.replace(staging, kept)
                finally:
                    await asyncio.to_thread(shutil.rmtree, staging, True)
                made = True
            reader = scratch.lock(kept, shared=True)  # only the sweep takes it exclusively
            os.utime(kept)  # kept KEEP_S after its last use
        finally:
            os.close(lock)
        try:
            stats = msgspec.json.decode((kept / _STATS).read_bytes(), type=ExtractStats)
            await asyncio.to_thread(_link_tree, kept / "tree", dest)
        finally:
            if reader is not None:
                os.close(reader)
        if made:
            await asyncio.to_thread(sweep, self.root)
        return stats


def _link_tree(tree: Path, dest: Path) -> None:
    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:  # another filesystem
            shutil.copy2(src, dst)

    shutil.copytree(tree, dest, symlinks=True, copy_function=link)


def sweep(root: Path, keep_s: float = KEEP_S) -> int:
    """Remove trees unused for `keep_s` that no job is linking, and what makers that died
    left; how many trees went."""
    removed, cutoff = 0, time.time() - keep_s
    for lock_path in root.glob(".*.lock"):
        key = lock_path.name[1 : -len(".lock")]
        lock = _key_lock(lock_path)
        if lock is None:
            continue  # being made or looked up
        try:
            kept = root / key
            with contextlib.suppress(FileNotFoundError):
                if kept.stat().st_mtime >= cutoff:
                    continue
            for dead in root.glob(f".{key}.*.new"):  # its maker held this lock
                shutil.rmtree(dead, ignore_errors=True)
            if kept.is_dir():
                sole = scratch.lock(kept)
                if sole is None:
                    continue  # a job is linking it
                shutil.rmtree(kept, ignore_errors=True)
                os.close(sole)
                removed += 1
            lock_path.unlink()  # whoever opened it meanwhile sees a new file and retries
        finally:
            os.close(lock)
    return removed
