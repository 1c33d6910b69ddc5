"""What a shell command is for (test, lint, build, setup, other), and scripts cut into lines.

One classifier serves CI steps, task runner recipes and documented commands, so "the
repository's test command" means the same wherever it was found. A line that chains
commands (`pip install -e . && pytest`) takes the most telling kind of its parts: test,
then lint, then build, then setup.
"""

from __future__ import annotations

import re

from libs.analysis.lazy import LazyPattern
from libs.analysis.report import CommandKind, Purpose

TESTS = LazyPattern(
    r"\b(?:pytest|tox|nox|unittest|(?:npm|pnpm|bun)\s+(?:run\s+)?test|yarn\s+(?:run\s+)?test"
    r"|(?:npm|pnpm|yarn|bun)\b[^\n]*\brun\s+test|composer\s+(?:run-script\s+|run\s+)?test"
    r"|jest|vitest|mocha|go\s+test|gotestsum|cargo\s+(?:\+\S+\s+)?(?:hack\s+|llvm-cov\s+)?(?:test|nextest)|mvnw?\s+[^\n]*\b(?:test|verify)"
    r"|gradlew?\s+[^\n]*\b(?:test|check|build)|rspec|rake\s+test|rails\s+test|phpunit|pest"
    r"|dotnet\s+test|mix\s+test|ctest|make\s+(?:test|check)|swift\s+test|xcodebuild\s+[^\n]*test"
    r"|playwright\s+test|cypress\s+run|(?:flutter|dart)\s+test|sbt\s+[^\n]*\btest"
    r"|(?:manage(?:\.py)?|django-admin)\s+test)\b",
    re.I,
)
LINT = LazyPattern(
    r"(?:\blint\b|\blint:|\b(?:ruff|flake8|pylint|mypy|eslint|golangci-lint|clippy|rubocop"
    r"|phpstan|psalm|php-cs-fixer|checkstyle|spotless|ktlint|pre-commit|super-linter|shellcheck"
    r"|hadolint|credo|swiftlint|biome|stylelint|prettier\s+(?:--check|-c)"
    r"|tsc|pyright|typecheck|type-check|phpcs|dialyzer)\b"
    r"|black\s+--check|cargo\s+fmt|gofmt|go\s+vet|mix\s+format|dotnet\s+format"
    r"|(?:flutter|dart)\s+(?:analyze|format)|scalafmtCheck)",
    re.I,
)
BUILD = LazyPattern(
    r"\b(?:(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?build|(?:npm|pnpm|yarn|bun)\b[^\n]*\brun\s+build"
    r"|docker\s+build|docker/build-push-action"
    r"|buildx|go\s+build|cargo\s+build|mvnw?\s+[^\n]*\b(?:package|install|verify)"
    r"|gradlew?\s+[^\n]*\b(?:build|assemble)|dotnet\s+(?:build|publish)|python\s+-m\s+build"
    r"|(?:poetry|uv|hatch|pdm)\s+build|cmake\s+--build|swift\s+build|mix\s+compile|goreleaser"
    r"|sbt\s+[^\n]*\b(?:compile|package|assembly|test)|flutter\s+build|dart\s+compile"
    r"|make(?:\s+(?:build|all))?\s*$"
    # actions and tools that build distributions
    r"|build-and-inspect-python-package|\bcibuildwheel\b|maturin-action|maturin\s+build"
    r"|pyproject-build|tauri-apps/tauri-action|gradle/gradle-build-action)",
    re.I | re.M,
)
# configuring a build is building too: `cmake -B build`, `meson setup`, `./configure`
_BUILD_MORE = LazyPattern(
    r"^(?:cmake\s+(?:-[SBGD]|\.\.?(?:\s|$))|meson\s+(?:setup|compile)|ninja\b|(?:\.\.?/)+configure\b"
    r"|\./autogen\.sh\b|(?:sh\s+)?autogen\.sh\b"
    r"|(?:g?make|mingw32-make|nmake)(?:\s+-j\s*\d*|\s+-C\s+\S+)*\s*$|msbuild\b|bazel\s+build)",
    re.I,
)
# Installing dependencies and tools, and preparing what the tests need.
SETUP = LazyPattern(
    r"\b(?:sudo\s+)?(?:apt(?:-get)?|brew|choco|yum|dnf|apk|snap|pacman|port|zypper)"
    r"\s+(?:-\S+\s+)*(?:install|add|update|upgrade|tap)\b"
    r"|\bpip[\d.]*\s+install\b|\bpython[\d.]*\s+-m\s+pip\s+install|\bpy\s+-m\s+pip\s+install"
    r"|\bpipx\s+(?:install|inject)|\buv\s+(?:sync|pip\s+(?:install|sync)|tool\s+install|venv"
    r"|python\s+install)|\bpoetry\s+(?:install|self\s+add|config)|\bpdm\s+(?:install|sync)"
    r"|\bpipenv\s+(?:install|sync)|\bhatch\s+env\s+create|\b(?:conda|mamba|micromamba)"
    r"\s+(?:install|create|env\s+(?:create|update))"
    r"|^(?:npm|pnpm|bun)\s+(?:ci|install|i)\b|^yarn(?:\s+install)?(?:\s+--?[\w-]+(?:=\S+)?)*\s*$"
    r"|\b(?:npm|pnpm|yarn)\s+(?:i|install|add)\s+(?:-g|--global)\b|\byarn\s+global\s+add"
    r"|\bcorepack\s+(?:enable|prepare|use|install)"
    r"|\bbundle\s+(?:install|config|lock)|\bgem\s+(?:install|update)\b"
    r"|\bcomposer\s+(?:install|update|require|config|global\s+require|self-update)"
    r"|\bgo\s+(?:mod\s+(?:download|tidy|vendor)|install|get)\b|\bcargo\s+(?:install|fetch|binstall)"
    r"|\brustup\s+(?:toolchain\s+install|component\s+add|target\s+add|default|override|install)"
    r"|\bdotnet\s+(?:restore|tool\s+(?:install|restore)|workload\s+install)|\bnuget\s+restore"
    r"|\bmix\s+(?:do\s+)?(?:deps\.get|local\.hex|local\.rebar|deps\.compile|ecto\.(?:setup|create"
    r"|migrate|reset))|\brebar3\s+get-deps"
    r"|\bmvnw?\s+[^\n]*\bdependency:(?:resolve|go-offline)"
    r"|\bcp\s+(?:-\S+\s+)*\S*\.env[\w.-]*\s+\S*\.env\b"
    r"|\bphp\s+artisan\s+(?:key:generate|migrate|config:\w+|storage:link|db:seed|optimize)"
    r"|\b(?:bin/rails|rails|bin/rake|rake)\s+db:(?:create|setup|migrate|schema:load|prepare|seed"
    r"|test:prepare|structure:load)"
    r"|\bcreatedb\b|^psql\b|^mysql\s|\bdocker(?:-compose|\s+compose)\s+(?:up|pull)\b"
    r"|^export\s+\w+=|>>\s*\"?\$\{?GITHUB_(?:ENV|PATH)|^(?:source|\.)\s+\S*(?:activate|env)"
    r"|^git\s+(?:config|submodule|fetch|clone|lfs)\b|\b(?:curl|wget)\b[^|]*\|\s*(?:sudo\s+)?(?:ba)?sh"
    r"|\b(?:sdk|nvm|pyenv|rbenv|asdf|mise|fnm|volta)\s+(?:install|use|global|local|plugin)"
    r"|\bInstall-Product\b|\bInstall-Module\b|\bcinst\b"
    r"|^(?:cp|mkdir|ln|touch)\s"  # files a job prepares: config copies, build folders
    r"|^(?:g?make|just|task)\s+(?:install|deps|dependencies|setup|bootstrap|init|dev-install"
    r"|install-dev|venv|develop)\s*$",
    re.I,
)
# a task runner target named for tests (`make richtest`, `just test-all`), and Maven or
# Gradle told to skip the tests (which builds)
_RUNNER_TEST = LazyPattern(
    r"^(?:g?make|just|task|mise\s+run)\s+(?:-\S+(?:\s+[^-\s]\S*)?\s+)*"
    r"(?:[\w:.-]*test|(?:dist)?check\b|coverage\b|cov\b)"
    r"|\brake\s+(?:spec|features|cucumber)\b|\bcucumber\b|(?:^|/)scripts?/(?:test|tests)\b",
    re.I,
)
# linters the shared LINT pattern (which also decides a pipeline's runs_lint) leaves out
_LINT_MORE = LazyPattern(
    r"\b(?:standardrb|erb_lint|stylua|yamllint|markdownlint|codespell|typos)\b"
)
# tox and nox environment factors that say what an environment is for
FACTOR_PURPOSES: dict[str, Purpose] = {
    "lint": "lint",
    "linters": "lint",
    "style": "lint",
    "flake8": "lint",
    "ruff": "lint",
    "pre-commit": "lint",
    "precommit": "lint",
    "typing": "typecheck",
    "mypy": "typecheck",
    "types": "typecheck",
    "typecheck": "typecheck",
    "pyright": "typecheck",
    "format": "format",
    "fmt": "format",
    "build": "build",
    "pkg": "build",
    "package": "build",
    "test": "test",
    "tests": "test",
    "unit": "test",
}
# factors of environments that never run the test suite, whatever Python they name
NOT_TESTS = frozenset(
    {
        "docs",
        "doc",
        "docset",
        "dev",
        "release",
        "publish",
        "clean",
        "serve",
        "watch",
        "upload",
        "deploy",
        "bump",
        "coverage",
        "cov",
        "report",
        "combine",
    }
)
# `tox -e docs`, `nox -s release_build`, `tox run -e lint,typing`: the environments named
_ENVS = re.compile(r"\b(?:tox|nox)\b.*?\s(?:-e|-s|--sessions?|--env)(?:\s+|=)['\"]?([\w.,-]+)")
_AS_KIND: dict[str, CommandKind] = {
    "lint": "lint",
    "typecheck": "lint",
    "format": "lint",
    "build": "build",
}


def _env_kind(command: str) -> CommandKind | None:
    """What a tox or nox command is for when it names only environments that are not the
    test suite (pypa/packaging's `nox -s docs`, django-debug-toolbar's `tox -e docs`):
    the purpose their names say; None where one may run tests or none is named."""
    found = _ENVS.search(command)
    if found is None:
        return None
    kinds: set[CommandKind] = set()
    for name in filter(None, found.group(1).split(",")):
        factors = re.split(r"[-_]", name.lower())
        if NOT_TESTS & set(factors):
            kinds.add("other")
            continue
        purpose = next((FACTOR_PURPOSES[f] for f in factors if f in FACTOR_PURPOSES), "test")
        if purpose == "test":
            return None
        kinds.add(_AS_KIND[purpose])
    return next((k for k in ("lint", "build") if k in kinds), "other") if kinds else None


_SKIP_TESTS = LazyPattern(
    r"\b(?:mvnw?|gradlew?)\b.*(?:-DskipTests|-Dmaven\.test\.skip|-x\s+test\b)"
)
_CHAIN = re.compile(r"\s*(?:&&|\|\||;)\s*")
_ORDER: tuple[CommandKind, ...] = ("test", "lint", "build", "setup")


def classify(command: str) -> CommandKind:
    """The kind of one command line (see the module docstring)."""
    kinds = {_simple(part) for part in _CHAIN.split(command.strip()) if part.strip()}
    for kind in _ORDER:
        if kind in kinds:
            return kind
    return "other"


def _simple(command: str) -> CommandKind:
    command = command.strip("() ")  # a subshell: `(cd build && ../configure)`
    command = re.sub(r"^(?:sudo\s+(?:-\S+\s+)*|env\s+(?:\w+=\S*\s+)+|(?:\w+=\S*\s+)+)", "", command)
    if SETUP.search(command):
        return "setup"
    if LINT.search(command) or _LINT_MORE.search(command):
        return "lint"
    if _SKIP_TESTS.search(command):
        return "build"
    named = _env_kind(command)
    if named is not None:
        return named
    if TESTS.search(command) or _RUNNER_TEST.search(command):
        return "test"
    if BUILD.search(command) or _BUILD_MORE.search(command):
        return "build"
    return "other"


_APT_INSTALL = re.compile(r"^(?:sudo\s+(?:-\S+\s+)*)?apt(?:-get)?\s+(?:-\S+\s+)*install\s+(.*)$")


def apt_packages(line: str) -> list[str]:
    """The packages an `apt-get install` command line names (options left out), from
    each part of a chained line (`apt-get update && apt-get install -y libpq-dev`)."""
    found: list[str] = []
    for part in re.split(r"\s*(?:&&|\|\||;|\|)\s*", line.strip()):
        match = _APT_INSTALL.match(part.strip())
        if match is not None:
            found += [w for w in match.group(1).split() if not w.startswith("-")]
    return found


def dockerfile_apt_packages(text: str) -> list[str]:
    """The packages a Dockerfile's RUN instructions install with apt: instructions joined
    across their `\\` continuations, comment lines inside them skipped, as Docker reads them."""
    found: list[str] = []
    instruction: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and instruction):
            continue
        instruction.append(line.removesuffix("\\").strip())
        if line.endswith("\\"):
            continue
        joined, instruction = " ".join(instruction), []
        run = re.match(r"^RUN\s+(?:--\S+\s+)*(.*)$", joined, re.I)
        if run is not None:
            found += apt_packages(run.group(1))
    return found


def script_lines(script: str, first_line: int | None) -> list[tuple[str, int | None]]:
    """The logical lines of a shell script with the line each starts on: continuation
    lines (`\\`, PowerShell's backtick) joined, blank lines and comments dropped."""
    found: list[tuple[str, int | None]] = []
    pending: list[str] = []
    start: int | None = None
    for offset, raw in enumerate(script.splitlines()):
        line = raw.strip()
        if not pending:
            start = first_line + offset if first_line else None
            if not line or line.startswith(("#", "REM ", "rem ", "::")):
                continue
        if line.endswith(("\\", " `")):
            pending.append(line[:-1].rstrip())
            continue
        pending.append(line)
        joined = " ".join(part for part in pending if part)
        pending = []
        if joined:
            found.append((joined, start))
    if pending:
        found.append((" ".join(p for p in pending if p), start))
    return found
