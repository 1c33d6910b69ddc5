"""The corpus runner on a checkout that lacks a file because its mirror snapshot has no blob
for it: a job whose failing step names that file is *not rehearsed (corpus copy
incomplete)*, not red; a job failing for another reason stays red."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from bench.corpus import Repo
from bench.corpus.__main__ import checkout
from bench.corpus.cigen import measure
from tests.unit.analysis.conftest import write_tree
from tests.unit.bench.test_corpus_checkout import git


def node_project(root: Path, test: str) -> Path:
    """A Node project whose test reads `fixtures/clip.mp4`, committed, then checked out from
    a mirror that lost that file's blob (as `python -m bench.corpus checkout` does)."""
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    package = {"name": "fixture", "version": "1.0.0", "scripts": {"test": "node --test"}}
    lock = {
        "name": "fixture",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "fixture", "version": "1.0.0"}},
    }
    upstream = write_tree(
        root / "upstream",
        {
            ".nvmrc": node.stdout.strip().removeprefix("v") + "\n",
            "package.json": json.dumps(package),
            "package-lock.json": json.dumps(lock),
            "fixtures/clip.mp4": b"\x00\x00\x00\x18ftypmp42" * 64,
            "test/clip.test.js": (
                "const test = require('node:test');\nconst fs = require('node:fs');\n"
                f"test('the clip', () => {{ {test} }});\n"
            ),
        },
    )
    git("init", "-q", "-b", "main", cwd=upstream)
    git("add", ".", cwd=upstream)
    git("commit", "-q", "-m", "one", cwd=upstream)
    mirror = root / "mirrors" / "acme+clip" / "repo"
    shutil.copytree(upstream, mirror)
    blob = git("rev-parse", "HEAD:fixtures/clip.mp4", cwd=upstream)
    (mirror / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    commit = git("rev-parse", "HEAD", cwd=upstream)
    repo = Repo(name="acme/clip", commit=commit, default_branch="main", ecosystem="node", tags=())
    assert "without fixtures/clip.mp4" in checkout(repo, root / "corpus", root / "mirrors")
    return root / "corpus" / "acme+clip"


def run(root: Path) -> list[tuple[str, str]]:
    repo = Repo(name="acme/clip", commit="", default_branch="main", ecosystem="node", tags=())
    row = measure(repo, root, {"projects": ["."]}, rehearse=True, timeout=300)
    assert row.absent == ["fixtures/clip.mp4"]
    return [(j.status, j.detail) for j in row.jobs if j.job == "node"]


def test_a_failure_naming_a_file_the_snapshot_lacks_is_not_rehearsed(tmp_path: Path) -> None:
    root = node_project(tmp_path, "fs.readFileSync('fixtures/clip.mp4');")

    [(status, detail)] = run(root)

    assert status == "not_rehearsed"
    assert detail == (
        "corpus copy incomplete (1 file absent: its mirror snapshot has no blob for it); "
        "the failing step names fixtures/clip.mp4"
    )


def test_a_failure_that_does_not_name_it_stays_red(tmp_path: Path) -> None:
    root = node_project(tmp_path, "throw new Error('the parser is wrong');")

    [(status, detail)] = run(root)

    assert status == "failed"
    assert detail.startswith("Test (npm test): ")
