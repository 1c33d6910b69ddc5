"""What each CI system's reader finds per job: triggers, runners, matrix, runtimes,
services, env and classified commands, each with its line."""

from __future__ import annotations

import pytest

from libs.analysis.ci import analyse_ci
from libs.analysis.ci.commands import classify
from libs.analysis.ci.jobs import REDACTED
from libs.analysis.report import CiJob, CiRuntime, CiTrigger, Pipeline
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files

GITHUB = """\
name: CI
on:
  push:
    branches: [master]
    tags: ['v*']
  pull_request:
    branches-ignore: [dependabot/**]
env:
  COLUMNS: "120"
jobs:
  tests:
    runs-on: ${{ matrix.os }}
    strategy:
      matrix:
        os: [ubuntu-latest, windows-latest]
        python-version: [3.9, 3.10, "3.11"]
        exclude:
          - os: windows-latest
            python-version: 3.9
        include:
          - os: macos-latest
            python-version: "3.12"
    services:
      postgres:
        image: postgres:16
    env:
      DATABASE_URL: postgres://postgres:postgres@localhost/test
      API_TOKEN: ghp_4fT9kQ2mXv8LpR7sW3nZ6yB1cD5eH0jU9aKo  # autodevops:allow (a made-up token)
    defaults:
      run:
        working-directory: src
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - name: Install
        run: |
          sudo apt-get install -y libpq-dev
          python -m pip install -e .[test] \\
            --no-cache-dir
          cp .env.example .env
      - name: Test
        run: pytest -q
        env:
          TERM: xterm
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/setup-node@v4
        with:
          node-version-file: .nvmrc
      - uses: actions/setup-java@v4
        with:
          java-version-file: .github/workflows/.java-version
      - uses: actions/setup-go@v5
        with:
          go-version-file: go.mod
      - run: npm ci && npm run lint
  container:
    runs-on: ubuntu-latest
    container: node:20-bookworm
    steps:
      - run: npm test
"""


def pipelines(build: Build, files: Files) -> list[Pipeline]:
    return analyse_ci(Tree.scan(build(files))).pipelines


def by_name(pipeline: Pipeline) -> dict[str, CiJob]:
    return {job.name: job for job in pipeline.jobs}


def test_github_jobs_with_matrix_runtimes_env_and_commands(build: Build) -> None:
    (workflow,) = pipelines(
        build,
        {
            ".github/workflows/ci.yml": GITHUB,
            ".nvmrc": "lts/iron\n",
            ".github/workflows/.java-version": "21\n",
            "go.mod": "module x\n\ngo 1.22.0\n\ntoolchain go1.23.4\n",
        },
    )
    assert workflow.triggers == [
        CiTrigger(event="tag", line=3),
        CiTrigger(event="push", branches=("master",), line=3),
        CiTrigger(event="pull_request", branches_ignore=("dependabot/**",), line=6),
    ]
    jobs = by_name(workflow)
    tests = jobs["tests"]
    assert tests.os == ["ubuntu-latest", "windows-latest", "macos-latest"]
    # 3.10 stays "3.10": YAML's float would have made it 3.1
    assert tests.matrix == {
        "os": ["ubuntu-latest", "windows-latest"],
        "python-version": ["3.9", "3.10", "3.11"],
    }
    assert tests.matrix_exclude == [{"os": "windows-latest", "python-version": "3.9"}]
    assert tests.runtimes == [
        CiRuntime(
            runtime="python",
            versions=("3.9", "3.10", "3.11", "3.12"),
            source="python-version",
            line=36,
        )
    ]
    assert tests.services == ["postgres:16"]
    assert tests.env["COLUMNS"] == "120"
    assert tests.env["DATABASE_URL"] == "postgres://postgres:postgres@localhost/test"
    assert tests.env["API_TOKEN"] == REDACTED  # a real-looking token never reaches the report
    assert [(c.kind, c.line, c.run) for c in tests.commands] == [
        ("setup", 39, "sudo apt-get install -y libpq-dev"),
        ("setup", 40, "python -m pip install -e .[test] --no-cache-dir"),
        ("setup", 42, "cp .env.example .env"),
        ("test", 44, "pytest -q"),
    ]
    test_step = tests.commands[-1]
    assert (test_step.step, test_step.env, test_step.directory) == (
        "Test",
        {"TERM": "xterm"},
        "src",
    )
    lint = jobs["lint"]
    assert [(r.runtime, r.versions, r.source) for r in lint.runtimes] == [
        ("node", ("lts/iron",), ".nvmrc"),
        ("java", ("21",), ".github/workflows/.java-version"),
        ("go", ("1.22.0",), "go.mod"),
    ]
    assert [c.kind for c in lint.commands] == ["lint"]  # `npm ci && npm run lint`
    container = jobs["container"]
    assert container.image == "node:20-bookworm"
    assert container.runtimes == [
        CiRuntime(runtime="node", versions=("20",), source="image", line=62)
    ]


def test_github_matrix_references_inside_values_and_rust_toolchain_refs(build: Build) -> None:
    workflow = """\
on: [push, pull_request]
jobs:
  go:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        go: [21, 22]
        config:
          - {os: ubuntu-latest, rust: stable}
    steps:
      - uses: actions/setup-go@v5
        with:
          go-version: 1.${{ matrix.go }}.x
      - uses: dtolnay/rust-toolchain@1.70
      - uses: ruby/setup-ruby@v1
      - uses: pdm-project/setup-pdm@v4
        with:
          python-version: "3.12"
"""
    (found,) = pipelines(build, {".github/workflows/go.yml": workflow, ".ruby-version": "3.2.2\n"})
    assert [t.event for t in found.triggers] == ["push", "pull_request"]
    (job,) = found.jobs
    assert job.matrix == {
        "go": ["21", "22"],
        "config.os": ["ubuntu-latest"],
        "config.rust": ["stable"],
    }
    assert [(r.runtime, r.versions) for r in job.runtimes] == [
        ("go", ("1.21.x", "1.22.x")),
        ("rust", ("1.70",)),
        ("ruby", ("3.2.2",)),  # setup-ruby without ruby-version reads .ruby-version
        ("python", ("3.12",)),
    ]


def test_github_setup_inputs_may_name_the_workflow_env(build: Build) -> None:
    workflow = """\
on: push
env:
  otp: "27.1"
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      elixir: "1.17.3"
    steps:
      - uses: erlef/setup-beam@v1
        with:
          otp-version: ${{ env.otp }}
          elixir-version: ${{ env.elixir }}
"""
    (found,) = pipelines(build, {".github/workflows/ci.yml": workflow})
    (job,) = found.jobs
    assert [(r.runtime, r.versions) for r in job.runtimes] == [
        ("elixir", ("1.17.3",)),
        ("otp", ("27.1",)),
    ]


def test_a_github_job_that_checks_out_another_repository_at_the_root_is_foreign(
    build: Build,
) -> None:
    """tomlkit's integration job checks out poetry at the workspace root and this
    repository beside it: its commands are poetry's."""
    workflow = """\
on: push
jobs:
  integration:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          repository: python-poetry/${{ matrix.project }}
      - uses: actions/checkout@v4
        with:
          path: tomlkit
      - run: poetry run pytest
  pr-head:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          repository: ${{ github.event.pull_request.head.repo.full_name }}
      - run: pytest
  beside:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/checkout@v4
        with:
          repository: org/fixtures
          path: fixtures
      - run: pytest
"""
    (found,) = pipelines(build, {".github/workflows/ci.yml": workflow})
    assert {job.name: job.foreign for job in found.jobs} == {
        "integration": True,
        "pr-head": False,  # the pull request's own head: this repository
        "beside": False,  # another repository in a folder of the workspace
    }


GITLAB = """\
include:
  - local: ci/templates.yml
  - project: group/shared
    file: ci.yml
variables:
  PYTHON_VERSION: "3.11"
workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "main"
    - if: $CI_COMMIT_TAG
default:
  before_script:
    - pip install -e .[dev]
.setup:
  script:
    - cp .env.example .env
test:
  extends: .base
  image: python:$PYTHON_VERSION
  services:
    - postgres:15
  parallel:
    matrix:
      - DB: [postgres, mysql]
  script:
    - !reference [.setup, script]
    - pytest --db $DB
lint:
  image: python:3.12-slim
  before_script: []
  script: ruff check .
"""
GITLAB_TEMPLATES = """\
.base:
  variables:
    PYTEST_ADDOPTS: -q
"""


def test_gitlab_includes_extends_references_and_rules(build: Build) -> None:
    (found,) = pipelines(build, {".gitlab-ci.yml": GITLAB, "ci/templates.yml": GITLAB_TEMPLATES})
    assert {(t.event, t.branches) for t in found.triggers} == {
        ("pull_request", ()),
        ("push", ("main",)),
        ("tag", ()),
    }
    jobs = by_name(found)
    test = jobs["test"]
    assert test.image == "python:$PYTHON_VERSION"
    assert test.runtimes == [
        CiRuntime(runtime="python", versions=("3.11",), source="image", line=20)
    ]
    assert test.env == {"PYTHON_VERSION": "3.11", "PYTEST_ADDOPTS": "-q"}  # from .base
    assert test.matrix == {"DB": ["postgres", "mysql"]}
    assert test.services == ["postgres:15"]
    assert [(c.step, c.kind, c.run) for c in test.commands] == [
        ("before_script", "setup", "pip install -e .[dev]"),
        ("script", "setup", "cp .env.example .env"),
        ("script", "test", "pytest --db $DB"),
    ]
    lint = jobs["lint"]
    assert [(c.kind, c.run) for c in lint.commands] == [("lint", "ruff check .")]
    assert lint.runtimes[0].versions == ("3.12",)


def test_circleci_executors_matrix_parameters_and_filters(build: Build) -> None:
    config = """\
version: 2.1
executors:
  py:
    docker:
      - image: cimg/python:3.11
jobs:
  test:
    parameters:
      node:
        type: string
        default: "18.0"
    docker:
      - image: cimg/node:<< parameters.node >>
      - image: cimg/postgres:15.0
    environment:
      CI_FLAG: "1"
    steps:
      - checkout
      - node/install-packages
      - run:
          name: Tests
          command: npm test
          environment:
            FORCE_COLOR: "0"
  docs:
    executor: py
    steps:
      - run: pip install -r docs/requirements.txt
workflows:
  main:
    jobs:
      - test:
          matrix:
            parameters:
              node: ["18.0", "20.11"]
          filters:
            branches:
              only: main
"""
    (found,) = pipelines(build, {".circleci/config.yml": config})
    jobs = by_name(found)
    test = jobs["test"]
    assert test.image == "cimg/node:<< parameters.node >>"
    assert test.services == ["cimg/postgres:15.0"]
    assert [(r.runtime, r.versions) for r in test.runtimes] == [("node", ("18.0", "20.11"))]
    assert test.uses == ["node/install-packages"]
    (command,) = test.commands
    assert (command.step, command.kind, command.env) == ("Tests", "test", {"FORCE_COLOR": "0"})
    assert jobs["docs"].runtimes[0].versions == ("3.11",)
    assert found.triggers == [CiTrigger(event="push", branches=("main",), line=30)]


def test_travis_runtimes_env_rows_apt_packages_and_includes(build: Build) -> None:
    travis = """\
language: python
python: ["3.8", "3.9"]
dist: jammy
env:
  global:
    - PIP_NO_CACHE_DIR=1
  jobs:
    - DJANGO=4.2 DB=sqlite
    - DJANGO=5.0 DB=postgres
addons:
  apt:
    packages: [libxml2-dev, gettext]
install: pip install tox
script: tox
branches:
  only: [main]
jobs:
  include:
    - name: docs
      python: "3.12"
      script: make docs
"""
    (found,) = pipelines(build, {".travis.yml": travis})
    assert found.triggers[0] == CiTrigger(event="push", branches=("main",), line=16)
    main, docs = found.jobs
    assert main.os == ["linux jammy"]
    assert main.runtimes == [
        CiRuntime(runtime="python", versions=("3.8", "3.9"), source="python", line=2)
    ]
    assert main.matrix == {"DJANGO": ["4.2", "5.0"], "DB": ["sqlite", "postgres"]}
    assert main.env == {"PIP_NO_CACHE_DIR": "1"}
    assert [(c.step, c.kind, c.run) for c in main.commands] == [
        ("addons.apt", "setup", "sudo apt-get install -y libxml2-dev gettext"),
        ("install", "setup", "pip install tox"),
        ("script", "test", "tox"),
    ]
    assert docs.name == "docs"
    assert docs.runtimes[0].versions == ("3.12",)
    assert [c.run for c in docs.commands][-1] == "make docs"
    assert "pip install tox" in [c.run for c in docs.commands]  # inherited from the top


@pytest.mark.parametrize("name", ["appveyor.yml", ".appveyor.yml"])
def test_appveyor_is_recognised_with_its_matrix_and_phases(build: Build, name: str) -> None:
    appveyor = """\
image: Visual Studio 2022
environment:
  global:
    PYTHONUNBUFFERED: "1"
  matrix:
    - PYTHON: "C:\\\\Python38-x64"
    - PYTHON: "C:\\\\Python312-x64"
install:
  - cmd: "%PYTHON%\\\\python.exe -m pip install -e .[test]"
build: off
test_script:
  - ps: pytest -q
branches:
  only:
    - master
"""
    (found,) = pipelines(build, {name: appveyor})
    assert (found.system, found.runs_tests) == ("appveyor", True)
    (job,) = found.jobs
    assert job.os == ["Visual Studio 2022"]
    assert job.env == {"PYTHONUNBUFFERED": "1"}
    assert job.runtimes == [
        CiRuntime(runtime="python", versions=("3.8", "3.12"), source="matrix.PYTHON")
    ]
    assert [(c.step, c.shell, c.kind) for c in job.commands] == [
        ("install", "cmd", "setup"),
        ("test_script", "powershell", "test"),
    ]
    assert found.triggers[0].branches == ("master",)


def test_azure_stages_matrix_legs_tasks_and_triggers(build: Build) -> None:
    azure = """\
trigger:
  branches:
    include: [main]
pr: none
variables:
  - name: BUILD_CONFIGURATION
    value: Release
stages:
  - stage: test
    jobs:
      - job: unit
        pool:
          vmImage: ubuntu-22.04
        strategy:
          matrix:
            py311:
              python.version: "3.11"
            py312:
              python.version: "3.12"
        steps:
          - task: UsePythonVersion@0
            inputs:
              versionSpec: $(python.version)
          - script: pip install -r requirements.txt
            displayName: Install
          - task: DotNetCoreCLI@2
            inputs:
              command: test
              projects: tests/**/*.csproj
              arguments: --configuration $(BUILD_CONFIGURATION)
"""
    (found,) = pipelines(build, {"azure-pipelines.yml": azure})
    assert found.triggers == [CiTrigger(event="push", branches=("main",), line=2)]
    (job,) = found.jobs
    assert (job.name, job.os, job.env) == (
        "unit",
        ["ubuntu-22.04"],
        {"BUILD_CONFIGURATION": "Release"},
    )
    assert job.matrix == {"python.version": ["3.11", "3.12"]}
    assert [(r.runtime, r.versions, r.source) for r in job.runtimes] == [
        ("python", ("3.11", "3.12"), "UsePythonVersion@0")
    ]
    assert [(c.kind, c.run) for c in job.commands] == [
        ("setup", "pip install -r requirements.txt"),
        ("test", "dotnet test tests/**/*.csproj --configuration $(BUILD_CONFIGURATION)"),
    ]


def test_jenkinsfile_steps_by_stage_with_agent_image_and_environment(build: Build) -> None:
    jenkinsfile = """\
pipeline {
  agent { docker { image 'maven:3.9-eclipse-temurin-17' } }
  environment {
    MAVEN_OPTS = '-Xmx1g'
  }
  stages {
    stage('Build') {
      steps { sh 'mvn -B -DskipTests package' }
    }
    stage('Test') {
      steps {
        sh '''
          mvn -B test
        '''
      }
    }
  }
}
"""
    (found,) = pipelines(build, {"Jenkinsfile": jenkinsfile})
    build_job, test_job = found.jobs
    assert (build_job.name, test_job.name) == ("Build", "Test")
    assert [(c.kind, c.line, c.run) for c in build_job.commands] == [
        ("build", 8, "mvn -B -DskipTests package")
    ]
    assert [(c.kind, c.line, c.run) for c in test_job.commands] == [("test", 13, "mvn -B test")]
    assert test_job.env == {"MAVEN_OPTS": "-Xmx1g"}
    assert test_job.image == "maven:3.9-eclipse-temurin-17"
    assert test_job.runtimes == [CiRuntime(runtime="java", versions=("17",), source="image")]


def test_bitbucket_steps_services_and_pipeline_kinds(build: Build) -> None:
    bitbucket = """\
image: node:20
definitions:
  services:
    redis:
      image: redis:7
pipelines:
  default:
    - step:
        name: Test
        services: [redis]
        script:
          - npm ci
          - npm test
  pull-requests:
    '**':
      - step:
          name: Lint
          script: [npm run lint]
  branches:
    main:
      - step:
          name: Test
          script: [npm test]
"""
    (found,) = pipelines(build, {"bitbucket-pipelines.yml": bitbucket})
    assert [(t.event, t.branches) for t in found.triggers] == [
        ("push", ()),
        ("pull_request", ()),
        ("push", ("main",)),
    ]
    test, lint = found.jobs
    assert (test.image, test.services) == ("node:20", ["redis:7"])
    assert [c.kind for c in test.commands] == ["setup", "test"]
    assert [c.kind for c in lint.commands] == ["lint"]


def test_a_command_that_starts_a_repository_script_carries_its_lines(build: Build) -> None:
    """typer's CI runs `uv run bash scripts/test.sh`: the script's lines are what the
    command does, and they make it a test command; a program is no script."""
    workflow = (
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: uv run bash scripts/test.sh\n      - run: ./scripts/deploy.py\n"
        "      - run: pytest\n"
    )
    files: dict[str, str | bytes] = {
        ".github/workflows/test.yml": workflow,
        "scripts/test.sh": "#!/usr/bin/env bash\nset -e\n# wide\nexport WIDTH=3000\npytest --cov\n",
        "scripts/deploy.py": "import sys\n",
        "pytest": "not the program\n",
    }
    (found,) = pipelines(build, files)
    script, deploy, pytest = found.jobs[0].commands
    assert (script.kind, script.script) == ("test", ("export WIDTH=3000", "pytest --cov"))
    assert (deploy.kind, deploy.script) == ("other", ())
    assert (pytest.kind, pytest.script) == ("test", ())


def test_a_pipeline_that_does_not_parse_keeps_its_flags_and_has_no_jobs(build: Build) -> None:
    (found,) = pipelines(build, {".github/workflows/x.yml": "on: [push\njobs: pytest"})
    assert found.runs_tests
    assert (found.jobs, found.triggers) == ([], [])


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("pytest -q", "test"),
        ("pip install -e .[test]", "setup"),
        ("python -m pip install --upgrade pip && pytest", "test"),
        ("tox -e lint", "lint"),
        ("npm run build", "build"),
        ("yarn --frozen-lockfile", "setup"),
        ("php artisan key:generate", "setup"),
        ("bin/rails db:test:prepare", "setup"),
        ("COLUMNS=120 make richtest", "test"),
        ("mvn -B -DskipTests package", "build"),
        ("mvn clean install -Dmaven.test.skip", "build"),
        ("./gradlew build", "test"),
        ("cmake -B build -DCMAKE_BUILD_TYPE=Release", "build"),
        ("ctest --test-dir build", "test"),
        ("(cd build && ../configure)", "build"),
        ("make -C build distcheck", "test"),
        ("make format-check", "other"),
        ("make -j4 test", "test"),
        ("go vet ./...", "lint"),
        ("mix do deps.get + deps.compile", "setup"),
        ("bundle exec standardrb", "lint"),
        ("cp config/database.ci.yml config/database.yml", "setup"),
        ("echo done", "other"),
        ("python manage.py test --parallel", "test"),
        ("python -m coverage run --module manage test --verbosity 2", "test"),
        ("python manage.py testserver", "other"),
        # tox environments and nox sessions named for something else than the tests
        ("pipx run nox -s docs", "other"),
        ("nox --install-only -s release_build", "other"),
        ("uvx --with tox-uv tox -e docs", "other"),
        ("tox run -e lint,typing", "lint"),
        ("tox -e build", "build"),
        ("tox -e py311-django42", "test"),
        ("tox -e docs,py311", "test"),
        ("nox -s tests", "test"),
    ],
)
def test_commands_are_classified_by_what_they_do(command: str, kind: str) -> None:
    assert classify(command) == kind


def test_a_generated_pipeline_is_bounded(build: Build) -> None:
    lines = "".join(f"          echo {n}\n" for n in range(600))
    workflow = f"on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: |\n{lines}"
    (found,) = pipelines(build, {".github/workflows/big.yml": workflow})
    (job,) = found.jobs
    assert len(job.commands) == 500
    assert job.commands[-1].run == "echo 499"
