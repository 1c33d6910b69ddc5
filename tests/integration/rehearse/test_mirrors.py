"""`ci rehearse --git-mirrors DIR`: git in every step fetches https://github.com/OWNER/NAME
from a bare mirror named OWNER+NAME; a repository or revision the mirrors lack makes the
step not rehearsed, naming it, never failed."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from libs.cigen.rehearse.mirrors import prepare
from tests.integration.rehearse.test_rehearse import job, rehearse
from tests.unit.analysis.conftest import write_tree
from tests.unit.bench.test_corpus_checkout import git

WORKFLOW = """
on: push
jobs:
  hooks:
    runs-on: ubuntu-24.04
    steps:
      - name: Shallow clone of a tag, spelled as a URL may spell it
        run: |
          git clone -q --depth 1 --branch v1.0 https://github.com/acme/hooks.git h
          test "$(cat h/hook.txt)" = ok
      - name: Another spelling
        run: git ls-remote https://github.com/Acme/Hooks | grep -q refs/tags/v1.0
  revision:
    runs-on: ubuntu-24.04
    steps:
      - name: A tag the mirror lacks
        run: git clone -q --branch v9 https://github.com/Acme/Hooks x
  repository:
    runs-on: ubuntu-24.04
    steps:
      - name: A repository there is no mirror of
        run: git clone -q https://github.com/acme/absent x
  tests:
    runs-on: ubuntu-24.04
    steps:
      - name: A test that fails
        run: exit 3
"""


@pytest.fixture
def mirrors() -> Iterator[Path]:
    """A folder of mirrors the job's unprivileged user can read, as a shared one is."""
    folder = Path(tempfile.mkdtemp(prefix="mirrors."))
    folder.chmod(0o755)
    source = write_tree(folder / "source", {"hook.txt": "ok\n"})
    git("init", "-q", "-b", "main", cwd=source)
    git("add", ".", cwd=source)
    git("commit", "-q", "-m", "hooks", cwd=source)
    git("tag", "v1.0", cwd=source)
    (folder / "Acme+Hooks").mkdir()
    git("clone", "-q", "--mirror", str(source), str(folder / "Acme+Hooks" / "repo"), cwd=folder)
    shutil.rmtree(source)
    yield folder
    shutil.rmtree(folder)


def test_git_fetches_github_from_the_mirrors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mirrors: Path
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(
        capsys, str(root), "--workflow", str(workflow), "--git-mirrors", str(mirrors)
    )

    hooks = job(report, "hooks")
    assert [s["status"] for s in hooks["steps"]] == ["passed", "passed"], hooks
    assert hooks["status"] == "passed"
    assert any(f"local mirrors in {mirrors} (1 repositories)" in s for s in hooks["substitutions"])
    [revision] = job(report, "revision")["steps"]
    assert revision["status"] == "not_rehearsed"
    assert revision["reason"] == (
        f"a repository or revision the local git mirrors lack (Acme/Hooks; mirrors: {mirrors})"
    )
    [repository] = job(report, "repository")["steps"]
    assert repository["status"] == "not_rehearsed"
    assert "(acme/absent; mirrors:" in repository["reason"]
    [failing] = job(report, "tests")["steps"]
    assert failing["status"] == "failed"  # a step's own failure is still a failure
    assert code == 1


def test_a_mirrors_folder_that_is_not_there_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, err = rehearse(
        capsys, str(root), "--workflow", str(workflow), "--git-mirrors", str(tmp_path / "no")
    )

    assert code == 2
    assert f"--git-mirrors: {tmp_path / 'no'} is not a directory" in err


def test_pre_commits_missing_revision_names_the_hook_repository(tmp_path: Path) -> None:
    """pre-commit prints the repository it initialises as a sentence ("... for URL.") and
    the failing git command without it: the last one named is the one that failed."""
    mirrors = prepare(tmp_path, tmp_path / "farm")
    output = (
        "[INFO] Initializing environment for https://github.com/PyCQA/flake8.\n"
        "[INFO] Initializing environment for https://github.com/pre-commit/mirrors-mypy.\n"
        "An unexpected error has occurred: CalledProcessError: command: "
        "('/usr/bin/git', 'checkout', 'v2.3.0')\nreturn code: 1\n"
        "stderr:\n    error: pathspec 'v2.3.0' did not match any file(s) known to git\n"
    )
    assert mirrors.missing(output) == (
        f"a repository or revision the local git mirrors lack (pre-commit/mirrors-mypy; "
        f"mirrors: {tmp_path})"
    )
    farm = f"fatal: '{mirrors.farm}/pre-commit/mirrors-mypy.git' does not appear to be a git"
    assert "(pre-commit/mirrors-mypy; mirrors:" in str(mirrors.missing(farm + " repository"))
    assert mirrors.missing("FAILED tests/test_git.py - invalid reference\n") is None
    # a snapshot lacking blobs a fetch needs (loguru's typos hook)
    partial = (
        "[INFO] Initializing environment for https://github.com/crate-ci/typos.\n"
        "    fatal: early EOF\n    fatal: fetch-pack: invalid index-pack output\n"
    )
    assert "(crate-ci/typos; mirrors:" in str(mirrors.missing(partial))
