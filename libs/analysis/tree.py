"""A checkout on disk, listed once, read safely, and digested as it is read.

Symlinks never lead out of the tree: a symlinked file counts only when its target is a
regular file inside the root, and symlinked directories are never entered (so loops
cannot happen). Everything an analyser reads goes through `Tree.read`, which records
the path and a hash of the bytes for the content digest.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import stat
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from libs.analysis.listing import Ignore, Rules, git_files

# Folders that are never part of a repository's own content: VCS metadata, installed
# dependencies, caches. Skipping them keeps a scan of a working copy honest and fast.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        ".venv",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".gradle",
        ".terraform",
    }
)
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024
BINARY_SNIFF_BYTES = 8192
# (stage, done, total or 0 when unknown): called now and then while a long step runs
Progress = Callable[[str, int, int], None]
_PROGRESS_EVERY = 2048  # files between two progress calls


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str  # posix, relative to the root
    size: int
    symlink: bool = False

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> str:
        head, _, _ = self.path.rpartition("/")
        return head or "."


@dataclass
class Tree:
    """The files of one checkout, in path order."""

    root: Path
    files: list[FileEntry]
    skipped_symlinks: int = 0
    skipped_dirs: int = 0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    listed_by: Literal["walk", "git"] = "walk"  # "git" when git listed the files
    _by_path: dict[str, FileEntry] = field(default_factory=dict, repr=False)
    _by_name: dict[str, list[FileEntry]] = field(default_factory=dict, repr=False)
    _by_parent: dict[str, list[FileEntry]] = field(default_factory=dict, repr=False)
    _paths: list[str] = field(default_factory=list, repr=False)
    _read: dict[str, str] = field(default_factory=dict, repr=False)
    _cache: dict[str, bytes] = field(default_factory=dict, repr=False)
    # parsed manifests, by (format, path): detectors of several subprojects read the same
    # pyproject.toml or package.json; what is parsed is only ever read
    parsed: dict[tuple[str, str], object] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        # str concatenation, not Path's `/`: a scan opens every file, and pathlib's
        # parsing cost as much as the reads on the corpus bench
        self._prefix = os.path.join(str(self.root), "")
        by_name: defaultdict[str, list[FileEntry]] = defaultdict(list)
        by_parent: defaultdict[str, list[FileEntry]] = defaultdict(list)
        for entry in self.files:
            self._by_path[entry.path] = entry
            by_name[entry.name].append(entry)
            by_parent[entry.parent].append(entry)
        self._by_name = dict(by_name)
        self._by_parent = dict(by_parent)
        self._paths = [entry.path for entry in self.files]

    @classmethod
    def scan(
        cls,
        root: Path,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        gitignore: bool = False,
        exclude: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> Tree:
        """List every regular file under `root` (see the module docstring for symlinks).

        With `gitignore`, only what git would commit: git's own listing in a work tree,
        else each folder's .gitignore read on the way down (see libs.analysis.listing).
        `exclude` globs (gitignore syntax, relative to `root`) leave out more.
        """
        root = root.resolve()
        if not root.is_dir():
            raise NotADirectoryError(f"{root} is not a directory")
        walker = _Walker(root, Ignore(exclude), progress)
        listed = git_files(root) if gitignore else None
        if listed is not None:
            walker.take(listed)
        else:
            walker.walk(root, "", gitignore=gitignore)
        walker.files.sort(key=lambda e: e.path)
        return cls(
            root=root,
            files=walker.files,
            skipped_symlinks=walker.skipped_symlinks,
            skipped_dirs=walker.skipped_dirs,
            max_file_bytes=max_file_bytes,
            listed_by="git" if listed is not None else "walk",
        )

    # -- lookups ---------------------------------------------------------------
    def get(self, path: str) -> FileEntry | None:
        return self._by_path.get(path)

    def has(self, path: str) -> bool:
        return path in self._by_path

    def named(self, *names: str) -> list[FileEntry]:
        """Every file whose basename is one of `names`, in path order."""
        found: list[FileEntry] = []
        for name in names:
            found.extend(self._by_name.get(name, ()))
        return sorted(found, key=lambda e: e.path)

    def in_dir(self, directory: str) -> Iterator[FileEntry]:
        """Files directly inside `directory` ("." for the root)."""
        yield from self._by_parent.get(directory or ".", ())

    def under(self, directory: str) -> Iterator[FileEntry]:
        """Files anywhere below `directory` ("." for the root), in path order."""
        if directory in (".", ""):
            yield from self.files
            return
        prefix = directory.rstrip("/") + "/"
        # paths are sorted, so a folder's files are one contiguous run
        index = bisect.bisect_left(self._paths, prefix)
        while index < len(self.files) and self._paths[index].startswith(prefix):
            yield self.files[index]
            index += 1

    def first(self, directory: str, *names: str) -> str | None:
        """The first of `names` that exists in `directory`, as a tree path."""
        for name in names:
            path = join(directory, name)
            if path in self._by_path:
                return path
        return None

    # -- reading ---------------------------------------------------------------
    def read(self, path: str, *, cache: bool = True) -> bytes | None:
        """The bytes of a listed file, or None if it is missing, too large or unreadable."""
        cached = self._cache.get(path)
        if cached is not None:
            return cached
        entry = self._by_path.get(path)
        if entry is None or entry.size > self.max_file_bytes:
            return None
        try:
            with open(self._prefix + path, "rb") as fh:
                data = fh.read(self.max_file_bytes + 1)
        except OSError:
            return None
        if len(data) > self.max_file_bytes:
            return None
        self.record(path, data)
        if cache and len(data) <= 256 * 1024:
            self._cache[path] = data
        return data

    def head(self, path: str, limit: int) -> bytes | None:
        """The first `limit` bytes of a listed file (uncached), or None if unreadable."""
        if path not in self._by_path:
            return None
        try:
            with open(self._prefix + path, "rb") as fh:
                data = fh.read(limit)
        except OSError:
            return None
        # its own digest key (no path holds a NUL): a whole read of the file records its own
        self.record(f"{path}\0head{limit}", data)
        return data

    def read_text(self, path: str) -> str | None:
        data = self.read(path)
        if data is None or b"\0" in data[:BINARY_SNIFF_BYTES]:
            return None
        return data.decode("utf-8", "replace")

    def record(self, path: str, data: bytes) -> None:
        """Count `data` (the bytes of `path`) into the content digest."""
        if path not in self._read:
            self._read[path] = hashlib.sha256(data).hexdigest()

    def content_digest(self) -> str:
        """sha256 over every listed path and the bytes of each file read so far."""
        digest = hashlib.sha256()
        for entry in self.files:
            digest.update(entry.path.encode())
            digest.update(b"\0")
        digest.update(b"\n")
        for path in sorted(self._read):
            digest.update(path.encode())
            digest.update(b"\0")
            digest.update(self._read[path].encode())
            digest.update(b"\n")
        return digest.hexdigest()


class _Walker:
    def __init__(self, root: Path, ignore: Ignore, progress: Progress | None) -> None:
        self.root = root
        self.root_str = str(root)
        self.ignore = ignore
        self.progress = progress
        self.files: list[FileEntry] = []
        self.skipped_symlinks = 0
        self.skipped_dirs = 0

    def walk(self, directory: Path, rel: str, *, gitignore: bool) -> None:
        # a stack, not recursion (depth is unbounded), of folders with the .gitignore
        # rules that apply in them, deepest first
        pending: list[tuple[str, str, tuple[Rules, ...]]] = [(str(directory), rel, ())]
        while pending:
            current, prefix, rules = pending.pop()
            try:
                entries = list(os.scandir(current))
            except OSError:
                continue
            if gitignore and any(item.name == ".gitignore" for item in entries):
                own = self.ignore.read_gitignore(self.root, prefix)
                rules = rules if own is None else (own, *rules)
            for item in entries:
                path = f"{prefix}{item.name}"
                try:
                    if item.is_dir(follow_symlinks=False):
                        if item.name in SKIPPED_DIRS or self.ignore.ignored(
                            rules, path, is_dir=True
                        ):
                            self.skipped_dirs += 1
                        else:
                            pending.append((item.path, path + "/", rules))
                    elif self.ignore.ignored(rules, path):
                        continue
                    elif item.is_symlink():
                        self._symlink(item.path, path)
                    elif item.is_file(follow_symlinks=False):
                        self._add(FileEntry(path, item.stat(follow_symlinks=False).st_size))
                except OSError:
                    continue

    def take(self, paths: list[str]) -> None:
        """The files of a listing (git's), less skipped folders and --exclude globs."""
        skipped: set[str] = set()
        for path in paths:
            parts = path.split("/")
            hit = next((i for i, part in enumerate(parts[:-1]) if part in SKIPPED_DIRS), None)
            if hit is not None:  # a committed node_modules/ or .venv/: not entered either
                skipped.add("/".join(parts[: hit + 1]))
                continue
            if self.ignore.excludes and self.ignore.excluded(path):
                continue
            full = os.path.join(self.root_str, path)
            try:
                info = os.lstat(full)
            except OSError:  # tracked but deleted from the work tree
                continue
            if stat.S_ISLNK(info.st_mode):
                self._symlink(full, path)
            elif stat.S_ISREG(info.st_mode):  # not a submodule's folder
                self._add(FileEntry(path, info.st_size))
        self.skipped_dirs += len(skipped)

    def _add(self, entry: FileEntry) -> None:
        self.files.append(entry)
        if self.progress is not None and len(self.files) % _PROGRESS_EVERY == 0:
            self.progress("listing", len(self.files), 0)

    def _symlink(self, full: str, path: str) -> None:
        try:
            target = Path(full).resolve(strict=True)
            info = target.stat()
        except (OSError, RuntimeError):  # dangling, or a loop
            self.skipped_symlinks += 1
            return
        inside = str(target) == self.root_str or str(target).startswith(self.root_str + os.sep)
        if inside and stat.S_ISREG(info.st_mode):
            self._add(FileEntry(path, info.st_size, symlink=True))
        else:
            self.skipped_symlinks += 1


def join(directory: str, name: str) -> str:
    return name if directory in (".", "") else f"{directory}/{name}"


def parent_dirs(directory: str) -> Iterable[str]:
    """`directory` and each of its ancestors up to the root ("."), nearest first."""
    directory = directory.strip("/")
    while directory not in (".", ""):
        yield directory
        directory = directory.rpartition("/")[0]
    yield "."


def is_binary(data: bytes) -> bool:
    return b"\0" in data[:BINARY_SNIFF_BYTES]
