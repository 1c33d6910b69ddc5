"""Facts the CI generator needs beyond the stack itself: what a tool's configuration
tells it to check, tests that start their own containers, images compose builds and the
context each is built from, Bun run by another manager's scripts."""

from __future__ import annotations

import json

from libs.analysis.report import ImageBuild
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files


def test_mypy_targets_from_pyproject_and_ini_files(build: Build) -> None:
    pyproject = '[project]\nname = "a"\n[tool.mypy]\nfiles = ["src", "tests"]\npackages = "a"\n'
    stack = analyse_stack(Tree.scan(build({"pyproject.toml": pyproject})))
    mypy = next(t for t in stack.subprojects[0].tools if t.name == "mypy")
    assert mypy.targets == ("src", "tests", "-p a")
    ini = "[mypy]\nfiles = src/a,\n    tests\nstrict = True\n"
    stack = analyse_stack(Tree.scan(build({"setup.py": "", "mypy.ini": ini})))
    mypy = next(t for t in stack.subprojects[0].tools if t.name == "mypy")
    assert (mypy.source, mypy.targets) == ("mypy.ini", ("src/a", "tests"))
    bare = analyse_stack(Tree.scan(build({"setup.py": "", "mypy.ini": "[mypy]\nstrict = 1\n"})))
    assert next(t for t in bare.subprojects[0].tools if t.name == "mypy").targets == ()


def test_tests_that_start_their_own_containers(build: Build) -> None:
    pom = """<project><dependencies>
      <dependency><groupId>org.testcontainers</groupId><artifactId>mysql</artifactId></dependency>
      <dependency><groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-docker-compose</artifactId></dependency>
    </dependencies></project>"""
    sub = analyse_stack(Tree.scan(build({"pom.xml": pom}))).subprojects[0]
    # test libraries needing Docker, not test frameworks (the tests are JUnit's, pytest's)
    assert {t.name for t in sub.test_containers} == {"testcontainers", "docker compose"}
    assert not {"testcontainers", "docker compose"} & {t.name for t in sub.test_frameworks}
    pyproject = '[project]\nname = "a"\n[dependency-groups]\ndev = ["testcontainers[postgres]"]\n'
    sub = analyse_stack(Tree.scan(build({"pyproject.toml": pyproject}))).subprojects[0]
    [fact] = sub.test_containers
    assert (fact.name, fact.groups) == ("testcontainers", ("group:dev",))


def test_compose_says_which_context_an_image_is_built_from(build: Build) -> None:
    compose = """services:
  api:
    build:
      context: .
      dockerfile: services/api/Dockerfile
  web:
    build: ./web
  db:
    image: postgres:16
  remote:
    build: https://example.org/repo.git
"""
    files: Files = {
        "deploy/compose.yaml": compose.replace("context: .", "context: ..").replace(
            "./web", "../web"
        ),
        "services/api/Dockerfile": "FROM python:3.12\nCOPY pyproject.toml .\n",
        "web/Dockerfile": "FROM node:22\n",
        "web/package.json": "{}",
    }
    stack = analyse_stack(Tree.scan(build(files)))
    assert stack.image_builds == [
        ImageBuild(dockerfile="services/api/Dockerfile", context=".", source="deploy/compose.yaml"),
        ImageBuild(dockerfile="web/Dockerfile", context="web", source="deploy/compose.yaml"),
    ]


def test_scripts_of_an_npm_project_that_call_bun(build: Build) -> None:
    package = {"scripts": {"test": "bun test", "build": "tsc", "dev": "bunx vite"}}
    files: Files = {"package.json": json.dumps(package), "package-lock.json": "{}"}
    sub = analyse_stack(Tree.scan(build(files))).subprojects[0]
    assert [(t.name, t.source) for t in sub.tools if t.name == "bun"] == [("bun", "package.json")]
    scripts = {"test": "vitest run", "dev": "bunx x"}  # `dev` runs on a laptop, not in CI
    plain: Files = {"package.json": json.dumps({"scripts": scripts})}
    tools = analyse_stack(Tree.scan(build(plain))).subprojects[0].tools
    assert "bun" not in {t.name for t in tools}
