"""Manifests with broken syntax or unexpected types never crash the analysis."""

from __future__ import annotations

import pytest

from libs.analysis import analyze
from tests.unit.analysis.conftest import Build

WRONG_TYPES = {
    "pyproject.toml": '[project]\ndependencies = "flask"\noptional-dependencies = ["x"]\n'
    'requires-python = 3\n[tool]\npoetry = "x"\nuv = 1\n[dependency-groups]\ndev = "pytest"\n'
    "[build-system]\nbuild-backend = 5\n",
    "package.json": '{"dependencies": ["react"], "scripts": "jest", "engines": "node", '
    '"packageManager": 7, "workspaces": {"packages": "x"}}',
    "composer.json": '{"require": "php", "scripts": ["test"], "config": 1}',
    "Cargo.toml": "[package]\nrust-version = 1\n[dependencies]\naxum = 7\n"
    '[workspace]\nmembers = "x"\n',
    "Pipfile": "[packages]\nflask = 1\n[requires]\npython_version = 3\n",
    "global.json": '["sdk"]',
    "mise.toml": '[tools]\npython = 3\nnode = ["20", 18]\ngo = {version = 1}\n',
    "pnpm-workspace.yaml": "packages: 7\n",
    "docker-compose.yml": "services:\n  - db\n",
    ".github/workflows/ci.yml": "on: 7\njobs: [1, 2]\n",
    ".github/workflows/b.yml": "jobs:\n  a:\n    steps: 3\n  b: 1\n",
    "rust-toolchain.toml": "[toolchain]\nchannel = []\n",
    "deno.json": "[1]",
}
BROKEN_SYNTAX = {
    name: "{{{ [[[ <<<< \x00\x01 ::: ===\n"
    for name in (
        "pyproject.toml",
        "package.json",
        "pom.xml",
        "App.csproj",
        "Cargo.toml",
        "composer.json",
        "docker-compose.yml",
        ".github/workflows/ci.yml",
        "go.mod",
        "Gemfile",
        "mix.exs",
        "Package.swift",
        "CMakeLists.txt",
        "build.gradle",
        "setup.cfg",
        "requirements.txt",
        ".tool-versions",
    )
}


@pytest.mark.parametrize("files", [WRONG_TYPES, BROKEN_SYNTAX], ids=["wrong-types", "broken"])
def test_malformed_manifests_are_tolerated(build: Build, files: dict[str, str | bytes]) -> None:
    report = analyze(build(files))
    assert report.stack.subprojects
    assert report.score.overall >= 0


def test_billion_laughs_xml_is_refused(build: Build) -> None:
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        entities.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE project [' + "".join(entities) + "]>"
        "<project><version>&lol9;</version></project>"
    )
    report = analyze(build({"pom.xml": bomb}))
    [project] = report.stack.subprojects
    assert project.manifests == ["pom.xml"]
    assert project.frameworks == []
