"""Which files of a directory are the repository: what git would commit, less `--exclude`.

In a git work tree, `git ls-files --cached --others --exclude-standard` says it: tracked
files, and untracked ones that no `.gitignore`, `.git/info/exclude` or global excludes
file hides. Elsewhere (an unpacked tarball, a copy) the walk reads each folder's
`.gitignore` itself, with gitignore's own rules as pathspec implements them: the deepest
file that has a say decides, and a folder once ignored is never entered.
"""

from __future__ import annotations

import os
import re
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
    if not _may_be_work_tree(root):
        return None
    listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None:
        return None
    names = listed.decode("utf-8", "surrogateescape").split("\0")
    # a file both tracked and changed is listed once; a conflicted one once per stage
    paths = list(dict.fromkeys(name for name in names if name))
    if not paths and _git(root, "check-ignore", "-q", ".") is not None:
        return None
    return paths


def _may_be_work_tree(root: Path) -> bool:
    """Whether git could find a repository for `root`: a `.git` in it or a folder above,
    or one named by GIT_DIR. Elsewhere (an unpacked tarball) git is not started at all,
    which saves a scan of a small folder most of its start-up."""
    if "GIT_DIR" in os.environ:
        return True
    folder = root.absolute()
    return any(os.path.lexists(os.path.join(d, ".git")) for d in (folder, *folder.parents))


def _git(root: Path, *args: str) -> bytes | None:
    """git's output, or None when it cannot run or exits non-zero."""
    import subprocess  # here: a folder outside any work tree never needs it

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


class Rules:
    """One folder's .gitignore: a regex any path its rules match must match, and the
    rules themselves, parsed into a pathspec only once the regex matches a path."""

    def __init__(self, folder: str, lines: list[str]) -> None:
        self.folder = folder  # "" for the root, else ending with "/"
        self.lines = lines
        self.prefilter = _prefilter(lines)
        self._spec: GitIgnoreSpec | None = None

    def verdict(self, path: str, is_dir: bool) -> bool | None:
        """True (ignored), False (re-included by a `!` rule) or None (no rule matches)."""
        below = path[len(self.folder) :] + ("/" if is_dir else "")
        if self.prefilter.search(below) is None:
            return None  # one search instead of one per rule, for most paths
        if self._spec is None:
            self._spec = _spec(self.lines)
        return self._spec.check_file(below).include


class Ignore:
    """`--exclude` globs (gitignore syntax, relative to the root), and the `.gitignore`
    files met on the way down when git does not list the files."""

    def __init__(self, exclude: Sequence[str] = ()) -> None:
        self._exclude = _spec(exclude) if exclude else None

    @property
    def excludes(self) -> bool:
        return self._exclude is not None

    @staticmethod
    def read_gitignore(root: Path, folder: str) -> Rules | None:
        """`folder`'s .gitignore (`folder` is "" or ends with "/"), if it can be read."""
        try:
            text = (root / folder / ".gitignore").read_text(errors="replace")
        except OSError:
            return None
        return Rules(folder, text.splitlines())

    def excluded(self, path: str, *, is_dir: bool = False) -> bool:
        """Whether an `--exclude` glob matches `path` (a folder's path without the slash)."""
        if self._exclude is None:
            return False
        return bool(self._exclude.check_file(path + "/" if is_dir else path).include)

    def ignored(self, rules: Sequence[Rules], path: str, *, is_dir: bool = False) -> bool:
        """Whether `path` is excluded, or ignored by the nearest of `rules` (the .gitignore
        files of the folders above it, deepest first) that says so."""
        if self._exclude is not None and self.excluded(path, is_dir=is_dir):
            return True
        for gitignore in rules:
            verdict = gitignore.verdict(path, is_dir)
            if verdict is not None:
                return verdict
        return False


def _spec(lines: Iterable[str]) -> GitIgnoreSpec:
    # pathspec is imported only when there is something to match: a scan of a git work
    # tree without --exclude never needs it
    from pathspec import GitIgnoreSpec

    lines = list(lines)
    try:
        return GitIgnoreSpec.from_lines(lines)
    except ValueError:  # git skips a line it cannot read (a lone "!"); so do we
        return GitIgnoreSpec.from_lines(line for line in lines if _valid(line))


def _prefilter(lines: list[str]) -> re.Pattern[str]:
    """A regex matching every path some rule of a .gitignore matches. pathspec compiles
    and tries the rules one by one, which costs a walk of a large tree seconds; this
    one search clears most paths, and the rules run only on the rest."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    parts: list[str] = []
    for line in lines:
        try:
            regex, include = GitIgnoreSpecPattern.pattern_to_regex(line)
        except ValueError:
            continue  # a line git cannot read: skipped, as git does
        if regex is not None and include is not None:
            parts.append(str(regex).replace("(?P<ps_d>", "(?:"))
    # Most rules match at any depth (`^(?:.+/)?name`): sharing that prefix lets the regex
    # try each folder boundary once, instead of backtracking through it once per rule.
    anywhere = [p.removeprefix(_ANY_DEPTH) for p in parts if p.startswith(_ANY_DEPTH)]
    rooted = [p for p in parts if not p.startswith(_ANY_DEPTH)]
    if anywhere:
        rooted.append(_ANY_DEPTH + "(?:" + "|".join(f"(?:{p})" for p in anywhere) + ")")
    return re.compile("|".join(f"(?:{part})" for part in rooted) if rooted else r"(?!)")


_ANY_DEPTH = "^(?:.+/)?"


def _valid(line: str) -> bool:
    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True
