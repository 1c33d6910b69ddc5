"""Failure classes of which jobs exist (issue 13, section 2): one job per real project
that has something to check, none for folders that only look like projects."""

from __future__ import annotations

import json
from pathlib import Path

from libs.analysis import analyze
from tests.unit.cigen.fixtures import generated

PYTHON_ROOT = {
    "pyproject.toml": '[project]\nname = "pkg"\n[dependency-groups]\ndev = ["pytest>=8"]\n',
    "uv.lock": "version = 1\n",
    "tests/test_pkg.py": "def test_pkg(): pass\n",
}


def test_a_setup_py_inside_a_source_package_is_no_project(tmp_path: Path) -> None:
    """A setup.py inside the package tree (a C extension helper, a vendored module) got
    its own job and a path filter that hid the real suite behind it."""
    files = {
        **PYTHON_ROOT,
        "src/pkg/__init__.py": "",
        "src/pkg/_speedups/setup.py": "from setuptools import setup\nsetup()\n",
        "src/pkg/_speedups/test_speedups.py": "def test_s(): pass\n",
    }
    result = generated(tmp_path, files)
    assert [j for j in result.jobs if j != "changes"] == ["python"]
    assert "changes" not in result.jobs  # one project: no path filter at all
    assert "needs" not in result.job("python")
    assert "uv run pytest" in result.runs("python")
    assert (
        "src/pkg/_speedups: no CI job: its setup.py sits inside the Python project at "
        "the repository root"
    ) in result.notes


def test_examples_benchmarks_fuzz_and_tool_folders_get_no_job(tmp_path: Path) -> None:
    """go-chi's `_examples/*`, hono's `benchmarks/*`, ripgrep's `fuzz`, guzzle's
    `vendor-bin/*`: manifests that serve the project, not projects to run CI for."""
    npm = {
        "package.json": json.dumps({"scripts": {"test": "node --test"}}),
        "package-lock.json": "{}",
    }
    files = {
        **PYTHON_ROOT,
        "_examples/rest/go.mod": "module rest\n\ngo 1.16\n",
        "_examples/rest/main_test.go": "package main\n",
        **{f"benchmarks/jsx/{name}": body for name, body in npm.items()},
        "fuzz/Cargo.toml": '[package]\nname = "fuzz"\n',
        "fuzz/src/lib.rs": "",
        "vendor-bin/phpstan/composer.json": '{"require": {"phpstan/phpstan": "^2"}}',
    }
    result = generated(tmp_path, files)
    assert list(result.jobs) == ["python"]
    # The analysis itself drops example and benchmark folders; the generator says why it
    # left out the folders it was shown.
    shown = {sub.path for sub in analyze(tmp_path).stack.subprojects}
    assert not shown & {"_examples/rest", "benchmarks/jsx"}
    for folder in ("fuzz", "vendor-bin/phpstan"):
        assert any(note.startswith(f"{folder}: no CI job: ") for note in result.notes), folder


def test_a_job_that_would_only_install_is_left_out(tmp_path: Path) -> None:
    """A Gemfile for a docs toolchain next to a Node project: a Ruby job that installs
    gems and runs nothing is no CI job (and would count as green for nothing)."""
    files = {
        "package.json": json.dumps({"scripts": {"test": "node --test"}}),
        "package-lock.json": "{}",
        "index.js": "module.exports = 1\n" * 20,
        "Gemfile": "source 'https://rubygems.org'\ngem 'jekyll'\n",
        "Gemfile.lock": "GEM\n",
    }
    result = generated(tmp_path, files)
    assert list(result.jobs) == ["node"]
    assert (
        "the repository root: no Ruby job: it would only install dependencies "
        "(no tests, checks or build were found)"
    ) in result.notes


def test_a_docs_folder_of_sample_dependencies_is_no_project(tmp_path: Path) -> None:
    """redux: docs/package.json lists what the documentation's code samples import (and
    vitest); no scripts, no configuration. A job for it invented `vitest run`."""
    docs = {"devDependencies": {"vitest": "^4", "react": "^18"}, "name": "docs"}
    files = {
        "package.json": json.dumps({"scripts": {"test": "vitest run"}}),
        "package-lock.json": "{}",
        "docs/package.json": json.dumps(docs),
        "docs/yarn.lock": "",
    }
    result = generated(tmp_path, files)
    assert list(result.jobs) == ["node"]
    assert (
        "docs: no CI job: its package.json defines no scripts and configures no tool"
    ) in result.notes
