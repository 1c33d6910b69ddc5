"""The checkout a job sees: a copy of what a fresh clone would hold, and the facts about
it that the `github` context carries (commit, branch, repository)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Checkout:
    root: Path
    sha: str  # 40 zeros when the checkout is not a git repository
    branch: str
    repository: str | None  # owner/name from a GitHub remote, else unknown
    head_commit: dict[str, object] | None = None  # the push payload's head_commit


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def is_clone(root: Path) -> bool:
    """Whether `root` is the top of a git work tree (not a folder inside another one's)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    return bool(top) and Path(top).resolve() == root.resolve()


def inspect(root: Path) -> Checkout:
    if not is_clone(root):
        return Checkout(root, "0" * 40, "main", None, None)

    def git(*args: str) -> str:
        return _git(root, *args)

    sha = git("rev-parse", "HEAD") or "0" * 40
    head = git("log", "-1", "--format=%an%x00%ae%x00%cI%x00%B").split("\0")
    head_commit: dict[str, object] | None = None
    if len(head) == 4:
        name, email, timestamp, message = head
        head_commit = {
            "id": sha,
            "message": message.strip(),
            "timestamp": timestamp,
            "author": {"name": name, "email": email},
        }
    branch = git("symbolic-ref", "--short", "-q", "HEAD") or "main"
    remote = git("remote", "get-url", "origin")
    match = re.search(r"github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$", remote)
    return Checkout(root, sha, branch, match.group(1) if match else None, head_commit)


def copy_checkout(source: Path, target: Path, *, submodules: bool = False) -> int:
    """Copy what a clone of `source` would hold into `target`: tracked files and untracked
    ones git does not ignore (so local edits are rehearsed, but no `.venv`, `node_modules`
    or build output), plus `.git`. Without git, everything. With `submodules`, what the
    checkout holds of its submodules too (see `submodules()`). Returns the files copied."""
    target.mkdir(parents=True, exist_ok=True)
    listed = _git_files(source) if is_clone(source) else None
    if listed is None:
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        return sum(1 for _ in target.rglob("*"))
    count = 0
    for relative in listed:
        src = source / relative
        dst = target / relative
        if submodules and src.is_dir() and not src.is_symlink() and is_clone(src):
            count += copy_checkout(src, dst, submodules=True)
            if (src / ".git").is_file():  # `gitdir: ...` into the parent's .git/modules
                shutil.copy2(src / ".git", dst / ".git")
            continue
        if not (src.is_file() or src.is_symlink()):
            continue  # deleted locally, or a submodule directory
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(src.readlink())
        else:
            shutil.copy2(src, dst)
        count += 1
    if (source / ".git").is_dir():
        shutil.copytree(source / ".git", target / ".git", symlinks=True, dirs_exist_ok=True)
    return count


# a copy in a workspace that belongs to the steps' user: git would refuse it to us
_TRUSTED = ("-c", "safe.directory=*")


def drop_tags(root: Path) -> int:
    """Delete the copy's tags: a runner's clone at actions/checkout's default depth (one
    commit) has none, so a version read from them (setuptools-scm, hatch-vcs) must read
    here as it reads there. Returns how many there were."""
    refs = _git(root, *_TRUSTED, "for-each-ref", "--format=delete %(refname)", "refs/tags")
    if not refs:
        return 0
    subprocess.run(
        ["git", "-C", str(root), *_TRUSTED, "update-ref", "--stdin"],
        input=refs + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return len(refs.splitlines())


def fetch_history(
    root: Path, env: dict[str, str], user: int | None = None, group: int | None = None
) -> tuple[bool, str]:
    """actions/checkout's `fetch-depth: 0`: every commit and tag of `origin`, fetched
    into a copy that lacks them (a one-commit clone, or one without tags) by the job's
    user and git configuration (which may point github.com at local mirrors). (fetched,
    what git said when it could not)."""
    shallow = _git(root, *_TRUSTED, "rev-parse", "--is-shallow-repository") == "true"
    if not shallow and _git(root, *_TRUSTED, "tag", "--list"):
        return True, ""
    if not _git(root, *_TRUSTED, "remote", "get-url", "origin"):
        return False, "the checkout has no origin remote to fetch its history from"
    command = ["git", "-C", str(root), "fetch", "--quiet", "--tags", "origin"]
    if shallow:
        command.insert(4, "--unshallow")
    try:
        done = subprocess.run(
            command,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            user=user,
            group=group,
            extra_groups=None if user is None else [],
        )
    except subprocess.TimeoutExpired:
        return False, "fetching the history timed out"
    lines = done.stderr.strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else ""


def _git_files(source: Path) -> list[str] | None:
    try:
        done = subprocess.run(
            [
                "git",
                "-C",
                str(source),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return sorted({p for p in done.stdout.decode("utf-8", "surrogateescape").split("\0") if p})


@dataclass(frozen=True)
class Submodule:
    path: str
    url: str  # from .gitmodules, "" when it names none
    present: bool  # checked out in the checkout at the commit its parent records


def submodules(root: Path) -> list[Submodule]:
    """The checkout's submodules (gitlinks of its commit), and whether each is there to
    copy: initialised in the checkout at the commit the parent records, as
    `actions/checkout` with `submodules:` would leave it."""
    if not is_clone(root):
        return []
    config = _git(root, "config", "-f", ".gitmodules", "--get-regexp", r"^submodule\.")
    keys = dict(line.split(" ", 1) for line in config.splitlines() if " " in line)
    urls = {
        v: keys.get(k[: -len(".path")] + ".url", "") for k, v in keys.items() if k.endswith(".path")
    }
    found = []
    for line in _git(root, "ls-files", "--stage").splitlines():
        meta, _, path = line.partition("\t")
        mode, sha, *_ = meta.split()
        if mode == "160000":
            sub = root / path
            present = sub.is_dir() and is_clone(sub) and _git(sub, "rev-parse", "HEAD") == sha
            found.append(Submodule(path, urls.get(path, ""), present))
    return found
