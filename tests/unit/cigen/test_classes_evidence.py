"""Failure classes fixed by preferring the repository's own evidence (its CI, task-runner
recipes, lockfile formats, enforced versions) over our defaults (issue 13, sections 1-2).
Each decision is a note naming the file it came from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from libs.analysis import analyze
from libs.analysis.report import CiCommand, CiJob, Pipeline, Task
from libs.cigen import generate
from libs.cigen.evidence import ci_commands
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.fixtures import generated

PYPROJECT = '[project]\nname = "pkg"\n[dependency-groups]\ndev = ["pytest>=8"]\n'
CI = """name: tests
on:
  push:
    branches: [master]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    env:
      COLUMNS: "120"
      CODECOV_TOKEN: ${{ secrets.CODECOV_TOKEN }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -e . pytest
      - run: pytest tests
        env:
          TZ: UTC
"""


def test_tests_run_with_the_env_the_repositorys_ci_sets(tmp_path: Path) -> None:
    """rich's tests assume a terminal width its CI sets; the test job's plain variables
    come along (never secrets, runner variables or service addresses)."""
    files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".github/workflows/tests.yml": CI,
    }
    result = generated(tmp_path, files)
    env = result.job("python")["env"]
    assert env["COLUMNS"] == "120"
    assert env["TZ"] == "UTC"
    assert "CODECOV_TOKEN" not in env
    assert (
        "the repository root: Python tests run with COLUMNS=120, as "
        ".github/workflows/tests.yml runs them"
    ) in result.notes


BACKENDS = """on: [push, pull_request]
jobs:
  mysql:
    runs-on: ubuntu-latest
    services:
      mariadb:
        image: mariadb
    steps:
      - run: pip install -e . pytest
      - run: pytest
        env:
          DB_BACKEND: mysql
          DB_PORT: "3306"
  postgres:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgis/postgis:14-3.1
    steps:
      - run: pip install -e . pytest
      - run: pytest
        env:
          DB_BACKEND: postgresql
  sqlite:
    runs-on: ubuntu-latest
    steps:
      - run: pip install -e . pytest
      - run: pytest
        env:
          DB_BACKEND: sqlite3
          DB_NAME: ":memory:"
"""


def test_tests_run_with_the_env_of_one_ci_job_whose_services_ours_provide(
    tmp_path: Path,
) -> None:
    """django-debug-toolbar tests on MySQL, PostgreSQL and SQLite in three CI jobs; the
    variables of all three together (DB_BACKEND=mysql beside DB_NAME=:memory:) pointed
    our job, which runs no MySQL, at one. One job's variables come along: the job whose
    service containers ours provide."""
    files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".github/workflows/test.yml": BACKENDS,
    }
    env = generated(tmp_path / "none", files).job("python")["env"]
    assert (env["DB_BACKEND"], env["DB_NAME"]) == ("sqlite3", ":memory:")
    postgres = PYPROJECT.replace('"pytest>=8"', '"pytest>=8", "psycopg>=3"')
    result = generated(tmp_path / "postgres", {**files, "pyproject.toml": postgres})
    env = result.job("python")["env"]
    assert env["DB_BACKEND"] == "postgresql"
    assert "DB_NAME" not in env
    assert [image.split(":")[0] for image in _images(result.job("python"))] == ["postgres"]


def _images(job: dict[str, Any]) -> list[str]:
    return [str(service["image"]) for service in job.get("services", {}).values()]


def test_push_triggers_follow_the_branch_the_repositorys_ci_runs_on(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".github/workflows/tests.yml": CI,
    }
    result = generated(tmp_path, files)  # no default branch given
    assert result.workflow["on"]["push"] == {"branches": ["master"]}
    assert "pushes to `master` run the workflow, as .github/workflows/tests.yml runs on them" in (
        result.notes
    )


def test_pnpm_reads_the_lockfile_format_it_is_given(tmp_path: Path) -> None:
    """pnpm 10 refuses a v6 lockfile (pnpm 8's) under --frozen-lockfile."""
    files = {
        "package.json": json.dumps({"scripts": {"test": "vitest run"}}),
        "pnpm-lock.yaml": "lockfileVersion: '6.0'\n",
    }
    result = generated(tmp_path, files)
    assert result.step("node", "pnpm/action-setup")["with"]["version"] == "8.15.9"
    assert (
        "the repository root: pnpm 8.15.9: pnpm-lock.yaml is lockfile v6.0, which pnpm 8 reads"
    ) in result.notes


GO = {
    "go.mod": "module example.org/tool\n\ngo 1.23\n",
    "main.go": "package main\n\nfunc main() {}\n" * 20,
    "main_test.go": "package main\n",
}


def test_make_lint_gets_the_linter_its_recipe_runs(tmp_path: Path) -> None:
    """cobra: `make lint` runs golangci-lint, which no runner has."""
    files = {
        **GO,
        "Makefile": "lint:\n\tgolangci-lint run -v\ntest:\n\tgo test ./...\n",
        ".golangci.yml": 'version: "2"\n',
    }
    runs = generated(tmp_path, files).runs("go")
    install = "go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.5.0"
    assert runs.index(install) < runs.index("make lint")


def test_a_make_target_needing_another_toolchain_is_not_run(tmp_path: Path) -> None:
    """fzf: `make lint` also runs `bundle exec rubocop`, which the Go job cannot."""
    files = {
        **GO,
        "Makefile": "lint:\n\tgofmt -l .\n\tbundle exec rubocop\ntest:\n\tgo test ./...\n",
    }
    result = generated(tmp_path, files)
    assert "make lint" not in result.runs("go")
    assert "go vet ./..." in result.runs("go")  # our own lint step instead
    assert any("its recipe runs `bundle exec rubocop`" in n for n in result.notes)


def test_the_build_runs_after_a_test_script_that_lints(tmp_path: Path) -> None:
    """sindresorhus' packages: `"test": "xo && ava"`; a build step before it wrote dist/,
    which xo then linted."""
    package = {"scripts": {"test": "xo && ava", "build": "tsc"}, "devDependencies": {"ava": "^6"}}
    files = {"package.json": json.dumps(package), "package-lock.json": "{}"}
    runs = generated(tmp_path, files).runs("node")
    assert runs.index("npm test") < runs.index("npm run build")


def test_the_build_jdk_is_within_what_the_maven_enforcer_requires(tmp_path: Path) -> None:
    """gson: release 8, and an enforcer rule `[17,22)`: the build runs on 17."""
    pom = """<project>
      <properties><maven.compiler.release>8</maven.compiler.release></properties>
      <build><plugins><plugin><artifactId>maven-enforcer-plugin</artifactId>
        <executions><execution><configuration><rules>
          <requireJavaVersion><version>[21,22)</version></requireJavaVersion>
        </rules></configuration></execution></executions>
      </plugin></plugins></build>
      <dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId>
      </dependency></dependencies>
    </project>"""
    result = generated(tmp_path, {"pom.xml": pom})
    assert result.step("java", "actions/setup-java")["with"]["java-version"] == "21"
    assert any("enforces Java [21,22)" in n for n in result.notes)


def test_an_old_locked_rails_gets_a_ruby_it_runs_on(tmp_path: Path) -> None:
    """Rails 6.1 locked in Gemfile.lock and no Ruby pinned: the default (3.4) cannot boot
    it; the newest Ruby Rails 6.1 supports can."""
    lock = (
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (6.1.7)\n"
        "      actionpack (= 6.1.7)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails (~> 6.1)\n"
    )
    files = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 6.1'\n",
        "Gemfile.lock": lock,
        "test/models/user_test.rb": "require 'test_helper'\n",
        "test/test_helper.rb": "require 'minitest/autorun'\n",
    }
    result = generated(tmp_path, files)
    assert result.step("ruby", "ruby/setup-ruby")["with"]["ruby-version"] == "3.0"


def test_no_formatter_check_the_repositorys_ci_does_not_run(tmp_path: Path) -> None:
    """elysia: a .prettierrc, and 69 files prettier would rewrite: its CI never checks
    formatting, so `prettier --check .` failed our first run. Without CI of its own, a
    configured formatter is checked."""
    package = {"scripts": {"test": "vitest run"}, "devDependencies": {"prettier": "^3"}}
    files = {
        "package.json": json.dumps(package),
        "package-lock.json": "{}",
        ".prettierrc": "{}",
    }
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"
    checked = generated(tmp_path / "no-ci", files)
    assert "npx --no-install prettier --check ." in checked.runs("node")
    unchecked = generated(tmp_path / "ci", {**files, ".github/workflows/t.yml": ci})
    assert "npx --no-install prettier --check ." not in unchecked.runs("node")
    assert any("does not check formatting with prettier" in n for n in unchecked.notes)


def test_a_format_script_whose_body_checks_runs(tmp_path: Path) -> None:
    """hono: `"format": "prettier --check --cache src"`. Its name does not say it checks,
    its body does: it runs, rather than our broader `prettier --check .`."""
    package = {
        "scripts": {"test": "vitest run", "format": "prettier --check --cache src"},
        "devDependencies": {"prettier": "^3", "vitest": "^3"},
    }
    files = {"package.json": json.dumps(package), "package-lock.json": "{}", ".prettierrc": "{}"}
    runs = generated(tmp_path, files).runs("node")
    assert "npm run format" in runs
    assert "npx --no-install prettier --check ." not in runs


def test_no_formatter_check_where_the_repositorys_lint_script_runs_it(tmp_path: Path) -> None:
    """ofetch: `"lint": "eslint . && prettier -c src test"`, run by its CI as `pnpm lint`.
    Our `prettier --check .` beside it checked its changelog too, which it never
    formats; the lint script checks what the project chose."""
    package = {
        "scripts": {"lint": "eslint . && prettier -c src test", "test": "vitest run"},
        "devDependencies": {"prettier": "^3", "eslint": "^9", "vitest": "^3"},
    }
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pnpm lint\n"
    files = {
        "package.json": json.dumps(package),
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        ".prettierrc": "{}",
        "eslint.config.mjs": "export default []\n",
        ".github/workflows/ci.yml": ci,
    }
    result = generated(tmp_path, files)
    assert "pnpm run lint" in result.runs("node")
    assert not [run for run in result.runs("node") if "prettier" in run]
    assert any("`pnpm run lint` runs prettier" in note for note in result.notes)


def test_ci_that_starts_a_script_by_its_short_name_reads_its_body() -> None:
    """`pnpm lint` in CI is the `lint` script, recorded as `pnpm run lint`: its body
    (`prettier -c src`) is what the CI checks with."""
    job = CiJob(name="t", commands=[CiCommand(run="pnpm lint", kind="lint")])
    pipeline = Pipeline(system="github_actions", path=".github/workflows/ci.yml", jobs=[job])
    lint = Task(
        runner="pnpm",
        name="lint",
        run="pnpm run lint",
        source="package.json",
        commands=("prettier -c src",),
    )
    unused = Task(
        runner="pnpm",
        name="fmt",
        run="pnpm run fmt",
        source="package.json",
        commands=("prettier -w .",),
    )
    assert ci_commands([pipeline], [lint, unused]) == ("pnpm lint", "prettier -c src")


def test_a_runtime_nothing_declares_takes_the_version_its_ci_sets_up(tmp_path: Path) -> None:
    """mealie's frontend declares no Node.js version; its CI builds it on 16, and on our
    default 24 `yarn install` refused @nuxt/types 2 (engines ^14 ... ^19)."""
    ci = (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/setup-node@v4\n        with:\n          node-version: 16\n"
        "      - run: yarn build\n        working-directory: frontend\n"
    )
    files = {
        "frontend/package.json": json.dumps({"scripts": {"build": "nuxt build"}}),
        "frontend/yarn.lock": "# yarn lockfile v1\n",
        ".github/workflows/frontend.yml": ci,
    }
    result = generated(tmp_path, files)
    setup = result.step("frontend", "actions/setup-node")
    assert setup["with"]["node-version"] == "16"


def test_a_repository_with_submodules_checks_them_out(tmp_path: Path) -> None:
    """tomlkit's tests read tests/toml-test, a git submodule its CI checks out: ours
    checked out without it, and the tests failed on missing files."""
    files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".gitmodules": '[submodule "tests/toml-test"]\n\tpath = tests/toml-test\n',
    }
    result = generated(tmp_path / "github", files)
    assert result.step("python", "actions/checkout")["with"]["submodules"] == "recursive"
    gitlab = generated(tmp_path / "gitlab", files, platform="gitlab")
    assert gitlab.workflow["variables"] == {"GIT_SUBMODULE_STRATEGY": "recursive"}
    del files[".gitmodules"]
    plain = generated(tmp_path / "plain", files)
    assert "submodules" not in plain.step("python", "actions/checkout")["with"]


def test_uv_installs_every_extra_where_the_repositorys_ci_does(tmp_path: Path) -> None:
    """pydantic-settings' CI runs `uv sync --group testing --all-extras`: its docs
    examples, which its tests run, import what the extras bring (ModuleNotFoundError)."""
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: uv sync --group testing --all-extras\n      - run: uv run pytest\n"
    )
    files = {
        "pyproject.toml": PYPROJECT,
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
    }
    assert generated(tmp_path / "plain", files).runs("python")[0] == "uv sync --locked"
    extras = generated(tmp_path / "ci", {**files, ".github/workflows/ci.yml": ci})
    assert extras.runs("python")[0] == "uv sync --locked --all-extras"


def test_a_uv_workspace_syncs_its_members_only_where_the_repositorys_ci_does(
    tmp_path: Path,
) -> None:
    """mcp's CI runs `uv sync --frozen --all-extras`: the root and what it depends on.
    `uv sync --all-packages` also built an example client whose pyproject names a
    README.md it ships as README.MD, which fails on Linux."""
    files = {
        "pyproject.toml": PYPROJECT + '[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "uv.lock": "version = 1\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        "packages/client/pyproject.toml": '[project]\nname = "client"\nreadme = "README.md"\n',
        "packages/client/client/__init__.py": "",
    }
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: uv sync --frozen {flags}\n      - run: uv run pytest\n"
    )
    alone = generated(tmp_path / "no-ci", files)
    assert alone.runs("python")[0] == "uv sync --locked --all-packages"
    # (--frozen as the CI installs: test_uv_installs_frozen_where_the_repositorys_ci_does)
    root = generated(tmp_path / "root", {**files, ".github/workflows/ci.yml": ci.format(flags="")})
    assert root.runs("python")[0] == "uv sync --frozen"
    assert any("`uv sync` without --all-packages" in note for note in root.notes)
    every = {**files, ".github/workflows/ci.yml": ci.format(flags="--all-packages")}
    assert generated(tmp_path / "all", every).runs("python")[0] == "uv sync --frozen --all-packages"
    one = {**files, ".github/workflows/ci.yml": ci.format(flags="--package client")}
    assert generated(tmp_path / "one", one).runs("python")[0] == "uv sync --frozen"


def test_no_tsc_step_where_the_repositorys_ci_never_type_checks(tmp_path: Path) -> None:
    """immer: a tsconfig.json, and CI that runs `yarn test` only: bare `tsc --noEmit`
    had never run there, and failed on the @types/node its lockfile holds."""
    package = {"scripts": {"test": "vitest run"}, "devDependencies": {"typescript": "^5"}}
    files = {
        "package.json": json.dumps(package),
        "package-lock.json": "{}",
        "tsconfig.json": "{}",
    }
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"
    alone = generated(tmp_path / "no-ci", files)
    assert "npx --no-install tsc --noEmit" in alone.runs("node")
    with_ci = generated(tmp_path / "ci", {**files, ".github/workflows/t.yml": ci})
    assert "npx --no-install tsc --noEmit" not in with_ci.runs("node")
    assert any("does not type-check" in note for note in with_ci.notes)


SETUP_CI = """name: ci
on: [push, pull_request]
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: "22"
      - run: npm ci
      - name: Generate types
        working-directory: site
        run: npx astro sync
      - run: npx prisma generate
      - name: Publish a preview
        run: npm run deploy:preview
      - name: Build with a token
        env:
          API_TOKEN: ${{ secrets.API_TOKEN }}
        run: npm run build
      - run: echo "ready"
      - run: NODE_ENV=test npm run build
      - run: npm run lint
      - run: npm run codegen
"""


def test_setup_commands_the_repositorys_ci_runs_before_its_checks_come_along(
    tmp_path: Path,
) -> None:
    """starlight's CI runs `pnpm astro sync` (generated types) before it lints; linted
    without them, 169 errors. Commands that generate files, between the CI's install and
    its checks, run right after our install, in their folder; never a deploy, a step
    with its own (secret) variables or a line that sets them (`MIX_ENV=test mix compile`,
    which shellcheck flags), one that generates nothing, or one after the checks."""
    files = {
        "package.json": json.dumps(
            {
                "scripts": {"lint": "eslint .", "deploy:preview": "x", "codegen": "y"},
                "devDependencies": {"eslint": "^9.0.0"},
            }
        ),
        "package-lock.json": json.dumps({"lockfileVersion": 3}),
        "eslint.config.js": "export default [];\n",
        "site/astro.config.mjs": "export default {};\n",
        ".github/workflows/ci.yml": SETUP_CI,
    }
    result = generated(tmp_path, files)
    runs = result.runs("node")
    install, lint = runs.index("npm ci"), runs.index("npm run lint")
    assert runs[install + 1 : lint] == ["cd site && npx astro sync", "npx prisma generate"]
    assert not [r for r in runs if "deploy" in r or "build" in r or "echo" in r or "codegen" in r]
    assert (
        "the repository root: the Node.js job runs `cd site && npx astro sync` before its "
        "checks, as .github/workflows/ci.yml does (it writes files they read)"
    ) in result.notes
    # GitLab runs a job's script lines in one shell: the `cd` stays in a subshell
    script = generated_gitlab(tmp_path)["node"]["script"]
    assert script[script.index("npm ci") + 1] == "(cd site && npx astro sync)"


APT_CI = """name: backend
on: [push, pull_request]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install dependencies
        run: |
          sudo apt-get update
          sudo apt-get install -y --no-install-recommends \
            libsasl2-dev libldap2-dev postgresql redis-server
          pip install -r requirements.txt
      - run: pytest
  docs:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
      - run: sudo apt-get install -y libvips-dev && npm ci
      - run: npm test
"""


def test_build_headers_the_repositorys_ci_installs_with_apt_are_installed(
    tmp_path: Path,
) -> None:
    """python-ldap builds from source against libldap2-dev/libsasl2-dev, which mealie's CI
    installs with apt; without them `poetry install` fails. The Python job installs the
    -dev packages (never services, nor another ecosystem's job's packages) first; GitLab
    images run as root, without sudo."""
    files = {
        "requirements.txt": "python-ldap==3.4.4\npytest==8.3.0\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        ".github/workflows/backend.yml": APT_CI,
    }
    result = generated(tmp_path, files)
    steps = result.job("python")["steps"]
    names = [s.get("name") for s in steps]
    apt = steps[names.index("Install system packages")]
    assert apt["run"] == (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "libsasl2-dev libldap2-dev"
    )
    runs = result.runs("python")
    assert runs.index(apt["run"]) < next(i for i, r in enumerate(runs) if "pip install" in r)
    assert (
        "the repository root: the Python job installs libsasl2-dev, libldap2-dev with apt "
        "first, as .github/workflows/backend.yml does"
    ) in result.notes
    gitlab = generated_gitlab(tmp_path)
    assert (
        "apt-get update && apt-get install -y --no-install-recommends libsasl2-dev libldap2-dev"
        in gitlab["python"]["script"]
    )


def generated_gitlab(root: Path) -> dict[str, Any]:
    generation = generate(analyze(root), platform="gitlab", code_scanning=False)
    assert generation.valid, generation.validation.findings
    found: dict[str, Any] = parse_yaml(generation.content)
    return found


DOCKERFILE = """FROM python:3.12-slim AS builder
RUN apt-get update \\
    && apt-get install --no-install-recommends -y \\
    curl \\
    # headers python-ldap builds against
    libsasl2-dev libldap2-dev \\
    && rm -rf /var/lib/apt/lists/*
COPY . /app
RUN pip install -r /app/requirements.txt

FROM python:3.12-slim
RUN apt-get update && apt-get install -y libldap-2.5 gosu
"""


def test_without_ci_the_build_headers_come_from_the_projects_dockerfile(tmp_path: Path) -> None:
    """A project with no CI of its own whose Dockerfile installs the headers its
    dependencies build against: the job installs those (-dev packages and build tools
    only: not curl, nor the runtime stage's libraries), naming the Dockerfile."""
    files = {
        "requirements.txt": "python-ldap==3.4.4\npytest==8.3.0\n",
        "tests/test_pkg.py": "def test_pkg(): pass\n",
        "docker/Dockerfile": DOCKERFILE,
    }
    result = generated(tmp_path, files)
    assert result.runs("python")[0] == (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "libsasl2-dev libldap2-dev"
    )
    assert (
        "the repository root: the Python job installs libsasl2-dev, libldap2-dev with apt "
        "first, as docker/Dockerfile does"
    ) in result.notes


SCHEDULED_CI = """name: icons
on:
  schedule:
    - cron: "0 0 * * 0"
  workflow_dispatch:
jobs:
  icons:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pnpm i
      - run: pnpm build
        working-directory: packages/icons
"""


def test_a_package_built_only_on_a_schedule_stays_out_of_the_every_package_build(
    tmp_path: Path,
) -> None:
    """starlight's file-icons generator `build`s by cloning another repository and
    rewriting checked-in files, in a weekly workflow that opens a pull request; the
    every-package build names the other packages instead."""
    package = json.dumps({"name": "x", "scripts": {"build": "tsc", "test": "vitest run"}})
    files = {
        "package.json": json.dumps({"name": "root", "private": True}),
        "pnpm-workspace.yaml": "packages:\n  - packages/*\n",
        "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
        "packages/core/package.json": package,
        "packages/icons/package.json": package,
        ".github/workflows/icons.yml": SCHEDULED_CI,
    }
    result = generated(tmp_path, files)
    runs = result.runs("node")
    assert "pnpm --if-present --filter ./packages/core run build" in runs
    assert "pnpm -r --if-present run test" in runs
    assert (
        "the repository root: the build of every package leaves out packages/icons, whose "
        "build .github/workflows/icons.yml runs only on a schedule or by hand"
    ) in result.notes


def test_browsers_a_test_suite_drives_are_installed_as_the_repositorys_ci_installs_them(
    tmp_path: Path,
) -> None:
    """ky: ava tests launch browsers through the `playwright` package after its CI's
    `npx playwright install --with-deps`; without that step 50 tests failed."""
    package = {"scripts": {"test": "ava"}, "devDependencies": {"ava": "^6", "playwright": "^1"}}
    files = {"package.json": json.dumps(package), "package-lock.json": "{}"}
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: npm install\n      - run: npx playwright install --with-deps\n"
        "      - run: npm test\n"
    )
    with_ci = generated(tmp_path / "ci", {**files, ".github/workflows/t.yml": ci})
    runs = with_ci.runs("node")
    assert runs.index("npx playwright install --with-deps") == runs.index("npm ci") + 1
    assert runs.index("npx playwright install --with-deps") < runs.index("npm test")
    assert any("installs the browsers its tests drive" in note for note in with_ci.notes)
    assert "npx playwright install --with-deps" not in generated(tmp_path / "no", files).runs(
        "node"
    )
    # mealie: the browsers its CI installs are for the e2e suite of another folder
    e2e = (
        "on: push\njobs:\n  e2e:\n    runs-on: ubuntu-latest\n"
        "    defaults:\n      run:\n        working-directory: ./tests/e2e\n    steps:\n"
        "      - run: yarn\n      - run: yarn playwright install --with-deps\n"
        "      - run: yarn playwright test\n"
    )
    elsewhere = generated(tmp_path / "e2e", {**files, ".github/workflows/e2e.yml": e2e})
    assert not [run for run in elsewhere.runs("node") if "playwright" in run]


def test_the_package_is_installed_with_the_extras_its_ci_installs_before_pytest(
    tmp_path: Path,
) -> None:
    """black: its tox env runs `pip install -e .[d]`, then pytest; its blackd tests stop
    at collection ("Please install Black with the 'd' extra") without aiohttp."""
    pyproject = (
        '[project]\nname = "pkg"\n[project.optional-dependencies]\nd = ["aiohttp>=3.10"]\n'
        'jupyter = ["ipython"]\n[dependency-groups]\ntests = ["pytest>=7"]\n'
    )
    tox = (
        "[tox]\nenvlist = py\n[testenv]\nskip_install = True\ndependency_groups = tests\n"
        "commands =\n"
        "    pip install -e .[d]\n    pytest tests\n    pip install -e .[jupyter]\n"
        "    pytest tests -m jupyter\n"
    )
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: python -m pip install tox\n      - run: tox -e py\n"
    )
    files = {"pyproject.toml": pyproject, "tests/test_pkg.py": "def test_pkg(): pass\n"}
    with_ci = generated(tmp_path / "ci", {**files, "tox.ini": tox, ".github/workflows/t.yml": ci})
    install = next(r for r in with_ci.runs("python") if "-e " in r)
    assert install.startswith('python -m pip install -e ".[d]"'), install
    assert any("extras d, as the repository's CI installs it" in n for n in with_ci.notes)
    plain = generated(tmp_path / "plain", files)
    assert not any(".[d]" in r for r in plain.runs("python"))


def test_a_runtime_nothing_declares_takes_the_newest_its_ci_tests_on(tmp_path: Path) -> None:
    """uuid declares no Node.js version; its browser job tests on 20, its test job on 20,
    22 and 24, and its lint job sets up 25: the first job's 20 was taken."""
    job = (
        "  {name}:\n    runs-on: ubuntu-latest\n{matrix}    steps:\n"
        "      - uses: actions/setup-node@v4\n        with:\n          node-version: {version}\n"
        "      - run: {run}\n"
    )
    matrix = "    strategy:\n      matrix:\n        node: [20.x, 22.x, 24.x]\n"
    ci = "on: push\njobs:\n" + "".join(
        job.format(name=name, matrix=m, version=v, run=run)
        for name, m, v, run in (
            ("browser", "", "20.x", "npm test"),
            ("lint", "", "25.x", "npm run lint"),
            ("test", matrix, "${{ matrix.node }}", "npm test"),
        )
    )
    files = {
        "package.json": json.dumps({"scripts": {"test": "node --test", "lint": "eslint ."}}),
        "package-lock.json": "{}",
        ".github/workflows/ci.yml": ci,
    }
    setup = generated(tmp_path, files).step("node", "actions/setup-node")
    assert setup["with"]["node-version"] == "24"


def test_what_the_workflow_adds_is_claimed_only_where_no_existing_pipeline_does_it(
    tmp_path: Path,
) -> None:
    """requests' CI runs `make ci` (its recipe runs pytest), fastify's calls a reusable
    workflow, commons-lang's Maven runs its default goal, tenacity's `poe ${{ matrix.task
    }}`: "adds tests, which no existing pipeline runs" was said of each, and was false."""
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {run}\n"
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n',
        "requirements-dev.txt": "pytest==9.0.0\n",
        "Makefile": "ci:\n\tpytest tests\n",
        "tests/test_a.py": "",
    }
    claim = "It adds tests, which no existing pipeline runs."
    for name, run in (("make", "make ci"), ("matrix", "poe ${{ matrix.task }}")):
        ours = generated(tmp_path / name, {**files, ".github/workflows/ci.yml": ci.format(run=run)})
        assert claim not in ours.generation.explanation, name
    reusable = "on: push\njobs:\n  test:\n    uses: org/workflows/.github/workflows/ci.yml@v6\n"
    ours = generated(tmp_path / "reusable", {**files, ".github/workflows/ci.yml": reusable})
    assert claim not in ours.generation.explanation
    release = ci.format(run="python -m build")
    ours = generated(tmp_path / "release", {**files, ".github/workflows/ci.yml": release})
    assert claim in ours.generation.explanation


def test_a_repository_check_command_its_ci_never_runs_gets_no_step(tmp_path: Path) -> None:
    """viper's `make lint` needs a golangci-lint its Makefile pins to a release that cannot
    read the configuration; its CI lints with golangci-lint-action instead. A lint or
    type-check command of the repository's runs where its CI runs it (as each leg of a
    matrix: tenacity's `poe ${{ matrix.task }}`), its enforced git hooks do (arq's local
    hook runs `make mypy`), or there is no CI."""
    makefile = "lint:\n\tgolangci-lint run\ntest:\n\tgo test ./...\n"
    ci = (
        "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n{matrix}    steps:\n"
        "      - uses: golangci/golangci-lint-action@v8\n      - run: {run}\n"
    )
    files = {
        "go.mod": "module example.com/m\n\ngo 1.24\n",
        "main.go": "package main\n",
        "main_test.go": "package main\n",
        "Makefile": makefile,
        ".github/workflows/ci.yml": ci.format(matrix="", run="go test ./..."),
    }
    result = generated(tmp_path / "action", files)
    assert "make lint" not in result.runs("go")
    assert (
        "the repository root: skipped `make lint` from Makefile: the repository's CI does "
        "not run it, so nothing shows the tree passes it"
    ) in result.notes
    matrix = "    strategy:\n      matrix:\n        task: [lint, test]\n"
    legs = {
        **files,
        ".github/workflows/ci.yml": ci.format(matrix=matrix, run="make ${{ matrix.task }}"),
    }
    assert "make lint" in generated(tmp_path / "matrix", legs).runs("go")
    del files[".github/workflows/ci.yml"]
    assert "make lint" in generated(tmp_path / "no-ci", files).runs("go")


def test_a_distribution_the_ci_builds_before_its_checks_is_not_carried(tmp_path: Path) -> None:
    """rubocop's linting job runs `gem build` and installs the gem it built: the .gem is
    nothing our checks read, and the job ran it before them "as linting.yml does"."""
    ci = (
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: ruby/setup-ruby@v1\n      - run: bundle install\n"
        "      - run: gem build\n      - run: bundle exec rspec\n"
    )
    files = {
        "Gemfile": "source 'https://rubygems.org'\ngem 'rspec'\n",
        "Gemfile.lock": "GEM\n  specs:\n    rspec (3.13.0)\n\nBUNDLED WITH\n   2.5.0\n",
        "x.gemspec": "Gem::Specification.new { |s| s.name = 'x' }\n",
        "spec/x_spec.rb": "",
        ".github/workflows/ci.yml": ci,
    }
    result = generated(tmp_path, files)
    assert "gem build" not in result.runs("ruby")
    assert "bundle exec rspec" in result.runs("ruby")


def test_tox_started_without_naming_an_environment_runs_its_env_list(tmp_path: Path) -> None:
    """attrs' CI runs a bare `tox run` (every environment, pyright's among them) and
    `tox run -f lint`; pyjwt's runs `python -m tox` through tox-gh-actions, which maps
    no Python to its lint environment: only its Python environments are sure to run."""
    tox = "[testenv]\ncommands = pytest\n[testenv:typing]\ncommands = mypy src\n"
    ci = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
    files = {
        "pyproject.toml": '[project]\nname = "pkg"\n',
        "requirements-dev.txt": "pytest==9.0.0\nmypy==1.18.0\n",
        "mypy.ini": "[mypy]\nfiles = src\n",
        "tox.ini": tox,
        "src/pkg/__init__.py": "",
        "tests/test_a.py": "",
    }
    whole = {**files, ".github/workflows/ci.yml": ci.format(steps="      - run: tox run\n")}
    assert "mypy" in generated(tmp_path / "whole", whole).runs("python")
    gh_actions = "      - run: pip install tox tox-gh-actions\n      - run: python -m tox\n"
    mapped = {**files, ".github/workflows/ci.yml": ci.format(steps=gh_actions)}
    assert "mypy" not in generated(tmp_path / "mapped", mapped).runs("python")
    # python-dotenv's `[gh-actions]` table maps 3.13 to its lint environment too
    table = "[gh-actions]\npython =\n    3.12: py312\n    3.13: py313, typing\n"
    told = {**mapped, "tox.ini": tox + table}
    assert "mypy" in generated(tmp_path / "told", told).runs("python")
