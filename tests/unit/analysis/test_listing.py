"""Which files a scan reads: git's listing in a work tree, .gitignore files elsewhere, and
--exclude globs in both."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from libs.analysis import Listing, analyze
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files

GIT_ENV = {"HOME": "/nonexistent", "PATH": "/usr/bin:/bin", "GIT_CONFIG_NOSYSTEM": "1"}

WORKING_COPY: Files = {
    ".gitignore": ".data/\n*.log\nbuild/\n!keep.log\n",
    "app.py": "print(1)\n",
    "keep.log": "kept\n",
    "run.log": "runtime output\n",
    ".data/pg/postgresql.conf": "password = 'x'\n",
    "build/lib/app.py": "print(1)\n",
    "docs/.gitignore": "_build/\n",
    "docs/_build/index.html": "<html></html>\n",
    "docs/index.md": "# docs\n",
}


def paths(tree: Tree) -> list[str]:
    return [entry.path for entry in tree.files]


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=GIT_ENV, check=True, capture_output=True)


def test_a_plain_directory_reads_every_gitignore_on_the_way_down(build: Build) -> None:
    root = build(WORKING_COPY)
    tree = Tree.scan(root, gitignore=True)
    assert tree.listed_by == "walk"
    assert paths(tree) == [".gitignore", "app.py", "docs/.gitignore", "docs/index.md", "keep.log"]
    # without the option (the worker's checkouts hold only committed files) all are read
    assert "run.log" in paths(Tree.scan(root))


def test_a_git_work_tree_is_listed_by_git(build: Build) -> None:
    root = build(WORKING_COPY)
    git(root, "init", "-q")
    git(root, "add", "app.py")
    (root / ".git" / "info" / "exclude").write_text("docs/index.md\n")  # git's own rules
    tree = Tree.scan(root, gitignore=True)
    assert tree.listed_by == "git"
    assert paths(tree) == [".gitignore", "app.py", "docs/.gitignore", "keep.log"]


def test_tracked_files_count_even_where_a_gitignore_matches(build: Build) -> None:
    root = build({".gitignore": "*.lock\n", "poetry.lock": "# lock\n", "a.py": "x = 1\n"})
    git(root, "init", "-q")
    git(root, "add", "-f", "poetry.lock")
    assert "poetry.lock" in paths(Tree.scan(root, gitignore=True))


def test_exclude_globs_apply_in_both_listings(build: Build) -> None:
    files: Files = {
        "src/app.py": "x\n",
        "vendor/lib.js": "y\n",
        "a.min.js": "z\n",
        "docs/x.md": "#\n",
    }
    plain = build(files)
    repo = build(files)
    git(repo, "init", "-q")
    for root in (plain, repo):
        tree = Tree.scan(root, gitignore=True, exclude=("vendor/", "*.min.js", "/docs"))
        assert paths(tree) == ["src/app.py"], root


def test_the_report_says_how_files_were_listed(build: Build) -> None:
    root = build({".gitignore": "secret.env\n", "secret.env": "x\n", "a.py": "x = 1\n"})
    report = analyze(root, listing=Listing(gitignore=True))
    assert report.stats.listed_by == "walk"
    assert report.stats.files == 2  # .gitignore and a.py


def test_a_folder_its_repository_ignores_is_walked_when_scanned_on_purpose(build: Build) -> None:
    repo = build({".gitignore": "out/\n", "out/report/app.py": "x = 1\n"})
    git(repo, "init", "-q")
    tree = Tree.scan(repo / "out", gitignore=True)
    assert (tree.listed_by, paths(tree)) == ("walk", ["report/app.py"])


def test_a_gitignore_line_git_cannot_read_is_skipped_as_git_does(build: Build) -> None:
    root = build({".gitignore": "!\n*.log\n", "run.log": "x\n", "app.py": "x = 1\n"})
    assert paths(Tree.scan(root, gitignore=True)) == [".gitignore", "app.py"]


def test_git_is_asked_only_where_a_repository_can_be_found(
    build: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = build({".gitignore": "*.log\n", "pkg/app.py": "x = 1\n", "pkg/run.log": "x\n"})
    git(repo, "init", "-q")
    # a folder below the work tree's root: git finds the repository above it
    assert Tree.scan(repo / "pkg", gitignore=True).listed_by == "git"
    # outside any repository git is not started (the scan of a small folder saves its
    # start-up); with no git at all the result is the same walk
    plain = build({"app.py": "x = 1\n"})
    monkeypatch.setenv("PATH", "/nonexistent")
    assert Tree.scan(plain, gitignore=True).listed_by == "walk"
    # GIT_DIR names a repository from anywhere: git is asked, and here cannot be found
    monkeypatch.setenv("GIT_DIR", str(repo / ".git"))
    assert Tree.scan(plain, gitignore=True).listed_by == "walk"
