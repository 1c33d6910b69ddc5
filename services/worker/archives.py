"""Repository archives kept on the worker's disk for a while, one per (repository, commit).

The analysis job and the CI-generation job of a commit need the same tree: the archive
fetched for the first (GitHub's tarball, or `git archive`) is extracted again for the
second instead of being downloaded twice. Keyed by our repository row's id, never shared
between organizations that register the same upstream repository (each one's access is
checked by its own download), and by the commit, whose content never changes. Workers on
one host share the folder; workers on other hosts download their own.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

# Long enough for the CI generation that follows an analysis, even behind a queue.
KEEP_S = 30 * 60


@dataclass(frozen=True)
class ArchiveCache:
    root: Path

    @classmethod
    def in_workdir(cls, workdir: Path) -> ArchiveCache:
        return cls(workdir / "archives")

    async def get(
        self,
        repository_id: uuid.UUID,
        commit: str,
        suffix: str,
        make: Callable[[Path], Awaitable[None]],
    ) -> Path:
        """The archive of (repository, commit), made by `make(path)` unless a fresh one is
        on disk. It stays at least KEEP_S / 2 after this returns, so a prune by another job
        never removes it while this one extracts it."""
        final = self.root / f"{repository_id}-{commit}{suffix}"
        try:
            if time.time() - final.stat().st_mtime < KEEP_S / 2:
                return final
        except FileNotFoundError:
            pass
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".{final.name}.{uuid.uuid4().hex}"
        try:
            await make(staging)
            os.replace(staging, final)  # readers see a whole archive or none
        finally:
            staging.unlink(missing_ok=True)
        await asyncio.to_thread(self.prune)
        return final

    def prune(self) -> int:
        """Remove archives older than KEEP_S (and staging files left by a killed job)."""
        cutoff, removed = time.time() - KEEP_S, 0
        for path in self.root.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed
