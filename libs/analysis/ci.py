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
    r"|(?:npm|pnpm|yarn|bun)\b[^\n]*\brun\s+test|composer\s+(?:run-script\s+|run\s+)?test"
    r"|jest|vitest|mocha|go\s+test|gotestsum|cargo\s+(?:test|nextest)|mvnw?\s+[^\n]*\b(?:test|verify)"
    r"|gradlew?\s+[^\n]*\b(?:test|check|build)|rspec|rake\s+test|rails\s+test|phpunit|pest"
    r"|dotnet\s+test|mix\s+test|ctest|make\s+(?:test|check)|swift\s+test|xcodebuild\s+[^\n]*test"
    r"|playwright\s+test|cypress\s+run|(?:flutter|dart)\s+test|sbt\s+[^\n]*\btest)\b",
    re.I,
)
_LINT = re.compile(
    r"(?:\blint\b|\blint:|\b(?:ruff|flake8|pylint|mypy|eslint|golangci-lint|clippy|rubocop"
    r"|phpstan|psalm|php-cs-fixer|checkstyle|spotless|ktlint|pre-commit|super-linter|shellcheck"
    r"|hadolint|credo|swiftlint|biome|stylelint|prettier\s+(?:--check|-c)"
    r"|tsc|pyright|typecheck|type-check|phpcs|dialyzer)\b"
    r"|black\s+--check|cargo\s+fmt|gofmt|go\s+vet|mix\s+format|dotnet\s+format"
    r"|(?:flutter|dart)\s+(?:analyze|format)|scalafmtCheck)",
    re.I,
)
_BUILD = re.compile(
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
_CACHE = re.compile(
    r"(?:\bcache:\s*+(?!false\b|''|\"\"|$)|save_cache|restore_cache|\bCache@\d|enable-cache:\s*true"
    r"|bundler-cache:\s*true|setup-gradle|cache-dependency-(?:path|glob)"
    # an action whose name says it caches: actions/cache, Swatinem/rust-cache,
    # hynek/setup-cached-uv, sccache-action, cachix/cachix-action...
    r"|\buses:\s*['\"]?[\w.-]+/(?:[\w.-]+/)*[\w.-]*cach)",
    re.I | re.M,
)
# setup actions that cache by default from a major version on, unless told not to
_DEFAULT_CACHE = (
    ("actions/setup-go", 4, re.compile(r"\bcache:\s*false\b")),
    ("astral-sh/setup-uv", 5, re.compile(r"\benable-cache:\s*false\b")),
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
    """setup-go caches by default since v4, setup-uv (on GitHub's runners) since v5."""
    for action, since, disabled in _DEFAULT_CACHE:
        if disabled.search(text) is None and any(v >= since for v in action_majors(text, action)):
            return True
    return False


def action_majors(text: str, action: str) -> list[int]:
    """Major versions `action` is used at: `@v5`, `@v5.1.0`, or a commit SHA with its
    version in the comment (`@<sha> # v5.1.0`)."""
    pattern = re.escape(action) + r"@(?:v(\d+)|[0-9a-f]{40}\s+#\s*(?:tag=)?v?(\d+))"
    return [int(a or b) for a, b in re.findall(pattern, text)]


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
