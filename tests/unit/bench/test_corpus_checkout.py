"""`python -m bench.corpus checkout` from a mirror snapshot that lacks a blob."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.corpus import Repo, absent
from bench.corpus.__main__ import checkout, head


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_a_mirror_without_a_blob_still_gives_every_other_file(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream"
    (upstream / "src").mkdir(parents=True)
    (upstream / "src" / "main.c").write_text("int main(void) { return 0; }\n")
    (upstream / "big.bin").write_bytes(b"\x00large\x01" * 100)
    git("init", "-q", cwd=upstream)
    git("add", ".", cwd=upstream)
    git("commit", "-q", "-m", "one", cwd=upstream)
    commit = git("rev-parse", "HEAD", cwd=upstream)
    mirror = tmp_path / "mirrors" / "acme+app" / "repo"
    shutil.copytree(upstream, mirror)
    blob = git("rev-parse", "HEAD:big.bin", cwd=upstream)
    (mirror / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    repo = Repo(name="acme/app", commit=commit, default_branch="main", ecosystem="c", tags=())

    outcome = checkout(repo, tmp_path / "corpus", tmp_path / "mirrors")

    target = tmp_path / "corpus" / "acme+app"
    assert outcome == "checked out from the mirror's objects, without big.bin"
    assert (target / "src" / "main.c").read_text() == "int main(void) { return 0; }\n"
    assert not (target / "big.bin").exists()
    assert head(target) == commit
    assert checkout(repo, tmp_path / "corpus", tmp_path / "mirrors") == "kept"
    # A file deleted from the work tree whose blob git holds is not the snapshot's doing
    (target / "src" / "main.c").unlink()
    assert absent(target) == ["big.bin"]
    assert absent(upstream) == []
