"""Backup files on disk: where they live, their checksums, and moving them into place."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from libs.common.config import Settings

PARTIAL_SUFFIX = ".partial"
SIDECAR_SUFFIX = ".sha256"
_CHUNK = 1 << 20


def backup_dir(settings: Settings) -> Path:
    """BACKUP_DIR, or <DATA_DIR>/backups."""
    return Path(settings.backup_dir or Path(settings.data_dir) / "backups").resolve()


def digest(path: Path) -> tuple[str, int]:
    """The sha256 hex digest and size of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def publish(partial: Path, final: Path) -> tuple[str, int]:
    """fsync a finished dump, move it to its final name and write a `sha256sum -c` file.

    Only a complete dump ever carries the final name, so a crash leaves at most a
    `.partial` file behind, never a short file that looks like a backup.
    """
    # A dump holds every row (token hashes, sealed credentials): owner-only, like the dir.
    partial.chmod(0o600)
    with partial.open("rb") as f:
        os.fsync(f.fileno())
    sha256, size = digest(partial)
    if size == 0:
        raise OSError(f"{partial} is empty")
    os.replace(partial, final)
    sidecar(final).write_text(f"{sha256}  {final.name}\n")
    sidecar(final).chmod(0o600)
    dir_fd = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return sha256, size


def read_sidecar(path: Path) -> str | None:
    """The checksum recorded beside a dump, or None when there is no sidecar."""
    side = sidecar(path)
    if not side.is_file():
        return None
    text = side.read_text().split()
    return text[0] if text else None


def remove(path: Path) -> bool:
    """Delete a dump and its sidecar; True when the dump existed."""
    existed = path.is_file()
    path.unlink(missing_ok=True)
    sidecar(path).unlink(missing_ok=True)
    return existed
