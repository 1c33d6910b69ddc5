"""Scratch directories of job attempts, each locked by the process that uses it.

An attempt unpacks its tree in its own directory and holds an exclusive `flock` on it
while it runs. The kernel drops the lock when the process dies, however it dies, so any
worker on the host can tell a dead attempt's directory from a live one at once, whoever
owned it, and remove it: at start and then every SWEEP_EVERY_S.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

SCRATCH_PREFIX = "autodevops-"
SWEEP_EVERY_S = 15.0
_SCRATCH_NAME = re.compile(rf"^{SCRATCH_PREFIX}[0-9a-f-]{{36}}-[0-9]+$")
# A directory is created under a dot name, locked, then renamed into place: a sweep never
# sees an unlocked attempt directory. One left under its dot name by a process killed in
# between is removed once older than this.
_NEW_SUFFIX = ".new"
_NEW_GRACE_S = 60.0


def lock(path: Path, *, shared: bool = False) -> int | None:
    """An fd holding a lock on directory `path` (exclusive unless `shared`), or None if
    someone holds a conflicting one."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def sweep(workdir: Path) -> int:
    """Remove attempt directories no live process holds; how many went."""
    removed = 0
    for path in workdir.glob(f"{SCRATCH_PREFIX}*"):
        if not _SCRATCH_NAME.match(path.name):
            continue
        with contextlib.suppress(OSError):
            if not path.is_dir() or path.is_symlink():
                continue
            fd = lock(path)
            if fd is None:
                continue  # a live attempt
            try:
                shutil.rmtree(path, ignore_errors=True)
            finally:
                os.close(fd)
            removed += 1
    cutoff = time.time() - _NEW_GRACE_S
    for path in workdir.glob(f".{SCRATCH_PREFIX}*{_NEW_SUFFIX}"):
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
    return removed


@contextlib.asynccontextmanager
async def attempt_dir(workdir: Path, name: str) -> AsyncIterator[Path]:
    """`workdir/<prefix><name>`, created and locked for this process, removed afterwards."""
    final = workdir / f"{SCRATCH_PREFIX}{name}"
    staging = workdir / f".{SCRATCH_PREFIX}{name}{_NEW_SUFFIX}"
    workdir.mkdir(parents=True, exist_ok=True)
    staging.mkdir(exist_ok=True)
    fd = lock(staging)
    if fd is None:
        raise RuntimeError(f"scratch directory {staging} is held by another process")
    try:
        os.replace(staging, final)
        yield final
    finally:
        await asyncio.to_thread(shutil.rmtree, final, True)
        shutil.rmtree(staging, ignore_errors=True)
        os.close(fd)


async def sweep_periodically(workdir: Path) -> None:
    """Sweep every SWEEP_EVERY_S (the worker sweeps once at start itself), until cancelled:
    another worker process on the host may die meanwhile."""
    while True:
        await asyncio.sleep(SWEEP_EVERY_S)
        removed = await asyncio.to_thread(sweep, workdir)
        if removed:
            log.info("removed scratch directories of dead job attempts", count=removed)
