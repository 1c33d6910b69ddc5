"""The corpus of real public repositories: the manifest, and checkouts of it at pinned commits.

The manifest (`manifest.toml` beside this file) names each repository and the commit it is
measured at; nothing of their code lives in this project. `checkout` brings them to a
directory: from a local mirror when one is given (`--mirrors DIR` holding
`owner+name/repo` git directories, as the tool library's `fetch` leaves them), else by
cloning from GitHub where it is reachable.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.toml")


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
