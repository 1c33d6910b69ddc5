"""remove-secrets on a repository built here, with credentials buried in its history."""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import GIT_ENV, git
from tests.unit.analysis.secret_corpus import ALNUM, UPPER_DIGITS, Gen

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "repo-migration" / "remove-secrets.sh"


@dataclass
class Planted:
    repo: Path
    secrets: dict[str, str]  # rule -> value


def commit(repo: Path, files: dict[str, str | None], message: str) -> str:
    for name, text in files.items():
        target = repo / name
        if text is None:
            git(repo, "rm", "-q", name)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def plant(path: Path) -> Planted:
    """main: a key added then deleted; a side branch and a tag keep two more; one commit
    message carries a token. HEAD of main is clean."""
    g = Gen(2024)
    aws = "AKIA" + g.s(UPPER_DIGITS, 16)
    github = "ghp_" + g.s(ALNUM, 36)
    stripe = "sk_live_" + g.s(ALNUM, 24)
    key = g.pem()
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    commit(path, {"app/settings.py": f'NAME = "shop"\nAWS_ACCESS_KEY_ID = "{aws}"\n'}, "settings")
    commit(path, {"deploy/id_rsa": key, "README.md": "# shop\n"}, "deploy key")
    commit(path, {"deploy/id_rsa": None, "app/settings.py": 'NAME = "shop"\n'}, "remove keys")
    git(path, "checkout", "-q", "-b", "feature")
    commit(path, {".env": f"GITHUB_TOKEN={github}\n"}, "env for ci")
    git(path, "tag", "v0.1")
    git(path, "checkout", "-q", "main")
    commit(path, {"CHANGELOG.md": "- shop\n"}, f"rotate: old stripe key was {stripe}")
    return Planted(
        path,
        {
            "aws-access-key-id": aws,
            "private-key": key.strip(),
            "github-token": github,
            "stripe-secret-key": stripe,
        },
    )


async def remove_secrets(*args: str, stdin: bytes = b"") -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        *args,
        env={**GIT_ENV, "PATH": os.environ["PATH"]},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await proc.communicate(stdin)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def whole_history(repo: Path) -> str:
    """Every change and message of every ref, read with git alone (not our scanner)."""
    return git(repo, "log", "--all", "-p", "--format=%H%n%B")


def leaked(planted: Planted, history: str) -> list[str]:
    """The rules whose value shows in `history`, line by line (a diff prefixes each line)."""
    return [
        rule
        for rule, value in planted.secrets.items()
        if any(line in history for line in value.splitlines() if len(line) > 16)
    ]


async def test_dry_run_lists_apply_removes_and_a_rescan_finds_none(tmp_path: Path) -> None:
    planted = plant(tmp_path / "shop")
    assert "AKIA" not in (planted.repo / "app/settings.py").read_text()  # HEAD is clean

    code, listing = await remove_secrets("--dry-run", str(planted.repo))
    assert code == 1, listing
    for rule in planted.secrets:
        assert rule in listing
    assert "app/settings.py:2" in listing
    assert "deploy/id_rsa:1" in listing
    assert ".env:1" in listing
    assert "(commit message)" in listing
    first = git(planted.repo, "rev-list", "--max-parents=0", "HEAD")
    assert first[:12] in listing  # the commit that added the AWS key
    assert not [v for v in planted.secrets.values() if v in listing]  # redacted

    mirror = tmp_path / "shop.git"
    subprocess.run(
        ["git", "clone", "-q", "--mirror", "--no-local", str(planted.repo), str(mirror)],
        env={**GIT_ENV},
        check=True,
    )
    before = whole_history(mirror)
    assert leaked(planted, before) == list(planted.secrets)
    refs_before = git(mirror, "for-each-ref", "--format=%(refname)")

    code, out = await remove_secrets("--apply", str(mirror))
    assert code == 2, out  # no terminal to confirm in, and no --yes
    assert whole_history(mirror) == before

    code, out = await remove_secrets("--apply", "--yes", str(mirror))
    assert code == 0, out
    assert "a rescan of every commit finds no secret" in out
    after = whole_history(mirror)
    assert leaked(planted, after) == []
    assert "***REMOVED***" in after
    assert 'NAME = "shop"' in after  # only the values went
    assert git(mirror, "for-each-ref", "--format=%(refname)") == refs_before
    assert len(git(mirror, "rev-list", "--all").split()) == 5

    code, out = await remove_secrets(str(mirror))
    assert code == 0, out
    assert "no secrets found in the history" in out


async def test_a_repository_that_is_not_a_fresh_clone_needs_force(tmp_path: Path) -> None:
    planted = plant(tmp_path / "shop")
    code, out = await remove_secrets("--apply", "--yes", str(planted.repo))
    assert code == 1
    assert "fresh clone" in out
    assert leaked(planted, whole_history(planted.repo)) == list(planted.secrets)

    code, out = await remove_secrets("--apply", "--yes", "--force", str(planted.repo))
    assert code == 0, out
    assert leaked(planted, whole_history(planted.repo)) == []
    assert git(planted.repo, "status", "--porcelain") == ""


async def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    code, out = await remove_secrets(str(tmp_path))
    assert code == 2
    assert "not a git repository" in out


async def test_a_directory_inside_a_repository_is_refused(tmp_path: Path) -> None:
    planted = plant(tmp_path / "shop")
    code, out = await remove_secrets("--apply", "--yes", str(planted.repo / "app"))
    assert code == 2
    assert "is inside" in out
    assert leaked(planted, whole_history(planted.repo)) == list(planted.secrets)
