"""Repository archives: downloaded within a size cap, extracted only if every entry is safe.

The whole archive is checked before anything is written: absolute paths, `..`, links
that leave the tree, device files and FIFOs refuse it, as do more files or bytes than
allowed. GitHub wraps the tree in one top folder (`owner-repo-sha/`), which is removed.
Extraction then runs through tarfile's `data` filter as a second line of defence.
"""

from __future__ import annotations

import posixpath
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import gidgethub
from gidgethub import sansio

from libs.github.errors import ArchiveError, GitHubError, map_error


@dataclass(frozen=True)
class ExtractLimits:
    max_files: int = 100_000
    max_bytes: int = 1024 * 1024 * 1024
    max_path_length: int = 1024


@dataclass(frozen=True)
class ExtractStats:
    files: int
    bytes: int
    links: int


def _parts(name: str) -> list[str]:
    return [p for p in name.split("/") if p not in ("", ".")]


def _clean(name: str, top: str | None) -> str:
    """The member's path inside the tree, or "" for the top folder itself."""
    if name.startswith("/"):
        raise ArchiveError(f"refused: the archive holds an absolute path ({name!r})")
    parts = _parts(name)
    if ".." in parts:
        raise ArchiveError(f"refused: the entry {name!r} climbs out of the tree with '..'")
    if top is not None:
        if not parts or parts[0] != top:
            raise ArchiveError(f"refused: the entry {name!r} is outside the archive's folder")
        parts = parts[1:]
    return "/".join(parts)


def _check_link(member: tarfile.TarInfo, path: str, top: str | None) -> str:
    """The link target, relative to the tree; refuses targets outside it."""
    target = member.linkname
    if member.issym():
        if target.startswith("/"):
            raise ArchiveError(f"refused: the link {path!r} points to an absolute path")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if resolved == ".." or resolved.startswith("../"):
            raise ArchiveError(f"refused: the link {path!r} points out of the tree ({target!r})")
        return target
    # A hard link names another entry of the archive.
    inside = _clean(target, top)
    if not inside:
        raise ArchiveError(f"refused: the hard link {path!r} points at the archive's folder")
    return inside


def _top_folder(members: list[tarfile.TarInfo]) -> str | None:
    """The one folder everything sits in (GitHub's `owner-repo-sha/`), if there is one."""
    firsts = {parts[0] for m in members if (parts := _parts(m.name))}
    if len(firsts) != 1:
        return None
    single_level = [m for m in members if len(_parts(m.name)) == 1]
    return firsts.pop() if all(m.isdir() for m in single_level) else None


def _plan(
    tar: tarfile.TarFile, limits: ExtractLimits, strip_top: bool
) -> tuple[list[tarfile.TarInfo], ExtractStats]:
    members: list[tarfile.TarInfo] = []
    for member in tar:
        members.append(member)
        if len(members) > limits.max_files:
            raise ArchiveError(
                f"refused: the repository has more than {limits.max_files} files (REPO_MAX_FILES)"
            )
    top = _top_folder(members) if strip_top else None
    planned: list[tarfile.TarInfo] = []
    total = links = 0
    for member in members:
        path = _clean(member.name, top)
        if not path:
            continue
        if len(path) > limits.max_path_length:
            raise ArchiveError(
                f"refused: a path is longer than {limits.max_path_length} characters"
            )
        if member.ischr() or member.isblk() or member.isfifo() or member.isdev():
            raise ArchiveError(f"refused: {path!r} is a device file or a FIFO")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise ArchiveError(f"refused: {path!r} has an unsupported entry type")
        linkname = member.linkname
        if member.issym() or member.islnk():
            linkname = _check_link(member, path, top)
            links += 1
        total += member.size if member.isfile() else 0
        if total > limits.max_bytes:
            raise ArchiveError(
                f"refused: the repository is larger than {limits.max_bytes} bytes (REPO_MAX_BYTES)"
            )
        planned.append(member.replace(name=path, linkname=linkname, deep=False))
    files = sum(1 for m in planned if m.isfile())
    return planned, ExtractStats(files=files, bytes=total, links=links)


def safe_extract(
    archive: Path, dest: Path, limits: ExtractLimits | None = None, *, strip_top: bool = True
) -> ExtractStats:
    """Extract the .tar(.gz) `archive` into `dest` (created; must not exist or be empty)."""
    limits = limits or ExtractLimits()
    if dest.exists() and any(dest.iterdir()):
        raise ArchiveError(f"refused: {dest} is not empty")
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            planned, stats = _plan(tar, limits, strip_top)
            dest.mkdir(parents=True, exist_ok=True)
            try:
                tar.extractall(dest, members=planned, filter="data")
            except (tarfile.FilterError, OSError, KeyError) as exc:
                shutil.rmtree(dest, ignore_errors=True)
                raise ArchiveError(f"refused while extracting: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"the repository archive is unreadable: {exc}") from exc
    return stats


async def save_archive(response: aiohttp.ClientResponse, dest: Path, max_bytes: int) -> int:
    """Stream a download's body into `dest`, refusing more than `max_bytes`."""
    if response.status != 200:
        body = await response.content.read(64 * 1024)
        try:
            sansio.decipher_response(response.status, response.headers, body)
        except gidgethub.HTTPException as exc:
            raise map_error(exc) from exc
        raise GitHubError(f"unexpected answer {response.status} to a download", response.status)
    too_large = ArchiveError(
        f"the repository archive is larger than {max_bytes} bytes (REPO_DOWNLOAD_MAX_BYTES)"
    )
    if response.content_length is not None and response.content_length > max_bytes:
        raise too_large
    written = 0
    with dest.open("wb") as handle:
        async for chunk in response.content.iter_chunked(64 * 1024):
            written += len(chunk)
            if written > max_bytes:
                handle.close()
                dest.unlink(missing_ok=True)
                raise too_large
            handle.write(chunk)
    return written
