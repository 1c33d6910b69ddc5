"""Existing CI/CD pipelines and what they do; dependency update tooling."""

from __future__ import annotations

import re

from libs.analysis.parsing import load_json
from libs.analysis.report import CiInfo, Fact, Pipeline
from libs.analysis.tree import FileEntry, Tree

_PIPELINE_FILES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\.github/workflows/[^/]+\.ya?ml$"), "github_actions"),
    (re.compile(r"^\.gitlab-ci\.ya?ml$"), "gitlab_ci"),
    (re.compile(r"^\.circleci/config\.ya?ml$"), "circleci"),
    (re.compile(r"^\.travis\.ya?ml$"), "travis"),
    (
        re.compile(r"^(?:\.azure-pipelines/.+|azure-pipelines(?:/.+|[\w.-]*))\.ya?ml$"),
        "azure_pipelines",
    ),
    (re.compile(r"^(?:.+/)?Jenkinsfile(?:\.[\w-]+)?$"), "jenkins"),
    (re.compile(r"^bitbucket-pipelines\.ya?ml$"), "bitbucket"),
)
_TESTS = re.compile(
    r"\b(?:pytest|tox|nox|unittest|(?:npm|pnpm|bun)\s+(?:run\s+)?test|yarn\s+(?:run\s+)?test"
    r"|jest|vitest|mocha|go\s+test|gotestsum|cargo\s+(?:test|nextest)|mvnw?\s+[^\n]*\b(?:test|verify)"
    r"|gradlew?\s+[^\n]*\b(?:test|check|build)|rspec|rake\s+test|rails\s+test|phpunit|pest"
    r"|dotnet\s+test|mix\s+test|ctest|make\s+(?:test|check)|swift\s+test|xcodebuild\s+[^\n]*test"
    r"|playwright\s+test|cypress\s+run)\b",
    re.I,
)
_LINT = re.compile(
    r"(?:\blint\b|\blint:|\b(?:ruff|flake8|pylint|mypy|eslint|golangci-lint|clippy|rubocop"
    r"|phpstan|psalm|php-cs-fixer|checkstyle|spotless|ktlint|pre-commit|super-linter|shellcheck"
    r"|hadolint|credo|swiftlint|biome|stylelint|prettier\s+(?:--check|-c))\b"
    r"|black\s+--check|cargo\s+fmt|gofmt|mix\s+format|dotnet\s+format)",
    re.I,
)
_BUILD = re.compile(
    r"\b(?:(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?build|docker\s+build|docker/build-push-action"
    r"|buildx|go\s+build|cargo\s+build|mvnw?\s+[^\n]*\b(?:package|install|verify)"
    r"|gradlew?\s+[^\n]*\b(?:build|assemble)|dotnet\s+(?:build|publish)|python\s+-m\s+build"
    r"|(?:poetry|uv|hatch|pdm)\s+build|cmake\s+--build|swift\s+build|mix\s+compile|goreleaser"
    r"|make(?:\s+(?:build|all))?\s*$)",
    re.I | re.M,
)
_CACHE = re.compile(
    r"(?:actions/cache|\bcache:|save_cache|restore_cache|\bCache@\d|rust-cache|enable-cache"
    r"|bundler-cache|setup-gradle|cache-dependency-path)",
    re.I,
)
_RELEASE = re.compile(
    r"(?:^\s*release:|\btags:|\bgh-action-pypi-publish|action-gh-release|actions/create-release"
    r"|goreleaser|semantic-release|changesets/action|release-please|\bnpm\s+publish|twine\s+upload"
    r"|(?:poetry|uv|hatch|pdm|flit)\s+publish|cargo\s+publish|gem\s+push|docker\s+push|push:\s*true"
    r"|mvnw?\s+[^\n]*\bdeploy|gradlew?\s+[^\n]*\bpublish|nuget\s+push)",
    re.I | re.M,
)
RENOVATE_FILES = (
    "renovate.json",
    "renovate.json5",
    ".renovaterc",
    ".renovaterc.json",
    ".renovaterc.json5",
    ".github/renovate.json",
    ".github/renovate.json5",
    ".gitlab/renovate.json",
)


def pipeline_files(tree: Tree) -> list[tuple[FileEntry, str]]:
    """Every CI configuration file with its system, in path order."""
    found: list[tuple[FileEntry, str]] = []
    for entry in tree.files:
        for pattern, system in _PIPELINE_FILES:
            if pattern.match(entry.path):
                found.append((entry, system))
                break
    return found


def analyse_ci(tree: Tree) -> CiInfo:
    pipelines: list[Pipeline] = []
    for entry, system in pipeline_files(tree):
        text = tree.read_text(entry.path) or ""
        pipelines.append(
            Pipeline(
                system=system,  # type: ignore[arg-type]
                path=entry.path,
                runs_tests=_TESTS.search(text) is not None,
                runs_lint=_LINT.search(text) is not None,
                builds=_BUILD.search(text) is not None,
                caches=_CACHE.search(text) is not None or _implicit_cache(text),
                releases=_RELEASE.search(text) is not None,
            )
        )
    return CiInfo(pipelines=pipelines, dependency_update_tools=update_tools(tree))


def _implicit_cache(text: str) -> bool:
    # setup-go caches by default since v4, as does setup-gradle
    return re.search(r"actions/setup-go@v(?:[4-9]|\d\d)", text) is not None


def update_tools(tree: Tree) -> list[Fact]:
    found: list[Fact] = []
    for name in (".github/dependabot.yml", ".github/dependabot.yaml"):
        if tree.has(name):
            found.append(Fact(name="dependabot", source=name))
            break
    for name in RENOVATE_FILES:
        if tree.has(name):
            found.append(Fact(name="renovate", source=name))
            break
    else:
        if tree.has("package.json") and "renovate" in load_json(tree, "package.json"):
            found.append(Fact(name="renovate", source="package.json"))
    return found
