"""The stack analyser on one fixture tree per ecosystem: exact facts and their evidence files."""

from __future__ import annotations

from libs.analysis.report import Command, Fact, RuntimeVersion, Stack, Subproject
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis import stack_trees as trees
from tests.unit.analysis.conftest import Build, Files


def stack_of(build: Build, files: dict[str, str | bytes]) -> Stack:
    return analyse_stack(Tree.scan(build(files)))


def only(stack: Stack) -> Subproject:
    assert [s.path for s in stack.subprojects] == ["."]
    return stack.subprojects[0]


def facts(items: list[Fact]) -> set[tuple[str, str]]:
    return {(f.name, f.source) for f in items}


def configured(items: list[Fact]) -> set[tuple[str, str, bool]]:
    """(name, source, whether the source is the tool's own configuration)."""
    return {(f.name, f.source, f.configured) for f in items}


Declared = tuple[str, str, str, str | None]


def rt(runtime: str, version: str, source: str, field: str | None = None) -> Declared:
    return (runtime, version, source, field)


def rts(runtimes: list[RuntimeVersion]) -> list[Declared]:
    """What was declared, where (constraints and lines: see test_versions)."""
    return [(r.runtime, r.version, r.source, r.field) for r in runtimes]


def test_python_pip(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_PIP))
    assert sub.manifests == ["requirements-dev.txt", "requirements.txt"]
    assert facts(sub.package_managers) == {("pip", "requirements-dev.txt")}
    assert sub.lockfiles == []
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Django", "requirements.txt", "==5.0.3")
    ]
    assert facts(sub.test_frameworks) == {("pytest", "requirements-dev.txt")}
    assert configured(sub.tools) == {("ruff", "requirements-dev.txt", False)}
    assert facts(sub.services) == {("postgres", "requirements.txt")}
    assert rts(sub.runtimes) == [rt("python", "3.12.2", ".python-version")]
    assert sub.languages[0].name == "Python"


def test_python_poetry(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_POETRY))
    assert sub.manifests == ["pyproject.toml"]
    assert facts(sub.package_managers) == {("poetry", "poetry.lock")}
    assert sub.lockfiles == ["poetry.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("FastAPI", "^0.110")]
    assert configured(sub.test_frameworks) == {("pytest", "pyproject.toml", False)}
    assert configured(sub.tools) == {
        ("black", "pyproject.toml", True),  # [tool.black]
        ("mypy", "pyproject.toml", False),  # a dev dependency only
    }
    assert facts(sub.services) == {("redis", "pyproject.toml")}
    assert rts(sub.runtimes) == [
        rt("python", "^3.11", "pyproject.toml", "tool.poetry.dependencies.python")
    ]


def test_python_uv(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_UV))
    assert sub.manifests == ["pyproject.toml", "Makefile"]
    assert facts(sub.package_managers) == {("uv", "uv.lock")}
    assert sub.lockfiles == ["uv.lock"]
    assert facts(sub.frameworks) == {("Flask", "pyproject.toml")}
    assert configured(sub.test_frameworks) == {("pytest", "pyproject.toml", True)}
    assert configured(sub.tools) == {("ruff", "pyproject.toml", True)}
    assert rts(sub.runtimes) == [
        rt("python", ">=3.11,<3.14", "pyproject.toml", "project.requires-python"),
        rt("python", "3.12", ".python-version"),
    ]
    assert sub.commands == [
        Command(purpose="lint", run="make lint", source="Makefile"),
        Command(purpose="test", run="make test", source="Makefile"),
    ]


def test_python_pdm(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_PDM))
    assert facts(sub.package_managers) == {("pdm", "pdm.lock")}
    assert sub.lockfiles == ["pdm.lock"]
    assert facts(sub.frameworks) == {("Starlette", "pyproject.toml")}
    assert facts(sub.test_frameworks) == {("pytest", "pyproject.toml")}


def test_python_pipenv(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_PIPENV))
    assert sub.manifests == ["Pipfile"]
    assert facts(sub.package_managers) == {("pipenv", "Pipfile.lock")}
    assert sub.lockfiles == ["Pipfile.lock"]
    assert facts(sub.frameworks) == {("Flask", "Pipfile")}
    assert facts(sub.test_frameworks) == {("pytest", "Pipfile"), ("unittest", "tests/test_app.py")}
    assert rts(sub.runtimes) == [rt("python", "3.11", "Pipfile", "requires.python_version")]


def test_frameworks_come_from_runtime_dependencies_only(build: Build) -> None:
    fastapi = only(stack_of(build, trees.PYTHON_PDM_BACKEND_ONLY))
    assert facts(fastapi.frameworks) == {("Starlette", "pyproject.toml")}  # not Flask
    assert facts(fastapi.test_frameworks) == {("pytest", "pyproject.toml")}  # from its group
    assert facts(fastapi.tools) == {("mypy", "pyproject.toml")}
    black = only(stack_of(build, trees.PYTHON_FRAMEWORK_IN_EXTRA))
    assert black.frameworks == []  # not aiohttp
    assert facts(black.tools) == {("pre-commit", "pyproject.toml")}
    others: dict[str, Files] = {
        "poetry": {
            "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\n'
            'flask = { version = "^3", optional = true }\n'
            '[tool.poetry.group.test.dependencies]\ndjango = "^5"\n'
        },
        "pdm": {"pyproject.toml": '[tool.pdm.dev-dependencies]\ntest = ["sanic"]\n'},
        "requirements": {
            "requirements.txt": "click\n",
            "requirements-dev.txt": "flask\n",
            "requirements/test.in": "django\n",
            "requirements_docs.txt": "tornado\n",
        },
        "setup.py": {"setup.py": 'setup(install_requires=["click"], tests_require=["flask"])\n'},
        "pipenv": {"Pipfile": '[packages]\nclick = "*"\n[dev-packages]\nflask = "*"\n'},
    }
    for name, files in others.items():
        assert only(stack_of(build, files)).frameworks == [], name
    runtime: Files = {
        "requirements/base.txt": "Django==5.0\n",
        "Pipfile": '[packages]\nflask = "*"\n',
        "setup.py": 'setup(install_requires=["fastapi"])\n',
    }
    assert facts(only(stack_of(build, runtime)).frameworks) == {
        ("Django", "requirements/base.txt"),
        ("Flask", "Pipfile"),
        ("FastAPI", "setup.py"),
    }


def test_node_frameworks_come_from_dependencies_not_dev_tooling(build: Build) -> None:
    plugin = only(
        stack_of(
            build,  # @vitejs/plugin-react: React only to test against
            {
                "package.json": trees.package_json(
                    devDependencies={"react": "^19", "express": "^5", "vitest": "^3"},
                    peerDependencies={"vite": "^7"},
                )
            },
        )
    )
    assert plugin.frameworks == []
    assert facts(plugin.test_frameworks) == {("vitest", "package.json")}
    library = only(
        stack_of(
            build,  # a component library names its framework as a peer
            {"package.json": trees.package_json(peerDependencies={"react": "^18"})},
        )
    )
    assert facts(library.frameworks) == {("React", "package.json")}
    kit = only(
        stack_of(
            build,  # SvelteKit's and Electron's own starters install them as dev dependencies
            {
                "package.json": trees.package_json(
                    devDependencies={"@sveltejs/kit": "^2", "svelte": "^5", "electron": "^31"}
                )
            },
        )
    )
    assert facts(kit.frameworks) == {
        ("SvelteKit", "package.json"),
        ("Svelte", "package.json"),
        ("Electron", "package.json"),
    }


def test_a_build_backend_is_not_the_package_manager(build: Build) -> None:
    fastapi = only(stack_of(build, trees.PYTHON_PDM_BACKEND_ONLY))
    assert facts(fastapi.package_managers) == {("pip", "pyproject.toml")}
    poetry_core = only(stack_of(build, trees.PYTHON_POETRY_CORE_BACKEND_ONLY))
    assert facts(poetry_core.package_managers) == {("pip", "pyproject.toml")}
    with_uv = dict(trees.PYTHON_PDM_BACKEND_ONLY, **{"uv.lock": "version = 1\n"})
    assert facts(only(stack_of(build, with_uv)).package_managers) == {("uv", "uv.lock")}
    # what only the package managers themselves read still names them
    managed = {
        "pdm": '[build-system]\nbuild-backend = "pdm.backend"\n'
        '[tool.pdm.scripts]\ntest = "pytest"\n',
        "poetry": '[build-system]\nbuild-backend = "poetry.core.masonry.api"\n'
        '[tool.poetry.group.test.dependencies]\npytest = "^8"\n',
    }
    for manager, pyproject in managed.items():
        sub = only(stack_of(build, {"pyproject.toml": pyproject}))
        assert facts(sub.package_managers) == {(manager, "pyproject.toml")}


def test_node_npm(build: Build) -> None:
    sub = only(stack_of(build, trees.NODE_NPM))
    assert facts(sub.package_managers) == {("npm", "package-lock.json")}
    assert sub.lockfiles == ["package-lock.json"]
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Express", "package.json", "^4.19.2")
    ]
    assert facts(sub.test_frameworks) == {("jest", "package.json")}
    # eslint is only a dependency; typescript is configured by tsconfig.json
    assert configured(sub.tools) == {
        ("eslint", "package.json", False),
        ("typescript", "tsconfig.json", True),
    }
    assert facts(sub.services) == {("postgres", "package.json")}
    assert rts(sub.runtimes) == [
        rt("node", ">=20", "package.json", "engines.node"),
        rt("node", "20.11.1", ".nvmrc"),
    ]
    assert sub.commands == [
        Command(purpose="build", run="npm run build", source="package.json"),
        Command(purpose="lint", run="npm run lint", source="package.json"),
        Command(purpose="test", run="npm test", source="package.json"),
    ]


def test_node_yarn(build: Build) -> None:
    sub = only(stack_of(build, trees.NODE_YARN))
    assert [(f.name, f.source, f.version) for f in sub.package_managers] == [
        ("yarn", "package.json", "4.1.1")
    ]
    assert sub.lockfiles == ["yarn.lock"]
    assert facts(sub.frameworks) == {("Next.js", "package.json"), ("React", "package.json")}
    assert facts(sub.test_frameworks) == {("vitest", "package.json")}
    assert rt("yarn", "4.1.1", "package.json", "packageManager") in rts(sub.runtimes)
    assert sub.commands == [
        Command(purpose="test", run="yarn test", source="package.json"),
        Command(purpose="typecheck", run="yarn typecheck", source="package.json"),
    ]


def test_node_pnpm_workspace(build: Build) -> None:
    stack = stack_of(build, trees.NODE_PNPM_WORKSPACE)
    assert [s.path for s in stack.subprojects] == [".", "packages/api", "packages/ui"]
    root, api, ui = stack.subprojects
    assert facts(root.package_managers) == {("pnpm", "pnpm-lock.yaml")}
    assert root.workspace_root is None
    assert api.workspace_root == "."
    assert ui.workspace_root == "."
    assert facts(api.package_managers) == {("pnpm", "pnpm-lock.yaml")}
    assert api.lockfiles == ["pnpm-lock.yaml"]
    assert facts(api.frameworks) == {("Fastify", "packages/api/package.json")}
    assert facts(api.test_frameworks) == {("node:test", "packages/api/package.json")}
    assert api.commands == [
        Command(purpose="test", run="pnpm test", source="packages/api/package.json")
    ]
    assert facts(ui.frameworks) == {("Vue", "packages/ui/package.json")}
    assert facts(ui.test_frameworks) == {("vitest", "packages/ui/package.json")}


def test_node_bun(build: Build) -> None:
    sub = only(stack_of(build, trees.NODE_BUN))
    assert facts(sub.package_managers) == {("bun", "bun.lockb")}
    assert sub.lockfiles == ["bun.lockb"]
    assert facts(sub.frameworks) == {("Hono", "package.json")}
    assert facts(sub.test_frameworks) == {("bun test", "package.json")}
    # the test script, run by name: `bun test` would be Bun's own runner
    assert sub.commands == [Command(purpose="test", run="bun run test", source="package.json")]


def test_go(build: Build) -> None:
    sub = only(stack_of(build, trees.GO))
    assert sub.manifests == ["go.mod"]
    assert facts(sub.package_managers) == {("go", "go.mod")}
    assert sub.lockfiles == ["go.sum"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Gin", "v1.9.1")]
    assert facts(sub.test_frameworks) == {
        ("go test", "internal/api/api_test.go"),
        ("testify", "go.mod"),
    }
    assert facts(sub.services) == {("postgres", "go.mod")}
    assert configured(sub.tools) == {("golangci-lint", ".golangci.yml", True)}
    assert rts(sub.runtimes) == [
        rt("go", "1.22.1", "go.mod", "go"),
        rt("go", "go1.22.3", "go.mod", "toolchain"),
    ]


def test_rust(build: Build) -> None:
    sub = only(stack_of(build, trees.RUST))
    assert facts(sub.package_managers) == {("cargo", "Cargo.toml")}
    assert sub.lockfiles == ["Cargo.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Axum", "0.7")]
    assert facts(sub.test_frameworks) == {("cargo test", "src/main.rs")}
    assert configured(sub.tools) == {("rustfmt", "rustfmt.toml", True)}
    assert rts(sub.runtimes) == [
        rt("rust", "1.74", "Cargo.toml", "package.rust-version"),
        rt("rust-edition", "2021", "Cargo.toml", "package.edition"),
        rt("rust", "1.77.2", "rust-toolchain.toml", "toolchain.channel"),
    ]


def test_java_maven_with_module(build: Build) -> None:
    sub = only(stack_of(build, trees.JAVA_MAVEN))
    assert sub.manifests == ["pom.xml", "core/pom.xml"]
    assert facts(sub.package_managers) == {("maven", "mvnw")}
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Spring Boot", "pom.xml", "3.2.4")
    ]
    assert [(f.name, f.source, f.version) for f in sub.test_frameworks] == [
        ("junit5", "pom.xml", "5.10.2"),
        ("testng", "core/pom.xml", None),
    ]
    assert facts(sub.services) == {("postgres", "pom.xml")}
    assert rts(sub.runtimes) == [rt("java", "21", "pom.xml", "properties.java.version")]


def test_java_gradle_kotlin_dsl(build: Build) -> None:
    sub = only(stack_of(build, trees.JAVA_GRADLE))
    assert sub.manifests == ["build.gradle.kts", "settings.gradle.kts", "lib/build.gradle.kts"]
    assert facts(sub.package_managers) == {("gradle", "gradlew")}
    assert [(f.name, f.version) for f in sub.frameworks] == [("Spring Boot", "3.2.4")]
    assert facts(sub.test_frameworks) == {
        ("junit5", "build.gradle.kts"),
        ("kotest", "lib/build.gradle.kts"),
    }
    assert rts(sub.runtimes) == [
        rt("gradle", "8.7", "gradle/wrapper/gradle-wrapper.properties", "distributionUrl"),
        rt("java", "17", "build.gradle.kts", "toolchain"),
    ]


def test_ruby_bundler(build: Build) -> None:
    sub = only(stack_of(build, trees.RUBY_BUNDLER))
    assert facts(sub.package_managers) == {("bundler", "Gemfile")}
    assert sub.lockfiles == ["Gemfile.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Rails", "~> 7.1.3")]
    # .rspec configures RSpec; the Gemfile only declares rubocop
    assert [(f.name, f.source, f.configured) for f in sub.test_frameworks] == [
        ("rspec", ".rspec", True)
    ]
    assert configured(sub.tools) == {("rubocop", "Gemfile", False)}
    assert facts(sub.services) == {("postgres", "Gemfile")}
    assert rts(sub.runtimes) == [
        rt("ruby", "3.3.0", "Gemfile", "ruby"),
        rt("ruby", "3.3.0", ".ruby-version"),
    ]


def test_php_composer(build: Build) -> None:
    sub = only(stack_of(build, trees.PHP_COMPOSER))
    assert facts(sub.package_managers) == {("composer", "composer.json")}
    assert sub.lockfiles == ["composer.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Laravel", "^11.0")]
    assert [(f.name, f.source, f.version) for f in sub.test_frameworks] == [
        ("phpunit", "phpunit.xml", "^10.5")  # the config file is the source; the version stays
    ]
    assert configured(sub.tools) == {("phpstan", "composer.json", False)}
    assert rts(sub.runtimes) == [rt("php", "^8.2", "composer.json", "require.php")]
    assert sub.commands == [
        Command(purpose="test", run="composer run-script test", source="composer.json")
    ]


def test_dotnet_solution_folds_projects(build: Build) -> None:
    stack = stack_of(build, trees.DOTNET)
    sub = only(stack)
    assert sub.manifests == ["App.sln", "src/Web/Web.csproj", "tests/Web.Tests/Web.Tests.csproj"]
    assert facts(sub.package_managers) == {("nuget", "App.sln")}
    assert sub.lockfiles == ["src/Web/packages.lock.json"]
    assert facts(sub.frameworks) == {("ASP.NET Core", "src/Web/Web.csproj")}
    assert [(f.name, f.version) for f in sub.test_frameworks] == [("xunit", "2.7.0")]
    assert facts(sub.services) == {("postgres", "src/Web/Web.csproj")}
    assert rts(sub.runtimes) == [
        rt("dotnet", "net8.0", "src/Web/Web.csproj", "TargetFramework"),
        rt("dotnet", "8.0.204", "global.json", "sdk.version"),
    ]


def test_elixir_mix(build: Build) -> None:
    sub = only(stack_of(build, trees.ELIXIR_MIX))
    assert facts(sub.package_managers) == {("mix", "mix.exs")}
    assert sub.lockfiles == ["mix.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Phoenix", "~> 1.7.11")]
    assert facts(sub.test_frameworks) == {("exunit", "test/test_helper.exs")}
    assert configured(sub.tools) == {("credo", "mix.exs", False)}
    assert facts(sub.services) == {("postgres", "mix.exs")}
    assert rts(sub.runtimes) == [
        rt("elixir", "~> 1.16", "mix.exs", "elixir"),
        rt("elixir", "1.16.2-otp-26", ".tool-versions", "elixir"),
        rt("erlang", "26.2.3", ".tool-versions", "erlang"),
    ]


def test_cmake_with_subdirectory(build: Build) -> None:
    sub = only(stack_of(build, trees.CMAKE))
    assert sub.manifests == ["CMakeLists.txt", "lib/CMakeLists.txt"]
    assert facts(sub.package_managers) == {("cmake", "CMakeLists.txt")}
    assert facts(sub.test_frameworks) == {
        ("ctest", "CMakeLists.txt"),
        ("googletest", "CMakeLists.txt"),
    }
    assert configured(sub.tools) == {("clang-format", ".clang-format", True)}
    assert rts(sub.runtimes) == [
        rt("cmake", ">=3.20", "CMakeLists.txt", "cmake_minimum_required"),
        rt("c++", "20", "CMakeLists.txt", "CMAKE_CXX_STANDARD"),
    ]
    assert {(lang.name, lang.files) for lang in sub.languages} == {("C++", 2), ("CMake", 2)}


def test_c_make(build: Build) -> None:
    sub = only(stack_of(build, trees.C_MAKE))
    assert sub.manifests == ["Makefile"]
    assert facts(sub.package_managers) == {("make", "Makefile")}
    assert facts(sub.test_frameworks) == set()  # a make target is a command, not a framework
    assert sub.commands == [Command(purpose="test", run="make test", source="Makefile")]
    assert {(lang.name, lang.files) for lang in sub.languages} == {("C", 2), ("Makefile", 1)}


def test_swift_package(build: Build) -> None:
    sub = only(stack_of(build, trees.SWIFT))
    assert facts(sub.package_managers) == {("swiftpm", "Package.swift")}
    assert sub.lockfiles == ["Package.resolved"]
    assert facts(sub.frameworks) == {("Vapor", "Package.swift")}
    assert facts(sub.test_frameworks) == {("xctest", "Tests/ApiTests/ApiTests.swift")}
    assert configured(sub.tools) == {("swiftlint", ".swiftlint.yml", True)}
    assert rts(sub.runtimes) == [rt("swift", "5.9", "Package.swift", "swift-tools-version")]


def test_polyglot_monorepo(build: Build) -> None:
    stack = stack_of(build, trees.POLYGLOT_MONOREPO)
    assert [s.path for s in stack.subprojects] == ["backend", "frontend", "services/billing"]
    backend, frontend, billing = stack.subprojects
    assert facts(backend.package_managers) == {("uv", "backend/uv.lock")}
    assert facts(backend.frameworks) == {("Django", "backend/pyproject.toml")}
    assert rts(backend.runtimes) == [rt("python", "3.12.3", ".tool-versions", "python")]
    assert backend.dockerfiles == ["backend/Dockerfile"]
    assert facts(frontend.package_managers) == {("npm", "frontend/package-lock.json")}
    assert rts(frontend.runtimes) == [rt("node", "20.12.0", ".tool-versions", "nodejs")]
    assert frontend.dockerfiles == ["frontend/Dockerfile"]
    assert rts(billing.runtimes) == [rt("go", "1.22", "services/billing/go.mod", "go")]
    assert stack.dockerfiles == ["backend/Dockerfile", "frontend/Dockerfile"]
    assert stack.compose_files == ["docker-compose.yml"]
    assert stack.is_monorepo


def test_manifests_in_test_and_docs_folders_are_no_subprojects(build: Build) -> None:
    stack = stack_of(build, trees.MONOREPO_WITH_TEST_DATA)
    assert [s.path for s in stack.subprojects] == [
        ".",
        "apps/web",
        "docs",  # a docs site of its own stays a project
        "e2e",
        "libs/go",
        "packages/core",
        "services/py",
    ]
    assert [s.path for s in stack.subprojects if s.workspace_root == "."] == [
        "apps/web",
        "packages/core",
    ]


def test_a_workspace_can_name_packages_under_a_test_folder(build: Build) -> None:
    stack = stack_of(build, trees.PNPM_TEST_WORKSPACE)
    assert [(s.path, s.workspace_root) for s in stack.subprojects] == [
        (".", None),
        ("packages/vitest", "."),
        ("test/core", "."),
    ]


def test_compose_services_belong_to_the_project_owning_the_file(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "pyproject.toml": '[project]\nname="x"\n',
                "compose.yaml": "services:\n  db:\n    image: docker.io/library/postgres:16\n"
                "  q:\n    image: rabbitmq:3-management\n  app:\n    build: .\n",
            },
        )
    )
    assert [(f.name, f.source, f.version) for f in sub.services] == [
        ("postgres", "compose.yaml", "16"),
        ("rabbitmq", "compose.yaml", "3-management"),
    ]


def test_empty_repository(build: Build) -> None:
    stack = stack_of(build, {})
    assert stack == Stack()


def test_docs_only_repository(build: Build) -> None:
    stack = stack_of(
        build,
        {"README.md": "# Handbook\n", "docs/guide.md": "text\n", "mkdocs.yml": "site_name: x\n"},
    )
    assert stack.subprojects == []
    # documentation is all there is: its language is Markdown (README and docs/ included)
    assert [(lang.name, lang.percent) for lang in stack.languages] == [("Markdown", 100.0)]


def test_scripts_without_manifest_are_one_project(build: Build) -> None:
    stack = stack_of(build, {"tool.py": "print(1)\n", "run.sh": "echo\n"})
    sub = only(stack)
    assert sub.manifests == []
    assert {lang.name for lang in sub.languages} == {"Python", "Shell"}


def test_vendored_generated_and_minified_files_do_not_count(build: Build) -> None:
    stack = stack_of(
        build,
        {
            "package.json": trees.package_json(),
            "src/app.js": "x" * 100,
            "vendor/lib.js": "y" * 10_000,
            "dist/bundle.js": "z" * 10_000,
            "static/jquery.min.js": "q" * 10_000,
            "api/service_pb2.py": "p" * 10_000,
        },
    )
    assert [(lang.name, lang.files, lang.bytes) for lang in stack.languages] == [
        ("JavaScript", 1, 100)
    ]


def test_minified_files_under_ordinary_names_do_not_count(build: Build) -> None:
    # django-ninja ships redoc.standalone.js: 940 KB on two lines, and was called JavaScript
    bundle = "/*! For license information see LICENSE.txt */\n" + "!function(e,t){x(e)};" * 5000
    readable = "".join(f"export function f{i}(a, b) {{\n  return a + b;\n}}\n" for i in range(60))
    stack = stack_of(
        build,
        {
            "pyproject.toml": '[project]\nname = "ninja"\n',
            "ninja/main.py": "def main():\n    pass\n" * 100,
            "ninja/static/redoc.standalone.js": bundle,
            "ninja/static/swagger-ui.css": ".a{color:red}" * 2000,  # one line
            "ninja/static/init.js": readable,
            "ninja/static/tiny.js": "x" * 500,  # too small to matter either way
        },
    )
    assert [(lang.name, lang.files, lang.bytes) for lang in stack.languages] == [
        ("JavaScript", 2, len(readable) + 500),
        ("Python", 1, 2100),
    ]
    assert stack.languages == stack.subprojects[0].languages


def test_dart_flutter(build: Build) -> None:
    sub = only(stack_of(build, trees.DART_FLUTTER))
    assert facts(sub.package_managers) == {("pub", "pubspec.yaml"), ("flutter", "pubspec.yaml")}
    assert sub.lockfiles == ["pubspec.lock"]
    assert facts(sub.frameworks) == {("Flutter", "pubspec.yaml")}
    assert facts(sub.test_frameworks) == {("flutter test", "pubspec.yaml")}
    assert rts(sub.runtimes) == [
        rt("dart", ">=3.3.0 <4.0.0", "pubspec.yaml", "environment.sdk"),
        rt("flutter", ">=3.19.0", "pubspec.yaml", "environment.flutter"),
    ]


def test_scala_sbt(build: Build) -> None:
    sub = only(stack_of(build, trees.SCALA_SBT))
    assert facts(sub.package_managers) == {("sbt", "build.sbt")}
    assert [(f.name, f.version) for f in sub.frameworks] == [("http4s", "0.23.26")]
    assert [(f.name, f.version) for f in sub.test_frameworks] == [("munit", "1.0.0")]
    assert rts(sub.runtimes) == [
        rt("scala", "3.4.1", "build.sbt", "scalaVersion"),
        rt("sbt", "1.9.9", "project/build.properties", "sbt.version"),
    ]


def test_python_tox_runs_pytest(build: Build) -> None:
    sub = only(stack_of(build, trees.PYTHON_TOX))
    assert facts(sub.package_managers) == {("pip", "setup.py")}
    assert configured(sub.test_frameworks) == {("pytest", "tox.ini", False)}  # tox runs it
    assert configured(sub.tools) == {("tox", "tox.ini", True)}
    assert rts(sub.runtimes) == [rt("python", ">=3.9", "setup.py", "python_requires")]


def test_a_tools_configuration_is_told_from_a_dependency_on_it(build: Build) -> None:
    node = only(
        stack_of(
            build,
            {
                "package.json": trees.package_json(
                    devDependencies={"eslint": "^9", "prettier": "^3", "stylelint": "^16"},
                    prettier={"semi": False},
                ),
                "eslint.config.mjs": "export default [];\n",
            },
        )
    )
    assert {(f.name, f.source, f.version, f.configured) for f in node.tools} == {
        ("eslint", "eslint.config.mjs", "^9", True),
        ("prettier", "package.json", "^3", True),  # its "prettier" key
        ("stylelint", "package.json", "^16", False),
    }
    ruby = only(
        stack_of(
            build,
            {
                "Gemfile": 'gem "standard"\ngem "sorbet"\ngem "rubocop"\n',
                ".standard.yml": "ruby_version: 3.3\n",
                "sorbet/config": "--dir\n.\n",
            },
        )
    )
    assert configured(ruby.tools) == {
        ("standard", ".standard.yml", True),
        ("sorbet", "sorbet/config", True),
        ("rubocop", "Gemfile", False),
    }
    elixir = only(
        stack_of(
            build,
            {
                "mix.exs": '[{:credo, "~> 1.7"}, {:dialyxir, "~> 1.4"}]\n',
                ".credo.exs": "%{configs: []}\n",
                ".formatter.exs": "[inputs: []]\n",
            },
        )
    )
    assert configured(elixir.tools) == {
        ("credo", ".credo.exs", True),
        ("dialyzer", "mix.exs", False),
        ("mix format", ".formatter.exs", True),
    }


def test_dockerfile_templates_are_not_dockerfiles(build: Build) -> None:
    """phoenix's priv/templates/phx.gen.release/Dockerfile.eex is an EEx template
    (`ARG ELIXIR_VERSION=<%= elixir_vsn %>`): a Docker job built it and failed."""
    stack = stack_of(
        build,
        {
            "mix.exs": "defmodule App.MixProject do\nend\n",
            "Dockerfile": "FROM elixir:1.18\n",
            "deploy/app.Dockerfile": "FROM elixir:1.18\n",
            "priv/templates/release/Dockerfile.eex": "ARG ELIXIR_VERSION=<%= elixir_vsn %>\n",
            "docker/Dockerfile.j2": "FROM {{ base }}\n",
            "{{cookiecutter.name}}/Dockerfile": "FROM python:3.12\n",
        },
    )
    assert stack.dockerfiles == ["Dockerfile", "deploy/app.Dockerfile"]
