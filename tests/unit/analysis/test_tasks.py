"""Task runners and documented commands: what each defines, runs and needs, with lines."""

from __future__ import annotations

import json

from libs.analysis.report import Command, Subproject, Task
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files


def root(build: Build, files: Files) -> Subproject:
    stack = analyse_stack(Tree.scan(build(files)))
    return next(s for s in stack.subprojects if s.path == ".")


def tasks(sub: Subproject, runner: str) -> dict[str, Task]:
    return {t.name: t for t in sub.tasks if t.runner == runner}


MAKEFILE = """\
PYTHON ?= python3
SRC := src
$(warning "could not find ruff: run pip install ruff")

.PHONY: test lint check
all: lint test

test: install
\t@$(PYTHON) -m pytest \\
\t\t--cov=$(SRC)
\t-coverage report

lint:
\truff check .

check: lint test

%.o: %.c
\t$(CC) -c $<

.c.o:
\t$(CC) -c $<

build: ; python -m build
"""


def test_make_targets_with_prerequisites_and_recipes(build: Build) -> None:
    sub = root(build, {"Makefile": MAKEFILE, "GNUmakefile": "test:\n\ttrue\n", "setup.py": ""})
    # GNU make reads GNUmakefile first: that is the one that runs
    assert list(tasks(sub, "make")) == ["test"]
    sub = root(build, {"Makefile": MAKEFILE, "setup.py": ""})
    found = tasks(sub, "make")
    # no variables, function calls, pattern (%.o) or suffix (.c.o) rules
    assert list(found) == ["all", "test", "lint", "check", "build"]
    test = found["test"]
    assert (test.line, test.needs, test.purpose, test.run) == (8, ("install",), "test", "make test")
    assert test.commands == ("$(PYTHON) -m pytest --cov=$(SRC)", "coverage report")
    assert found["build"].commands == ("python -m build",)
    assert found["check"].needs == ("lint", "test")
    # the purposeful ones are commands too; `check` gives way to `test`
    assert [c for c in sub.commands if c.purpose == "test"] == [
        Command(purpose="test", run="make test", source="Makefile")
    ]


def test_make_recipes_read_through_conditionals_and_stamp_targets(build: Build) -> None:
    """yarl's `fmt` runs pre-commit between `ifdef CI` and `endif`, and `test` needs
    `.develop`, a stamp file whose rule runs pip: both are what the targets run."""
    makefile = (
        "fmt:\nifdef CI\n\tpre-commit run --all-files --show-diff-on-failure\nelse\n"
        "\tpre-commit run --all-files\nendif\n\n.develop: setup.py\n\tpip install -e .\n"
        "\ttouch .develop\n\ntest: fmt .develop\n\tpytest\n\n.PHONY: test\n"
    )
    found = tasks(root(build, {"Makefile": makefile, "setup.py": ""}), "make")
    assert list(found) == ["fmt", ".develop", "test"]
    assert found["fmt"].commands == (
        "pre-commit run --all-files --show-diff-on-failure",
        "pre-commit run --all-files",
    )
    assert found[".develop"].commands == ("pip install -e .", "touch .develop")
    assert found["test"].needs == ("fmt", ".develop")


def test_just_recipes_and_taskfile_tasks(build: Build) -> None:
    justfile = (
        "set shell := ['bash', '-c']\nalias t := test\n\n"
        "# run the tests\ntest *args: install\n    pytest {{args}}\n\n"
        "install:\n    uv sync\n"
    )
    taskfile = """\
version: '3'
tasks:
  lint:
    cmds:
      - golangci-lint run
  test:
    deps: [generate]
    env:
      CGO_ENABLED: "0"
    cmds:
      - task: lint
      - go test ./...
      - cmd: go vet ./...
  generate: go generate ./...
"""
    sub = root(build, {"justfile": justfile, "Taskfile.yml": taskfile, "go.mod": "module x\n"})
    just = tasks(sub, "just")
    assert list(just) == ["test", "install"]
    assert (just["test"].line, just["test"].needs, just["test"].commands) == (
        5,
        ("install",),
        ("pytest {{args}}",),
    )
    task = tasks(sub, "task")
    assert task["test"].needs == ("generate", "lint")
    assert task["test"].commands == ("go test ./...", "go vet ./...")
    assert (task["test"].env, task["test"].line, task["test"].run) == (
        {"CGO_ENABLED": "0"},
        6,
        "task test",
    )
    assert task["generate"].commands == ("go generate ./...",)
    assert ("test", "just test") in [(c.purpose, c.run) for c in sub.commands]


TOX_INI = """\
[tox]
envlist = py{311,312}-django{42,50}, lint, docs

[testenv]
extras = test
deps =
    django42: Django>=4.2,<5
    django50: Django>=5.0,<5.1
setenv =
    PYTHONWARNINGS = error
    django50: DJANGO_SETTINGS = strict
commands =
    pytest {posargs}
    !py311: coverage report

[testenv:lint]
skip_install = true
deps = ruff
commands = ruff check .

[testenv:docs]
basepython = python3.12
deps = -r docs/requirements.txt
commands = sphinx-build docs {[testenv:docs]basepython}
depends = lint
"""


def test_tox_environments_with_factors_extras_and_settings(build: Build) -> None:
    sub = root(build, {"tox.ini": TOX_INI, "setup.py": ""})
    found = tasks(sub, "tox")
    assert list(found) == [
        "py311-django42",
        "py311-django50",
        "py312-django42",
        "py312-django50",
        "lint",
        "docs",
    ]
    env = found["py312-django50"]
    assert env.run == "tox -e py312-django50"
    assert (env.purpose, env.versions, env.line) == ("test", ("3.12",), 2)
    assert env.commands == ("pytest {posargs}", "coverage report")
    assert found["py311-django42"].commands == ("pytest {posargs}",)
    assert env.deps == ("Django>=5.0,<5.1", ".[test]")
    assert env.env == {"PYTHONWARNINGS": "error", "DJANGO_SETTINGS": "strict"}
    lint = found["lint"]
    assert (lint.purpose, lint.commands, lint.deps, lint.line) == (
        "lint",
        ("ruff check .",),
        ("ruff", ".[test]"),
        16,
    )
    docs = found["docs"]
    assert (docs.purpose, docs.versions, docs.needs) == (None, ("3.12",), ("lint",))
    assert docs.commands == ("sphinx-build docs python3.12",)


def test_tox_environments_named_for_a_dotted_python_and_mapped_by_gh_actions(
    build: Build,
) -> None:
    # isort's `py3.{10-15}` are its test environments; python-dotenv's [gh-actions] table
    # runs its lint environment on 3.13
    ini = (
        "[tox]\nenv_list = py3.{12,13}, lint\n[testenv]\ncommands = pytest\n"
        "[testenv:lint]\ncommands = ruff check .\n"
        "[gh-actions]\npython =\n    3.12: py3.12\n    3.13: py3.13, lint\n"
    )
    found = tasks(root(build, {"tox.ini": ini, "setup.py": ""}), "tox")
    assert (found["py3.12"].purpose, found["py3.12"].versions) == ("test", ("3.12",))
    assert found["lint"].gh_actions == ("3.13",)
    assert found["py3.13"].gh_actions == ("3.13",)


def test_tox_in_toml_and_in_pyproject(build: Build) -> None:
    tox_toml = """\
env_list = ["3.13", "type"]
[env_run_base]
deps = ["pytest"]
commands = [["pytest", "{posargs}"]]
[env.type]
deps = ["mypy"]
commands = [["mypy", "src"]]
"""
    found = tasks(root(build, {"tox.toml": tox_toml, "setup.py": ""}), "tox")
    assert found["3.13"].commands == ("pytest {posargs}",)
    assert (found["3.13"].versions, found["3.13"].purpose) == (("3.13",), "test")
    assert (found["type"].commands, found["type"].deps) == (("mypy src",), ("mypy",))
    pyproject = (
        '[project]\nname = "x"\n[tool.tox]\n'
        'legacy_tox_ini = """\n[tox]\nenvlist = py39\n[testenv]\ncommands = pytest\n"""\n'
    )
    found = tasks(root(build, {"pyproject.toml": pyproject}), "tox")
    assert found["py39"].commands == ("pytest",)


NOXFILE = """\
import nox

PYTHONS = ["3.11", "3.12"]
nox.options.sessions = ["tests"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "--cov", *session.posargs)


@nox.session(name="type-check", python="3.12")
def typecheck(session):
    session.install("mypy")
    session.run("mypy", f"--python-version={session.python}", "src")


def helper(session):
    session.run("never", "counted")


@nox.session
def test_impl(session):
    run_tests(session, "-x")


def run_tests(session, *extra):
    session.run("pytest", "-m", "not slow", *extra, *(session.posargs or ("tests/",)))
    helper(session)
"""


def test_nox_sessions_read_from_the_syntax_tree(build: Build) -> None:
    found = tasks(root(build, {"noxfile.py": NOXFILE, "setup.py": ""}), "nox")
    assert list(found) == ["tests", "type-check", "test_impl"]
    # a session's helpers are followed: what they run is the session's
    assert found["test_impl"].commands == (
        "pytest -m 'not slow' {extra} {posargs:tests/}",
        "never counted",
    )
    tests = found["tests"]
    assert (tests.run, tests.line, tests.purpose) == ("nox -s tests", 8, "test")
    assert tests.versions == ("3.11", "3.12")
    assert (tests.deps, tests.commands) == (("-e .[test]",), ("pytest --cov {posargs}",))
    check = found["type-check"]
    assert (check.purpose, check.versions) == ("typecheck", ("3.12",))
    assert check.commands == ("mypy {f'--python-version={session.python}'} src",)
    broken = root(build, {"noxfile.py": "def broken(:\n", "setup.py": ""})
    assert tasks(broken, "nox") == {}


def test_nox_helpers_are_walked_once_and_sessions_keep_their_names(build: Build) -> None:
    # each helper calls the next ten times: followed at every call site, the commands
    # grew as 10^depth (a 4 KB noxfile gave 216,000); a function is walked once a session
    helpers = "".join(
        f"def h{n}(session):\n" + f"    h{n + 1}(session)\n" * 10 + f'    session.run("c{n}")\n'
        for n in range(6)
    )
    noxfile = (
        "import nox\n" + helpers + "def h6(session):\n    session.cd('sub')\n"
        '    session.run("pytest")\n'
        "@nox.session(name='one')\ndef test(session):\n    h0(session)\n"
        "@nox.session(name='two')\ndef test(session):\n    session.run('pytest', '-x')\n"
    )
    found = tasks(root(build, {"noxfile.py": noxfile, "setup.py": ""}), "nox")
    assert list(found) == ["one", "two"]  # same function name, two sessions
    # in the order they run, three helpers deep, each walked once
    assert found["one"].commands == ("c2", "c1", "c0")
    assert found["two"].commands == ("pytest -x",)
    deep = noxfile.replace("h0(session)", "h4(session)")
    # `session.cd` is recorded: what follows runs in another folder
    assert tasks(root(build, {"noxfile.py": deep, "setup.py": ""}), "nox")["one"].commands == (
        "cd sub",
        "pytest",
        "c5",
        "c4",
    )


def test_package_and_composer_scripts_are_tasks_with_their_lines(build: Build) -> None:
    package = json.dumps(
        {
            "name": "web",
            "scripts": {"test": "vitest run", "lint": "eslint .", "dev": "vite"},
            "devDependencies": {"vitest": "^1"},
        },
        indent=2,
    )
    composer = json.dumps(
        {
            "require": {"php": "^8.2"},
            "scripts": {"test": ["@php artisan config:clear", "@php artisan test"]},
        },
        indent=4,
    )
    sub = root(
        build,
        {
            "package.json": package,
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "composer.json": composer,
        },
    )
    npm = tasks(sub, "pnpm")
    assert (npm["test"].run, npm["test"].line, npm["test"].commands) == (
        "pnpm test",
        4,
        ("vitest run",),
    )
    assert (npm["dev"].run, npm["dev"].purpose) == ("pnpm run dev", None)
    php = tasks(sub, "composer")["test"]
    assert php.commands == ("@php artisan config:clear", "@php artisan test")
    assert (php.line, php.purpose) == (6, "test")


RAKEFILE = """\
require "rake/testtask"
require "cucumber/rake/task"
require "rspec/core/rake_task"

Rake::TestTask.new(:test) do |t|
  t.libs << "test"
end

Cucumber::Rake::Task.new(:features)
RSpec::Core::RakeTask.new

desc "Lint"
task lint: %i[rubocop]

task :ci => [:test, :features] do
  sh "bundle exec rake spec"
end

task default: :ci
"""


def test_rake_tasks_and_test_task_classes(build: Build) -> None:
    found = tasks(root(build, {"Rakefile": RAKEFILE, "Gemfile": "source 'x'\n"}), "rake")
    assert list(found) == ["test", "features", "spec", "lint", "ci", "default"]
    assert (found["features"].commands, found["features"].purpose) == (("cucumber",), "test")
    assert (found["spec"].commands, found["spec"].run) == (("rspec",), "bundle exec rake spec")
    assert (found["test"].line, found["test"].purpose) == (5, "test")
    assert found["lint"].needs == ("rubocop",)
    assert (found["ci"].needs, found["ci"].commands) == (
        ("test", "features"),
        ("bundle exec rake spec",),
    )
    assert found["default"].needs == ("ci",)


def test_poe_pdm_and_hatch_scripts(build: Build) -> None:
    pyproject = """\
[project]
name = "x"
[tool.poe.tasks]
test = "pytest"
lint = {cmd = "ruff check ."}
check = ["lint", "test"]
[tool.pdm.scripts]
_ = {env_file = ".env"}
typecheck = {shell = "mypy src"}
[tool.hatch.envs.default.scripts]
test = "pytest {args}"
[tool.hatch.envs.lint]
dependencies = ["ruff"]
features = ["types"]
[tool.hatch.envs.lint.scripts]
style = ["ruff check .", "ruff format --check ."]
"""
    sub = root(build, {"pyproject.toml": pyproject})
    assert {t.name: (t.runner, t.run, t.commands) for t in sub.tasks} == {
        "test": ("poe", "poe test", ("pytest",)),
        "lint": ("poe", "poe lint", ("ruff check .",)),
        "check": ("poe", "poe check", ("lint", "test")),
        "typecheck": ("pdm", "pdm run typecheck", ("mypy src",)),
        "default:test": ("hatch", "hatch run test", ("pytest {args}",)),
        "lint:style": ("hatch", "hatch run lint:style", ("ruff check .", "ruff format --check .")),
    }
    style = next(t for t in sub.tasks if t.name == "lint:style")
    assert style.deps == ("ruff", ".[types]")


README = """\
# Project

## Usage

```bash
project --help
```

## Running the tests

```console
$ pip install -e .[test]
Successfully installed project
$ pytest -q  # the unit tests
```
"""
CONTRIBUTING = """\
Contributing
============

Set up::

    $ make install

Then

.. code-block:: bash
   :caption: checks

   tox -e lint \\
     --parallel

Commit messages look like this:

```
subsystem: explaining the commit in one line, with detail.
Body of the commit message, a few lines of text, explaining things.
```
"""


def test_commands_documented_for_contributors(build: Build) -> None:
    sub = root(
        build,
        {"README.md": README, "CONTRIBUTING.rst": CONTRIBUTING, "setup.py": ""},
    )
    assert [(d.source, d.line, d.kind, d.heading, d.run) for d in sub.doc_commands] == [
        ("CONTRIBUTING.rst", 6, "setup", "Contributing", "make install"),
        ("CONTRIBUTING.rst", 13, "lint", "Contributing", "tox -e lint --parallel"),
        # the README's Usage section is for users; its testing section is for us
        ("README.md", 12, "setup", "Running the tests", "pip install -e .[test]"),
        ("README.md", 14, "test", "Running the tests", "pytest -q"),
    ]
