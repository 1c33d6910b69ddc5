"""`actions/checkout` with `submodules:`: the copy holds the submodules the checkout has
at their recorded commit; one it lacks makes the step not rehearsed, naming it."""

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
  suite:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          submodules: recursive
      - name: Test
        run: test "$(cat vendor/cases/case.toml)" = 'a = 1'
"""


def parent_with_submodule(tmp_path: Path) -> Path:
    cases = write_tree(tmp_path / "cases", {"case.toml": "a = 1\n"})
    git("init", "-q", "-b", "main", cwd=cases)
    git("add", ".", cwd=cases)
    git("commit", "-q", "-m", "cases", cwd=cases)
    parent = write_tree(tmp_path / "parent", {"README.md": "x\n"})
    git("init", "-q", "-b", "main", cwd=parent)
    git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(cases),
        "vendor/cases",
        cwd=parent,
    )
    git("add", ".", cwd=parent)
    git("commit", "-q", "-m", "parent", cwd=parent)
    return parent


def test_submodules_the_checkout_holds_are_copied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = parent_with_submodule(tmp_path)
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))

    checkout, test = job(report, "suite")["steps"]
    assert code == 0, report
    assert checkout["status"] == "passed"
    assert checkout["reason"].endswith(", with its submodules")
    assert test["status"] == "passed"


def test_a_submodule_the_checkout_lacks_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parent_with_submodule(tmp_path)
    clone = tmp_path / "clone"  # cloned without --recurse-submodules: the folder is empty
    subprocess.run(["git", "clone", "-q", str(tmp_path / "parent"), str(clone)], check=True)
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(capsys, str(clone), "--workflow", str(workflow))

    checkout, test = job(report, "suite")["steps"]
    assert checkout["status"] == "not_rehearsed"
    assert checkout["reason"] == (
        "submodules not in the checkout at their recorded commit (a rehearsal does not fetch "
        f"them): vendor/cases ({tmp_path / 'cases'}); the checkout copied (2 files)"
    )
    assert test["status"] == "not_rehearsed"  # it failed, on what was never copied
    assert code == 0
