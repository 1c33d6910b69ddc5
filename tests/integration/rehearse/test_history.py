"""`actions/checkout`'s depth: a runner's default clone holds one commit and no tags, and
`fetch-depth: 0` every commit and tag. A version read from tags (setuptools-scm, hatch-vcs)
reads in a rehearsal as it reads on the runner."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.rehearse.test_rehearse import job, rehearse
from tests.unit.analysis.conftest import write_tree
from tests.unit.bench.test_corpus_checkout import git

WORKFLOW = """
on: push
jobs:
  shallow:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - name: Version
        run: git describe --tags
  whole:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: Version
        run: test "$(git describe --tags)" = v1.2.3
"""


def tagged(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "origin", {"README.md": "x\n"})
    git("init", "-q", "-b", "main", cwd=root)
    git("add", ".", cwd=root)
    git("commit", "-q", "-m", "first", cwd=root)
    git("tag", "v1.2.3", cwd=root)
    return root


def test_the_default_checkout_has_no_tags_and_a_whole_one_has_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tagged(tmp_path)
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))

    assert code == 1
    checkout, version = job(report, "shallow")["steps"]
    assert checkout["reason"].endswith(", without its tags (a one-commit clone has none)")
    assert version["status"] == "failed"
    checkout, version = job(report, "whole")["steps"]
    assert checkout["reason"].endswith(", with its history and tags")
    assert version["status"] == "passed"
    # the checkout itself keeps its tags
    assert git("tag", "--list", cwd=root) == "v1.2.3"


def test_a_whole_checkout_fetches_what_a_one_commit_clone_lacks_from_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = tagged(tmp_path)
    clone = tmp_path / "clone"
    url = f"file://{origin}"
    subprocess.run(["git", "clone", "-q", "--depth", "1", url, str(clone)], check=True)
    git("tag", "-d", "v1.2.3", cwd=clone)
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(
        capsys, str(clone), "--workflow", str(workflow), "--job", "whole", "--as-root"
    )

    assert code == 0, report
    checkout, version = job(report, "whole")["steps"]
    assert checkout["reason"].endswith(", with its history and tags")
    assert version["status"] == "passed"
    assert not git("tag", "--list", cwd=clone)  # fetched into the copy only

    git("remote", "set-url", "origin", str(tmp_path / "gone"), cwd=clone)
    code, report = rehearse(
        capsys, str(clone), "--workflow", str(workflow), "--job", "whole", "--as-root"
    )
    (checkout,) = job(report, "whole")["steps"][:1]
    assert checkout["status"] == "not_rehearsed"
    assert checkout["reason"].startswith("its history and tags (fetch-depth 0) not fetched: ")
