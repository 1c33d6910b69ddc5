"""Repository archives: downloaded within a size cap, extracted only if every entry is safe.

Every entry is checked before it is written: absolute paths, `..`, links that leave the
tree, device files and FIFOs refuse the archive, as do more files or bytes than allowed,
and a refused archive leaves nothing behind. GitHub wraps the tree in one top folder
(`owner-repo-sha/`), which is removed. Once extracted, every symlink is resolved and must
stay inside the tree.
"""

from __future__ import annotations

import os
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


class _Checker:
    """An extraction filter that checks each entry as it is extracted.

    Checking while extracting reads the archive once; an entry that fails removes
    everything extracted so far. It does what tarfile's `data` filter does, by string
    rules instead of that filter's realpath() of every entry (which tripled the time of
    a 1,000-file tree): no absolute or `..` paths, links resolving inside the tree, no
    entry written through an earlier symlink, no owners, no special mode bits.
    """

    def __init__(self, limits: ExtractLimits, strip_top: bool) -> None:
        self.limits = limits
        self.strip_top = strip_top
        self.top: str | None = None
        self.entries = self.files = self.bytes = self.links = 0
        self.symlinks: set[str] = set()

    def __call__(self, member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        self.entries += 1
        if self.entries > self.limits.max_files:
            raise ArchiveError(
                f"refused: the repository has more than {self.limits.max_files} files"
                " (REPO_MAX_FILES)"
            )
        if self.entries == 1 and self.strip_top and member.isdir():
            parts = _parts(member.name)
            if len(parts) == 1:
                self.top = parts[0]  # GitHub's owner-repo-sha/: everything else sits in it
                return None
        path = _clean(member.name, self.top)
        if not path:
            return None
        self._not_through_a_link(path)
        return self._checked(member, path)

    def _not_through_a_link(self, path: str) -> None:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in self.symlinks:
                raise ArchiveError(f"refused: {path!r} would be written through a symlink")

    def _checked(self, member: tarfile.TarInfo, path: str) -> tarfile.TarInfo:
        if len(path) > self.limits.max_path_length:
            raise ArchiveError(
                f"refused: a path is longer than {self.limits.max_path_length} characters"
            )
        if member.isdev():
            raise ArchiveError(f"refused: {path!r} is a device file or a FIFO")
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            raise ArchiveError(f"refused: {path!r} has an unsupported entry type")
        linkname = member.linkname
        if member.issym() or member.islnk():
            linkname = _check_link(member, path, self.top)
            self.links += 1
            if member.issym():
                self.symlinks.add(path)
            else:
                # os.link follows a symlink: a hard link to one would copy its target in.
                self._not_through_a_link(linkname)
                if linkname in self.symlinks:
                    raise ArchiveError(f"refused: the hard link {path!r} names a symlink")
        if member.isfile():
            self.files += 1
            self.bytes += member.size
            if self.bytes > self.limits.max_bytes:
                raise ArchiveError(
                    f"refused: the repository is larger than {self.limits.max_bytes} bytes"
                    " (REPO_MAX_BYTES)"
                )
        mode = 0o755 if member.isdir() or member.mode & 0o100 else 0o644
        return member.replace(
            name=path,
            linkname=linkname,
            mode=mode,
            uid=os.getuid(),
            gid=os.getgid(),
            uname="",
            gname="",
            deep=False,
        )


def _links_stay_inside(dest: Path, symlinks: set[str]) -> None:
    """Resolve every symlink once the tree is complete: a target that is inside by its
    text can still leave through other links (`x -> .`, `y -> x/..`), including links
    that came later in the archive."""
    root = os.path.realpath(dest)
    for path in symlinks:
        real = os.path.realpath(os.path.join(root, path))
        if real != root and not real.startswith(root + os.sep):
            raise ArchiveError(f"refused: the link {path!r} leads out of the tree")


def safe_extract(
    archive: Path, dest: Path, limits: ExtractLimits | None = None, *, strip_top: bool = True
) -> ExtractStats:
    """Extract the .tar(.gz) `archive` into `dest` (created; must not exist or be empty).

    With `strip_top`, an archive whose first entry is a folder is GitHub's: every other
    entry must sit in that folder, which is removed from the paths.
    """
    checker = _Checker(limits or ExtractLimits(), strip_top)
    if dest.exists() and any(dest.iterdir()):
        raise ArchiveError(f"refused: {dest} is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            tar.extractall(dest, filter=checker)
        _links_stay_inside(dest, checker.symlinks)
    except ArchiveError:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    except tarfile.FilterError as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveError(f"refused while extracting: {exc}") from exc
    except (tarfile.TarError, EOFError, OSError, KeyError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        raise ArchiveError(f"the repository archive is unreadable: {exc}") from exc
    return ExtractStats(files=checker.files, bytes=checker.bytes, links=checker.links)


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
