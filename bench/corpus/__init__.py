"""The corpus of real public repositories: the manifest, and checkouts of it at pinned commits.

The manifest (`manifest.toml` beside this file) names each repository and the commit it is
measured at; nothing of their code lives in this project. `checkout` brings them to a
directory: from a local mirror when one is given (`--mirrors DIR` holding
`owner+name/repo` git directories, as the tool library's `fetch` leaves them), else by
cloning from GitHub where it is reachable.
"""

from __future__ import annotations

import os
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.toml")
MANIFEST_HELP = "the repositories (default: manifest.toml; holdout.toml is the held-out corpus)"


@dataclass(frozen=True, slots=True)
class Repo:
    name: str
    commit: str
    default_branch: str
    ecosystem: str
    tags: tuple[str, ...]

    @property
    def slug(self) -> str:
        """The checkout's folder name: `owner+name`, one level, no slash."""
        return self.name.replace("/", "+")


def load(path: Path = MANIFEST) -> list[Repo]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Repo(
            name=row["name"],
            commit=row["commit"],
            default_branch=row["default_branch"],
            ecosystem=row["ecosystem"],
            tags=tuple(row.get("tags", ())),
        )
        for row in data["repo"]
    ]


def absent(root: Path) -> list[str]:
    """The files of the checkout's commit that its work tree lacks because its object store
    has no blob for them: a mirror snapshot without its largest files. Provably the copy's
    doing, not the repository's: the commit's tree (`git ls-tree`) names the file, and no
    object with that name exists here. A file merely deleted from the work tree, whose
    blob git still holds, is not one.
    """
    if not (root / ".git").exists():
        return []
    tree = _git(root, "ls-tree", "-r", "-z", "HEAD")
    if tree is None:
        return []
    missing: dict[str, str] = {}  # blob -> path, for files not in the work tree
    for entry in filter(None, tree.split("\0")):
        meta, _, path = entry.partition("\t")
        mode, kind, blob = meta.split()
        if kind == "blob" and mode != "160000" and not os.path.lexists(root / path):
            missing[blob] = path
    if not missing:
        return []
    answer = _git(root, "cat-file", "--batch-check", stdin="".join(f"{b}\n" for b in missing))
    lines = (answer or "").splitlines()
    return sorted(missing[line.split()[0]] for line in lines if line.endswith(" missing"))


def _git(root: Path, *args: str, stdin: str | None = None) -> str | None:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return done.stdout if done.returncode == 0 else None
