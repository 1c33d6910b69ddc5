"""Which files of a directory are the repository: what git would commit, less `--exclude`.

In a git work tree, `git ls-files --cached --others --exclude-standard` says it: tracked
files, and untracked ones that no `.gitignore`, `.git/info/exclude` or global excludes
file hides. Elsewhere (an unpacked tarball, a copy) the walk reads each folder's
`.gitignore` itself, with gitignore's own rules as pathspec implements them: the deepest
file that has a say decides, and a folder once ignored is never entered.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

GIT_TIMEOUT = 120.0


def git_files(root: Path) -> list[str] | None:
    """Paths (posix, relative to `root`) git lists for the work tree at or above `root`;
    None when `root` is not in a work tree, git is missing or fails, or the enclosing
    repository ignores `root` as a whole (a build folder scanned on purpose)."""
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None:
        return None
    names = listed.decode("utf-8", "surrogateescape").split("\0")
    # a file both tracked and changed is listed once; a conflicted one once per stage
    paths = list(dict.fromkeys(name for name in names if name))
    if not paths and _git(root, "check-ignore", "-q", ".") is not None:
        return None
    return paths


def _git(root: Path, *args: str) -> bytes | None:
    """git's output, or None when it cannot run or exits non-zero."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
            # reading only: no prompt, no lock taken on the index
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


class Ignore:
    """`--exclude` globs (gitignore syntax, relative to the root), and the `.gitignore`
    files met on the way down when git does not list the files."""

    def __init__(self, exclude: Sequence[str] = ()) -> None:
        self._exclude = _spec(exclude) if exclude else None
        self._gitignores: dict[str, GitIgnoreSpec] = {}  # folder ("" = root) -> its rules

    @property
    def excludes(self) -> bool:
        return self._exclude is not None

    def read_gitignore(self, root: Path, folder: str) -> None:
        """Take in `folder`'s .gitignore (`folder` is "" or ends with "/")."""
        try:
            text = (root / folder / ".gitignore").read_text(errors="replace")
        except OSError:
            return
        self._gitignores[folder] = _spec(text.splitlines())

    def excluded(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether an `--exclude` glob matches `path` (a folder's path without the slash)."""
        if self._exclude is None:
            return False
        return bool(self._exclude.check_file(path + "/" if is_dir else path).include)

    def ignored(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether `path` is excluded, or ignored by the nearest .gitignore that says so."""
        if self.excluded(path, is_dir=is_dir):
            return True
        if not self._gitignores:
            return False
        for folder in _folders_above(path):
            spec = self._gitignores.get(folder)
            if spec is None:
                continue
            below = path[len(folder) :] + ("/" if is_dir else "")
            verdict = spec.check_file(below).include
            if verdict is not None:
                return verdict
        return False


def _folders_above(path: str) -> Iterable[str]:
    """The folders holding `path`, deepest first, as "a/b/" ... "" (the root)."""
    end = path.rfind("/")
    while end >= 0:
        yield path[: end + 1]
        end = path.rfind("/", 0, end)
    yield ""


def _spec(lines: Iterable[str]) -> GitIgnoreSpec:
    # pathspec is imported only when there is something to match: a scan of a git work
    # tree without --exclude never needs it
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(lines)
