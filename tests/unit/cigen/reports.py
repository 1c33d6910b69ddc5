"""Hand-built Reports, written the way the analysis emits them (repository-relative paths,
its fact names), for what the analysed fixture trees do not show: declared ranges that
become a matrix, pinned package managers, compose-declared service tags, configured
linters, existing CI, hostile content. The analysed trees are in
tests/unit/analysis/stack_trees.py."""

from __future__ import annotations

from collections.abc import Iterable

from libs.analysis.report import (
    CiInfo,
    Command,
    Fact,
    Pipeline,
    Report,
    RuntimeVersion,
    Stack,
    Subproject,
    WorkflowFinding,
    WorkflowSecurity,
)

FactSpec = str | tuple[str, str] | tuple[str, str, str]


def facts(
    specs: Iterable[FactSpec],
    default_source: str,
    *,
    configured: bool = False,
    groups: tuple[str, ...] = (),
) -> list[Fact]:
    out = []
    for spec in specs:
        if isinstance(spec, str):
            spec = (spec, default_source)
        version = spec[2] if len(spec) == 3 else None
        fact = Fact(
            name=spec[0], source=spec[1], version=version, configured=configured, groups=groups
        )
        out.append(fact)
    return out


def sub(
    path: str = ".",
    *,
    manifest: str,
    managers: Iterable[FactSpec] = (),
    lockfiles: Iterable[str] = (),
    manifests: Iterable[str] = (),
    tests: Iterable[FactSpec] = (),
    frameworks: Iterable[FactSpec] = (),
    tools: Iterable[FactSpec] = (),
    tool_groups: tuple[str, ...] = (),
    services: Iterable[FactSpec] = (),
    runtimes: Iterable[tuple[str, str, str] | tuple[str, str, str, str]] = (),
    commands: Iterable[tuple[str, str]] = (),
    dockerfiles: Iterable[str] = (),
    workspace_root: str | None = None,
) -> Subproject:
    """A subproject; `manifest` is the main manifest, the default source of its facts.
    Its tools are configured ones; its tools and test frameworks are declared in
    `tool_groups`."""
    return Subproject(
        path=path,
        manifests=[manifest, *manifests],
        package_managers=facts(managers, manifest),
        lockfiles=list(lockfiles),
        frameworks=facts(frameworks, manifest),
        test_frameworks=facts(tests, manifest, groups=tool_groups),
        tools=facts(tools, manifest, configured=True, groups=tool_groups),
        services=facts(services, manifest),
        runtimes=[
            RuntimeVersion(
                runtime=r[0], version=r[1], source=r[2], field=r[3] if len(r) > 3 else None
            )
            for r in runtimes
        ],
        commands=[Command(purpose=p, run=run, source=manifest) for p, run in commands],  # type: ignore[arg-type]
        dockerfiles=list(dockerfiles),
        workspace_root=workspace_root,
    )


def report(*subprojects: Subproject, dockerfiles: Iterable[str] = ()) -> Report:
    docker = list(dockerfiles) + [d for s in subprojects for d in s.dockerfiles]
    return Report(
        stack=Stack(subprojects=list(subprojects), dockerfiles=list(dict.fromkeys(docker)))
    )


PYTHON_PIP = report(
    sub(
        manifest="requirements.txt",
        manifests=["requirements-dev.txt"],
        managers=["pip"],
        tests=["pytest"],
        tools=[("flake8", ".flake8"), ("black", "pyproject.toml")],
        runtimes=[("python", "3.12.4", ".python-version")],
    )
)

PYTHON_UV_RANGE = report(
    sub(
        manifest="pyproject.toml",
        managers=[("uv", "uv.lock")],
        lockfiles=["uv.lock"],
        tests=["pytest"],
        tools=["ruff", "mypy"],
        tool_groups=("group:dev",),
        runtimes=[("python", ">=3.11", "pyproject.toml", "project.requires-python")],
        commands=[("lint", "poe lint")],
    )
)

PYTHON_POETRY_DJANGO = report(
    sub(
        manifest="pyproject.toml",
        managers=[("poetry", "poetry.lock")],
        lockfiles=["poetry.lock"],
        frameworks=["Django", "Django REST framework"],
        tests=["pytest"],
        tools=["ruff"],
        tool_groups=("group:dev",),
        services=[("postgres", "docker-compose.yml", "16-alpine"), "redis"],
        runtimes=[
            ("python", "^3.11", "pyproject.toml", "tool.poetry.dependencies.python"),
            ("python", "3.12", ".python-version"),
        ],
    )
)

NODE_NPM = report(
    sub(
        manifest="package.json",
        managers=[("npm", "package-lock.json")],
        lockfiles=["package-lock.json"],
        frameworks=["Express"],
        tests=["jest"],
        tools=["eslint", "typescript"],
        services=["mongodb"],
        runtimes=[("node", ">=20", "package.json", "engines.node")],
        commands=[("test", "npm test"), ("lint", "npm run lint"), ("build", "npm run build")],
    )
)

NODE_PNPM_NEXT = report(
    sub(
        manifest="package.json",
        managers=[("pnpm", "package.json", "9.12.0")],
        lockfiles=["pnpm-lock.yaml"],
        frameworks=["Next.js", "React"],
        tests=["vitest", ("playwright", "playwright.config.ts")],
        tools=["eslint", "prettier", "typescript"],
        runtimes=[("node", "22.11.0", ".nvmrc")],
        commands=[("build", "pnpm run build"), ("format", "pnpm run format")],
    ),
    dockerfiles=["Dockerfile"],
)

NODE_YARN_BERRY = report(
    sub(
        manifest="package.json",
        managers=[("yarn", "package.json", "4.5.0")],
        lockfiles=["yarn.lock"],
        frameworks=["Vue"],
        tests=["vitest"],
        tools=["eslint"],
        runtimes=[("node", "lts/jod", ".nvmrc")],
    )
)

BUN = report(
    sub(
        manifest="package.json",
        managers=[("bun", "bun.lock")],
        lockfiles=["bun.lock"],
        frameworks=["Hono"],
        tests=["bun test"],
        tools=["typescript"],
        runtimes=[("bun", "1.1.30", ".bun-version")],
    )
)

RUST_MSRV = report(
    sub(
        manifest="Cargo.toml",
        managers=["cargo"],
        tests=[("cargo test", "src/lib.rs")],
        runtimes=[
            ("rust", "1.74", "Cargo.toml", "package.rust-version"),
            ("rust-edition", "2021", "Cargo.toml", "package.edition"),
        ],
    )
)

JAVA_MAVEN = report(
    sub(
        manifest="pom.xml",
        managers=[("maven", "mvnw")],
        frameworks=["Spring Boot"],
        tests=["junit5"],
        tools=["checkstyle", "jacoco"],
        services=["postgres"],
        runtimes=[("java", "21", "pom.xml", "properties.java.version")],
    ),
    dockerfiles=["Dockerfile"],
)

JAVA_GRADLE = report(
    sub(
        manifest="build.gradle.kts",
        manifests=["settings.gradle.kts", "gradle/libs.versions.toml"],
        managers=[("gradle", "gradlew")],
        frameworks=["Ktor"],
        tests=["junit5"],
        tools=["spotless", "detekt"],
        runtimes=[
            ("java", "17", "build.gradle.kts", "toolchain"),
            ("gradle", "8.10.2", "gradle/wrapper/gradle-wrapper.properties", "distributionUrl"),
        ],
    )
)

PHP_LARAVEL = report(
    sub(
        manifest="composer.json",
        managers=["composer"],
        lockfiles=["composer.lock"],
        frameworks=["Laravel"],
        tests=["phpunit"],
        tools=[("phpstan", "phpstan.neon"), "pint"],
        services=["mysql"],
        runtimes=[("php", "^8.2", "composer.json", "require.php")],
        commands=[("test", "composer run-script test")],
    )
)

DOTNET = report(
    sub(
        manifest="App.sln",
        manifests=["src/App/App.csproj", "tests/App.Tests/App.Tests.csproj"],
        managers=[("nuget", "App.sln")],
        lockfiles=["src/App/packages.lock.json", "tests/App.Tests/packages.lock.json"],
        frameworks=[("ASP.NET Core", "src/App/App.csproj")],
        tests=[("xunit", "tests/App.Tests/App.Tests.csproj", "2.9.2")],
        runtimes=[
            ("dotnet", "net8.0", "src/App/App.csproj", "TargetFramework"),
            ("dotnet", "net8.0;net9.0", "tests/App.Tests/App.Tests.csproj", "TargetFrameworks"),
        ],
    )
)

ELIXIR_PHOENIX = report(
    sub(
        manifest="mix.exs",
        managers=["mix"],
        lockfiles=["mix.lock"],
        frameworks=["Phoenix"],
        tests=[("exunit", "test/test_helper.exs")],
        tools=["credo", ("mix format", ".formatter.exs")],
        services=["postgres"],
        runtimes=[
            ("elixir", "~> 1.15", "mix.exs", "elixir"),
            ("erlang", "26.2.5", ".tool-versions", "erlang"),
        ],
    )
)

DOCKER_ONLY = report(dockerfiles=["Dockerfile"])

MONOREPO = report(
    sub(
        manifest="pyproject.toml",
        managers=[("uv", "uv.lock")],
        lockfiles=["uv.lock"],
        frameworks=["FastAPI"],
        tests=["pytest"],
        tools=["ruff"],
        tool_groups=("group:dev",),
        services=["postgres", "redis", ("kafka", "docker-compose.yml", "3.8")],
        runtimes=[("python", "3.12", ".python-version")],
        dockerfiles=["Dockerfile"],
    ),
    sub(
        "web",
        manifest="web/package.json",
        managers=[("pnpm", "web/package.json", "9.12.0"), ("pnpm", "web/pnpm-workspace.yaml")],
        lockfiles=["web/pnpm-lock.yaml"],
        frameworks=["Next.js"],
        tools=["eslint"],
        runtimes=[("node", "22", "web/.nvmrc")],
        commands=[("build", "pnpm run build")],
        dockerfiles=["web/Dockerfile"],
    ),
    sub(
        "web/packages/ui",
        manifest="web/packages/ui/package.json",
        managers=[("pnpm", "web/pnpm-lock.yaml")],
        lockfiles=["web/pnpm-lock.yaml"],
        tests=["vitest"],
        workspace_root="web",
    ),
    sub(
        "services/worker",
        manifest="services/worker/go.mod",
        managers=["go"],
        lockfiles=["services/worker/go.sum"],
        tests=[("go test", "services/worker/main_test.go")],
        runtimes=[("go", "1.23.2", "services/worker/go.mod", "go")],
    ),
    sub(
        "crates/engine",
        manifest="crates/engine/Cargo.toml",
        managers=["cargo"],
        lockfiles=["crates/engine/Cargo.lock"],
        tests=[("cargo test", "crates/engine/src/lib.rs")],
        tools=[("clippy", "crates/engine/clippy.toml")],
    ),
)

EXISTING_CI = Report(
    stack=NODE_NPM.stack,
    ci=CiInfo(
        pipelines=[
            Pipeline(system="github_actions", path=".github/workflows/ci.yml", runs_tests=True),
            Pipeline(system="github_actions", path=".github/workflows/release.yml", releases=True),
        ]
    ),
    workflow_security=WorkflowSecurity(
        status="ok",
        tool="zizmor 1.32.0",
        findings=[
            WorkflowFinding(
                audit="unpinned-uses",
                severity="high",
                path=".github/workflows/ci.yml",
                line=12,
                message="unpinned action reference",
            ),
            WorkflowFinding(
                audit="unpinned-uses",
                severity="high",
                path=".github/workflows/ci.yml",
                line=15,
                message="unpinned action reference",
            ),
            WorkflowFinding(
                audit="artipacked",
                severity="medium",
                path=".github/workflows/ci.yml",
                line=12,
                message="credential persistence through GitHub Actions artifacts",
            ),
        ],
    ),
)

# name -> Report: each has a reviewed golden file under golden/reports/
STACKS: dict[str, Report] = {
    "python-uv-range": PYTHON_UV_RANGE,
    "python-poetry-django": PYTHON_POETRY_DJANGO,
    "node-pnpm-next": NODE_PNPM_NEXT,
    "node-yarn-berry": NODE_YARN_BERRY,
    "bun": BUN,
    "rust-msrv": RUST_MSRV,
    "java-maven": JAVA_MAVEN,
    "java-gradle": JAVA_GRADLE,
    "php-laravel": PHP_LARAVEL,
    "dotnet": DOTNET,
    "elixir-phoenix": ELIXIR_PHOENIX,
    "docker-only": DOCKER_ONLY,
    "monorepo": MONOREPO,
    "existing-ci": EXISTING_CI,
}
