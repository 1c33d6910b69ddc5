"""GitHub repositories from local mirrors, for a rehearsal on a machine without github.com.

A runner reaches github.com; this machine may not. Steps clone from it more often than
their scripts say: pre-commit fetches its hook repositories there, uv and pip fetch a
lockfile's git dependencies, npm a `github:` dependency. With `--git-mirrors DIR`, every
git a step runs fetches `https://github.com/OWNER/NAME` from a bare mirror in DIR instead,
named `OWNER+NAME` (or `OWNER+NAME/repo`, as the corpus's mirrors are laid out). The
rewrite is git's own (`url.<base>.insteadOf` in the job's global git config), so what
clones is the step's git, at the revision the step asks for.

A repository or revision the mirrors lack makes the step not rehearsed, naming it: the
step asked for something a runner would have fetched, and its failure says nothing
about the workflow.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^[A-Za-z0-9_.-]+\+[A-Za-z0-9_.-]+$")
_PREFIXES = ("https://github.com/", "http://github.com/", "git@github.com:", "git://github.com/")
# What git (and the tools around it) print when a repository or revision is not there
_GIT_MISSING = re.compile(
    r"does not appear to be a git repository|couldn't find remote ref|not our ref"
    r"|unadvertised object|did not match any file\(s\) known to git|reference is not a tree"
    r"|repository '[^']*' (?:not found|does not exist)|remote branch \S+ not found"
    # a snapshot that lacks some blobs cannot serve a fetch that needs them (loguru's
    # hooks: "fatal: early EOF", "fetch-pack: invalid index-pack output")
    r"|early EOF|invalid index-pack output|did not send all necessary objects",
    re.I,
)
# a sentence's full stop is not part of the name (pre-commit: "... for URL.")
_GITHUB = re.compile(
    r"github\.com[/:]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?\.?(?=[\s'\"`?#@)]|$)"
)


@dataclass(frozen=True)
class Mirrors:
    """The mirrors one rehearsal uses: `farm` maps OWNER/NAME to each mirror."""

    source: Path
    farm: Path
    names: tuple[str, ...]  # OWNER/NAME, as the mirrors are named

    @property
    def note(self) -> str:
        return (
            f"git fetched github.com repositories from the local mirrors in {self.source} "
            f"({len(self.names)} repositories), at the revisions the steps asked for"
        )

    def configure(self, home: Path) -> None:
        """Point the git config in `home` (a job's HOME) at the mirrors."""
        config = home / ".gitconfig"
        base = f"url.{self.farm.as_uri()}/.insteadOf"
        settings = [(base, prefix) for prefix in _PREFIXES]
        # the mirrors belong to whoever fetched them, not to the job's user
        settings.append(("safe.directory", "*"))
        for key, value in settings:
            subprocess.run(
                ["git", "config", "--file", str(config), "--add", key, value],
                check=True,
                capture_output=True,
            )

    def missing(self, output: str, script: str = "") -> str | None:
        """Why a failed step's output shows git lacked a repository or revision the
        mirrors do not hold, or None. The repository is named from the output, else from
        the step's `script` (`git clone -q` does not print what it cloned)."""
        if not _GIT_MISSING.search(output):
            return None
        farm = re.escape(str(self.farm))
        named = [
            f"{o}/{n.removesuffix('.git')}"
            for o, n in re.findall(farm + r"/([\w.-]+)/([\w-]+(?:\.[\w-]+)*)", output)
        ]
        named = named or [f"{o}/{n}" for o, n in _GITHUB.findall(output)]
        named = named or [f"{o}/{n}" for o, n in _GITHUB.findall(script)]
        if not named:
            return None
        return (
            f"a repository or revision the local git mirrors lack ({named[-1]}; "
            f"mirrors: {self.source})"
        )


def prepare(source: Path, farm: Path) -> Mirrors:
    """The mirrors in `source`, laid out under `farm` as OWNER/NAME (and the lower-case
    and `.git` spellings a URL may use: github.com ignores case, git does not)."""
    names: list[str] = []
    farm.mkdir(mode=0o755, parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        if not _NAME.match(entry.name):
            continue
        repository = entry / "repo" if (entry / "repo" / "HEAD").is_file() else entry
        if not (repository / "HEAD").is_file():
            continue
        owner, name = entry.name.split("+", 1)
        names.append(f"{owner}/{name}")
        for o, n in {(owner, name), (owner.lower(), name.lower())}:
            (farm / o).mkdir(mode=0o755, exist_ok=True)
            for spelling in (n, f"{n}.git"):
                link = farm / o / spelling
                if not link.exists():
                    link.symlink_to(repository.resolve())
    return Mirrors(source=source, farm=farm, names=tuple(names))
