"""The stack analyser on one fixture tree per ecosystem: exact facts and their evidence files."""

from __future__ import annotations

import json

from libs.analysis.report import Command, Fact, RuntimeVersion, Stack, Subproject
from libs.analysis.stack import analyse_stack
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build


def stack_of(build: Build, files: dict[str, str | bytes]) -> Stack:
    return analyse_stack(Tree.scan(build(files)))


def only(stack: Stack) -> Subproject:
    assert [s.path for s in stack.subprojects] == ["."]
    return stack.subprojects[0]


def facts(items: list[Fact]) -> set[tuple[str, str]]:
    return {(f.name, f.source) for f in items}


def rt(runtime: str, version: str, source: str, field: str | None = None) -> RuntimeVersion:
    return RuntimeVersion(runtime=runtime, version=version, source=source, field=field)


def test_python_pip(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "requirements.txt": "Django==5.0.3\npsycopg[binary]>=3.1\n# comment\n-r dev.txt\n",
                "requirements-dev.txt": "pytest>=8\nruff\n",
                ".python-version": "3.12.2\n",
                "manage.py": "import django\n",
                "app/tests/test_views.py": "def test_ok(): pass\n",
            },
        )
    )
    assert sub.manifests == ["requirements-dev.txt", "requirements.txt"]
    assert facts(sub.package_managers) == {("pip", "requirements-dev.txt")}
    assert sub.lockfiles == []
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Django", "requirements.txt", "==5.0.3")
    ]
    assert facts(sub.test_frameworks) == {("pytest", "requirements-dev.txt")}
    assert facts(sub.tools) == {("ruff", "requirements-dev.txt")}
    assert facts(sub.services) == {("postgres", "requirements.txt")}
    assert sub.runtimes == [rt("python", "3.12.2", ".python-version")]
    assert sub.languages[0].name == "Python"


def test_python_poetry(build: Build) -> None:
    pyproject = """
[tool.poetry]
name = "svc"
[tool.poetry.dependencies]
python = "^3.11"
fastapi = "^0.110"
redis = {version = "^5.0", extras = ["hiredis"]}
[tool.poetry.group.dev.dependencies]
pytest = "^8.0"
mypy = "^1.9"
[tool.black]
line-length = 100
[build-system]
build-backend = "poetry.core.masonry.api"
"""
    sub = only(stack_of(build, {"pyproject.toml": pyproject, "poetry.lock": "# lock\n"}))
    assert sub.manifests == ["pyproject.toml"]
    assert facts(sub.package_managers) == {("poetry", "poetry.lock")}
    assert sub.lockfiles == ["poetry.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("FastAPI", "^0.110")]
    assert facts(sub.test_frameworks) == {("pytest", "pyproject.toml")}
    assert facts(sub.tools) == {("black", "pyproject.toml"), ("mypy", "pyproject.toml")}
    assert facts(sub.services) == {("redis", "pyproject.toml")}
    assert sub.runtimes == [
        rt("python", "^3.11", "pyproject.toml", "tool.poetry.dependencies.python")
    ]


def test_python_uv(build: Build) -> None:
    pyproject = """
[project]
name = "api"
requires-python = ">=3.11,<3.14"
dependencies = ["flask>=3.0", "asyncpg"]
[dependency-groups]
dev = ["pytest>=8", "ruff>=0.5"]
[tool.uv]
package = false
[tool.ruff]
line-length = 100
[tool.pytest.ini_options]
addopts = "-q"
"""
    sub = only(
        stack_of(
            build,
            {
                "pyproject.toml": pyproject,
                "uv.lock": "version = 1\n",
                ".python-version": "3.12\n",
                "Makefile": "test:\n\tuv run pytest\nlint:\n\truff check .\n",
            },
        )
    )
    assert sub.manifests == ["pyproject.toml", "Makefile"]
    assert facts(sub.package_managers) == {("uv", "uv.lock")}
    assert sub.lockfiles == ["uv.lock"]
    assert facts(sub.frameworks) == {("Flask", "pyproject.toml")}
    assert facts(sub.test_frameworks) == {("pytest", "pyproject.toml")}
    assert facts(sub.tools) == {("ruff", "pyproject.toml")}
    assert sub.runtimes == [
        rt("python", ">=3.11,<3.14", "pyproject.toml", "project.requires-python"),
        rt("python", "3.12", ".python-version"),
    ]
    assert sub.commands == [
        Command(purpose="lint", run="make lint", source="Makefile"),
        Command(purpose="test", run="make test", source="Makefile"),
    ]


def test_python_pdm(build: Build) -> None:
    pyproject = """
[project]
name = "lib"
requires-python = ">=3.10"
dependencies = ["starlette"]
[tool.pdm.dev-dependencies]
test = ["pytest"]
[build-system]
build-backend = "pdm.backend"
"""
    sub = only(stack_of(build, {"pyproject.toml": pyproject, "pdm.lock": "# pdm\n"}))
    assert facts(sub.package_managers) == {("pdm", "pdm.lock")}
    assert sub.lockfiles == ["pdm.lock"]
    assert facts(sub.frameworks) == {("Starlette", "pyproject.toml")}
    assert facts(sub.test_frameworks) == {("pytest", "pyproject.toml")}


def test_python_pipenv(build: Build) -> None:
    pipfile = """
[packages]
flask = "*"
[dev-packages]
pytest = "*"
[requires]
python_version = "3.11"
"""
    sub = only(
        stack_of(
            build,
            {
                "Pipfile": pipfile,
                "Pipfile.lock": "{}",
                "tests/test_app.py": "import unittest\nclass T(unittest.TestCase): pass\n",
            },
        )
    )
    assert sub.manifests == ["Pipfile"]
    assert facts(sub.package_managers) == {("pipenv", "Pipfile.lock")}
    assert sub.lockfiles == ["Pipfile.lock"]
    assert facts(sub.frameworks) == {("Flask", "Pipfile")}
    assert facts(sub.test_frameworks) == {("pytest", "Pipfile"), ("unittest", "tests/test_app.py")}
    assert sub.runtimes == [rt("python", "3.11", "Pipfile", "requires.python_version")]


def _package_json(**extra: object) -> str:
    data: dict[str, object] = {"name": "web", "version": "1.0.0"}
    data.update(extra)
    return json.dumps(data)


def test_node_npm(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "package.json": _package_json(
                    engines={"node": ">=20"},
                    scripts={"test": "jest", "lint": "eslint .", "build": "tsc -p ."},
                    dependencies={"express": "^4.19.2", "pg": "^8.11"},
                    devDependencies={"jest": "^29.7.0", "eslint": "^9.0.0", "typescript": "^5.4"},
                ),
                "package-lock.json": "{}",
                ".nvmrc": "20.11.1\n",
                "tsconfig.json": "{}",
                "src/index.ts": "export const x = 1;\n",
            },
        )
    )
    assert facts(sub.package_managers) == {("npm", "package-lock.json")}
    assert sub.lockfiles == ["package-lock.json"]
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Express", "package.json", "^4.19.2")
    ]
    assert facts(sub.test_frameworks) == {("jest", "package.json")}
    assert facts(sub.tools) == {
        ("eslint", "package.json"),
        ("typescript", "package.json"),
    }
    assert facts(sub.services) == {("postgres", "package.json")}
    assert sub.runtimes == [
        rt("node", ">=20", "package.json", "engines.node"),
        rt("node", "20.11.1", ".nvmrc"),
    ]
    assert sub.commands == [
        Command(purpose="build", run="npm run build", source="package.json"),
        Command(purpose="lint", run="npm run lint", source="package.json"),
        Command(purpose="test", run="npm test", source="package.json"),
    ]


def test_node_yarn(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "package.json": _package_json(
                    packageManager="yarn@4.1.1",
                    scripts={"test": "vitest run", "typecheck": "tsc --noEmit"},
                    dependencies={"react": "^18.2.0", "next": "14.1.0"},
                    devDependencies={"vitest": "^1.4.0"},
                ),
                "yarn.lock": "# yarn\n",
                ".yarnrc.yml": "nodeLinker: node-modules\n",
            },
        )
    )
    assert [(f.name, f.source, f.version) for f in sub.package_managers] == [
        ("yarn", "package.json", "4.1.1")
    ]
    assert sub.lockfiles == ["yarn.lock"]
    assert facts(sub.frameworks) == {("Next.js", "package.json"), ("React", "package.json")}
    assert facts(sub.test_frameworks) == {("vitest", "package.json")}
    assert rt("yarn", "4.1.1", "package.json", "packageManager") in sub.runtimes
    assert sub.commands == [
        Command(purpose="test", run="yarn test", source="package.json"),
        Command(purpose="typecheck", run="yarn typecheck", source="package.json"),
    ]


def test_node_pnpm_workspace(build: Build) -> None:
    stack = stack_of(
        build,
        {
            "package.json": _package_json(private=True, devDependencies={"prettier": "^3"}),
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n",
            "packages/ui/package.json": _package_json(
                name="ui", dependencies={"vue": "^3.4"}, devDependencies={"vitest": "^1"}
            ),
            "packages/api/package.json": _package_json(
                name="api", dependencies={"fastify": "^4"}, scripts={"test": "node --test"}
            ),
        },
    )
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
    sub = only(
        stack_of(
            build,
            {
                "package.json": _package_json(
                    scripts={"test": "bun test"}, dependencies={"hono": "^4.2.0"}
                ),
                "bun.lockb": b"\x00\x01binary-lock",
            },
        )
    )
    assert facts(sub.package_managers) == {("bun", "bun.lockb")}
    assert sub.lockfiles == ["bun.lockb"]
    assert facts(sub.frameworks) == {("Hono", "package.json")}
    assert facts(sub.test_frameworks) == {("bun test", "package.json")}
    assert sub.commands == [Command(purpose="test", run="bun test", source="package.json")]


def test_go(build: Build) -> None:
    gomod = """module github.com/acme/svc

go 1.22.1

toolchain go1.22.3

require (
\tgithub.com/gin-gonic/gin v1.9.1
\tgithub.com/jackc/pgx/v5 v5.5.5
\tgithub.com/stretchr/testify v1.9.0
)
"""
    sub = only(
        stack_of(
            build,
            {
                "go.mod": gomod,
                "go.sum": "h1\n",
                "main.go": "package main\n",
                "internal/api/api_test.go": "package api\n",
                ".golangci.yml": "linters: {}\n",
            },
        )
    )
    assert sub.manifests == ["go.mod"]
    assert facts(sub.package_managers) == {("go modules", "go.mod")}
    assert sub.lockfiles == ["go.sum"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Gin", "v1.9.1")]
    assert facts(sub.test_frameworks) == {
        ("go test", "internal/api/api_test.go"),
        ("testify", "go.mod"),
    }
    assert facts(sub.services) == {("postgres", "go.mod")}
    assert facts(sub.tools) == {("golangci-lint", ".golangci.yml")}
    assert sub.runtimes == [
        rt("go", "1.22.1", "go.mod", "go"),
        rt("go", "go1.22.3", "go.mod", "toolchain"),
    ]


def test_rust(build: Build) -> None:
    cargo = """
[package]
name = "svc"
edition = "2021"
rust-version = "1.74"
[dependencies]
axum = "0.7"
tokio = { version = "1", features = ["full"] }
"""
    sub = only(
        stack_of(
            build,
            {
                "Cargo.toml": cargo,
                "Cargo.lock": "version = 3\n",
                "rust-toolchain.toml": '[toolchain]\nchannel = "1.77.2"\n',
                "src/main.rs": "fn main() {}\n#[cfg(test)]\nmod tests {}\n",
                "rustfmt.toml": "edition = '2021'\n",
            },
        )
    )
    assert facts(sub.package_managers) == {("cargo", "Cargo.toml")}
    assert sub.lockfiles == ["Cargo.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Axum", "0.7")]
    assert facts(sub.test_frameworks) == {("cargo test", "src/main.rs")}
    assert facts(sub.tools) == {("rustfmt", "rustfmt.toml")}
    assert sub.runtimes == [
        rt("rust", "1.74", "Cargo.toml", "package.rust-version"),
        rt("rust-edition", "2021", "Cargo.toml", "package.edition"),
        rt("rust", "1.77.2", "rust-toolchain.toml", "toolchain.channel"),
    ]


POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.4</version>
  </parent>
  <properties><java.version>21</java.version></properties>
  <modules><module>core</module></modules>
  <dependencies>
    <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId></dependency>
    <dependency>
      <groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId>
      <version>5.10.2</version>
    </dependency>
  </dependencies>
</project>
"""


def test_java_maven_with_module(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "pom.xml": POM,
                "mvnw": "#!/bin/sh\n",
                "core/pom.xml": "<project><dependencies><dependency><groupId>org.testng</groupId>"
                "<artifactId>testng</artifactId></dependency></dependencies></project>",
                "core/src/main/java/A.java": "class A {}\n",
            },
        )
    )
    assert sub.manifests == ["pom.xml", "core/pom.xml"]
    assert facts(sub.package_managers) == {("maven", "mvnw")}
    assert [(f.name, f.source, f.version) for f in sub.frameworks] == [
        ("Spring Boot", "pom.xml", "3.2.4")
    ]
    assert [(f.name, f.source, f.version) for f in sub.test_frameworks] == [
        ("JUnit 5", "pom.xml", "5.10.2"),
        ("TestNG", "core/pom.xml", None),
    ]
    assert facts(sub.services) == {("postgres", "pom.xml")}
    assert sub.runtimes == [rt("java", "21", "pom.xml", "properties.java.version")]


def test_java_gradle_kotlin_dsl(build: Build) -> None:
    gradle = """
plugins {
    id("org.springframework.boot") version "3.2.4"
    kotlin("jvm") version "1.9.23"
}
java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }
dependencies {
    implementation("org.springframework.boot:spring-boot-starter-web")
    testImplementation("org.junit.jupiter:junit-jupiter:5.10.2")
}
tasks.test { useJUnitPlatform() }
"""
    sub = only(
        stack_of(
            build,
            {
                "build.gradle.kts": gradle,
                "settings.gradle.kts": 'rootProject.name = "app"\ninclude("lib")\n',
                "gradlew": "#!/bin/sh\n",
                "gradle/wrapper/gradle-wrapper.properties": "distributionUrl=https\\://services"
                ".gradle.org/distributions/gradle-8.7-bin.zip\n",
                "lib/build.gradle.kts": "dependencies {\n"
                '    testImplementation("io.kotest:kotest-runner-junit5:5.8.1")\n}\n',
            },
        )
    )
    assert sub.manifests == ["build.gradle.kts", "settings.gradle.kts", "lib/build.gradle.kts"]
    assert facts(sub.package_managers) == {("gradle", "gradlew")}
    assert [(f.name, f.version) for f in sub.frameworks] == [("Spring Boot", "3.2.4")]
    assert facts(sub.test_frameworks) == {
        ("JUnit 5", "build.gradle.kts"),
        ("Kotest", "lib/build.gradle.kts"),
    }
    assert sub.runtimes == [
        rt("gradle", "8.7", "gradle/wrapper/gradle-wrapper.properties", "distributionUrl"),
        rt("java", "17", "build.gradle.kts", "toolchain"),
    ]


def test_ruby_bundler(build: Build) -> None:
    gemfile = """source "https://rubygems.org"
ruby "3.3.0"
gem "rails", "~> 7.1.3"
gem "pg"
group :test do
  gem "rspec-rails"
end
gem "rubocop", require: false
"""
    sub = only(
        stack_of(
            build,
            {"Gemfile": gemfile, "Gemfile.lock": "GEM\n", ".ruby-version": "3.3.0\n", ".rspec": ""},
        )
    )
    assert facts(sub.package_managers) == {("bundler", "Gemfile")}
    assert sub.lockfiles == ["Gemfile.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Rails", "~> 7.1.3")]
    assert facts(sub.test_frameworks) == {("RSpec", "Gemfile")}
    assert facts(sub.tools) == {("rubocop", "Gemfile")}
    assert facts(sub.services) == {("postgres", "Gemfile")}
    assert sub.runtimes == [
        rt("ruby", "3.3.0", "Gemfile", "ruby"),
        rt("ruby", "3.3.0", ".ruby-version"),
    ]


def test_php_composer(build: Build) -> None:
    composer = {
        "require": {"php": "^8.2", "laravel/framework": "^11.0"},
        "require-dev": {"phpunit/phpunit": "^10.5", "phpstan/phpstan": "^1.10"},
        "scripts": {"test": "phpunit"},
    }
    sub = only(
        stack_of(
            build,
            {
                "composer.json": json.dumps(composer),
                "composer.lock": "{}",
                "phpunit.xml": "<phpunit/>",
            },
        )
    )
    assert facts(sub.package_managers) == {("composer", "composer.json")}
    assert sub.lockfiles == ["composer.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Laravel", "^11.0")]
    assert facts(sub.test_frameworks) == {("PHPUnit", "composer.json")}
    assert facts(sub.tools) == {("phpstan", "composer.json")}
    assert sub.runtimes == [rt("php", "^8.2", "composer.json", "require.php")]
    assert sub.commands == [
        Command(purpose="test", run="composer run-script test", source="composer.json")
    ]


def test_dotnet_solution_folds_projects(build: Build) -> None:
    web = """<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Npgsql" Version="8.0.2" /></ItemGroup>
</Project>"""
    tests = """<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><PackageReference Include="xunit" Version="2.7.0" /></ItemGroup>
</Project>"""
    stack = stack_of(
        build,
        {
            "App.sln": "Microsoft Visual Studio Solution File\n",
            "global.json": json.dumps({"sdk": {"version": "8.0.204"}}),
            "src/Web/Web.csproj": web,
            "tests/Web.Tests/Web.Tests.csproj": tests,
            "src/Web/packages.lock.json": "{}",
        },
    )
    sub = only(stack)
    assert sub.manifests == ["App.sln", "src/Web/Web.csproj", "tests/Web.Tests/Web.Tests.csproj"]
    assert facts(sub.package_managers) == {("nuget", "App.sln")}
    assert sub.lockfiles == ["src/Web/packages.lock.json"]
    assert facts(sub.frameworks) == {("ASP.NET Core", "src/Web/Web.csproj")}
    assert [(f.name, f.version) for f in sub.test_frameworks] == [("xUnit", "2.7.0")]
    assert facts(sub.services) == {("postgres", "src/Web/Web.csproj")}
    assert sub.runtimes == [
        rt("dotnet", "net8.0", "src/Web/Web.csproj", "TargetFramework"),
        rt("dotnet", "8.0.204", "global.json", "sdk.version"),
    ]


def test_elixir_mix(build: Build) -> None:
    mix = """defmodule App.MixProject do
  def project do
    [app: :app, version: "0.1.0", elixir: "~> 1.16", deps: deps()]
  end
  defp deps do
    [{:phoenix, "~> 1.7.11"}, {:postgrex, ">= 0.0.0"}, {:credo, "~> 1.7", only: :dev}]
  end
end
"""
    sub = only(
        stack_of(
            build,
            {
                "mix.exs": mix,
                "mix.lock": "%{}\n",
                "test/test_helper.exs": "ExUnit.start()\n",
                ".tool-versions": "elixir 1.16.2-otp-26\nerlang 26.2.3\n",
            },
        )
    )
    assert facts(sub.package_managers) == {("mix", "mix.exs")}
    assert sub.lockfiles == ["mix.lock"]
    assert [(f.name, f.version) for f in sub.frameworks] == [("Phoenix", "~> 1.7.11")]
    assert facts(sub.test_frameworks) == {("ExUnit", "test/test_helper.exs")}
    assert facts(sub.tools) == {("credo", "mix.exs")}
    assert facts(sub.services) == {("postgres", "mix.exs")}
    assert sub.runtimes == [
        rt("elixir", "~> 1.16", "mix.exs", "elixir"),
        rt("elixir", "1.16.2-otp-26", ".tool-versions", "elixir"),
        rt("erlang", "26.2.3", ".tool-versions", "erlang"),
    ]


def test_cmake_with_subdirectory(build: Build) -> None:
    top = """cmake_minimum_required(VERSION 3.20)
project(engine LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
enable_testing()
find_package(GTest REQUIRED)
add_subdirectory(lib)
"""
    sub = only(
        stack_of(
            build,
            {
                "CMakeLists.txt": top,
                "lib/CMakeLists.txt": "add_library(core core.cpp)\n",
                "lib/core.cpp": "int f() { return 1; }\n",
                "lib/core.h": "int f();\n",
                ".clang-format": "BasedOnStyle: LLVM\n",
            },
        )
    )
    assert sub.manifests == ["CMakeLists.txt", "lib/CMakeLists.txt"]
    assert facts(sub.package_managers) == {("cmake", "CMakeLists.txt")}
    assert facts(sub.test_frameworks) == {
        ("ctest", "CMakeLists.txt"),
        ("GoogleTest", "CMakeLists.txt"),
    }
    assert facts(sub.tools) == {("clang-format", ".clang-format")}
    assert sub.runtimes == [
        rt("cmake", "3.20", "CMakeLists.txt", "cmake_minimum_required"),
        rt("c++", "20", "CMakeLists.txt", "CMAKE_CXX_STANDARD"),
    ]
    assert {(lang.name, lang.files) for lang in sub.languages} == {("C++", 2), ("CMake", 2)}


def test_c_make(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "Makefile": "CC=cc\nall: tool\ntool: main.o\n\t$(CC) -o tool main.o\n"
                "test: tool\n\t./run-tests.sh\n",
                "main.c": "int main(void) { return 0; }\n",
                "util.h": "#pragma once\n",
            },
        )
    )
    assert sub.manifests == ["Makefile"]
    assert facts(sub.package_managers) == {("make", "Makefile")}
    assert facts(sub.test_frameworks) == {("make test", "Makefile")}
    assert sub.commands == [Command(purpose="test", run="make test", source="Makefile")]
    assert {(lang.name, lang.files) for lang in sub.languages} == {("C", 2), ("Makefile", 1)}


def test_swift_package(build: Build) -> None:
    package = """// swift-tools-version:5.9
import PackageDescription
let package = Package(
    name: "Api",
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.92.0"),
    ]
)
"""
    sub = only(
        stack_of(
            build,
            {
                "Package.swift": package,
                "Package.resolved": "{}",
                "Sources/Api/main.swift": "print(1)\n",
                "Tests/ApiTests/ApiTests.swift": "import XCTest\n",
                ".swiftlint.yml": "disabled_rules: []\n",
            },
        )
    )
    assert facts(sub.package_managers) == {("swift package manager", "Package.swift")}
    assert sub.lockfiles == ["Package.resolved"]
    assert facts(sub.frameworks) == {("Vapor", "Package.swift")}
    assert facts(sub.test_frameworks) == {("XCTest", "Tests/ApiTests/ApiTests.swift")}
    assert facts(sub.tools) == {("swiftlint", ".swiftlint.yml")}
    assert sub.runtimes == [rt("swift", "5.9", "Package.swift", "swift-tools-version")]


def test_polyglot_monorepo(build: Build) -> None:
    stack = stack_of(
        build,
        {
            "README.md": "# mono\n",
            ".tool-versions": "nodejs 20.12.0\npython 3.12.3\n",
            "docker-compose.yml": "services:\n  db:\n    image: postgres:16.2\n"
            "  cache:\n    image: redis:7\n",
            "frontend/package.json": _package_json(dependencies={"react": "^18"}),
            "frontend/package-lock.json": "{}",
            "frontend/Dockerfile": "FROM node:20\n",
            "backend/pyproject.toml": '[project]\nname="b"\ndependencies=["django>=5"]\n',
            "backend/uv.lock": "",
            "backend/Dockerfile": "FROM python:3.12-slim\n",
            "backend/docs/Makefile": "html:\n\tsphinx-build\n",
            "services/billing/go.mod": "module billing\n\ngo 1.22\n",
            "tests/fixtures/demo/package.json": _package_json(),
            "docs/requirements.txt": "sphinx\n",
        },
    )
    assert [s.path for s in stack.subprojects] == ["backend", "frontend", "services/billing"]
    backend, frontend, billing = stack.subprojects
    assert facts(backend.package_managers) == {("uv", "backend/uv.lock")}
    assert facts(backend.frameworks) == {("Django", "backend/pyproject.toml")}
    assert backend.runtimes == [rt("python", "3.12.3", ".tool-versions", "python")]
    assert backend.dockerfiles == ["backend/Dockerfile"]
    assert facts(frontend.package_managers) == {("npm", "frontend/package-lock.json")}
    assert frontend.runtimes == [rt("node", "20.12.0", ".tool-versions", "nodejs")]
    assert frontend.dockerfiles == ["frontend/Dockerfile"]
    assert billing.runtimes == [rt("go", "1.22", "services/billing/go.mod", "go")]
    assert stack.dockerfiles == ["backend/Dockerfile", "frontend/Dockerfile"]
    assert stack.compose_files == ["docker-compose.yml"]
    assert stack.is_monorepo


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
    assert stack.languages == []


def test_scripts_without_manifest_are_one_project(build: Build) -> None:
    stack = stack_of(build, {"tool.py": "print(1)\n", "run.sh": "echo\n"})
    sub = only(stack)
    assert sub.manifests == []
    assert {lang.name for lang in sub.languages} == {"Python", "Shell"}


def test_vendored_generated_and_minified_files_do_not_count(build: Build) -> None:
    stack = stack_of(
        build,
        {
            "package.json": _package_json(),
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


def test_dart_flutter(build: Build) -> None:
    pubspec = """name: app
environment:
  sdk: ">=3.3.0 <4.0.0"
  flutter: ">=3.19.0"
dependencies:
  flutter:
    sdk: flutter
  http: ^1.2.0
dev_dependencies:
  flutter_test:
    sdk: flutter
"""
    sub = only(stack_of(build, {"pubspec.yaml": pubspec, "pubspec.lock": "packages: {}\n"}))
    assert facts(sub.package_managers) == {("pub", "pubspec.yaml"), ("flutter", "pubspec.yaml")}
    assert sub.lockfiles == ["pubspec.lock"]
    assert facts(sub.frameworks) == {("Flutter", "pubspec.yaml")}
    assert facts(sub.test_frameworks) == {("flutter test", "pubspec.yaml")}
    assert sub.runtimes == [
        rt("dart", ">=3.3.0 <4.0.0", "pubspec.yaml", "environment.sdk"),
        rt("flutter", ">=3.19.0", "pubspec.yaml", "environment.flutter"),
    ]


def test_scala_sbt(build: Build) -> None:
    sbt = """scalaVersion := "3.4.1"
libraryDependencies ++= Seq(
  "org.http4s" %% "http4s-ember-server" % "0.23.26",
  "org.scalameta" %% "munit" % "1.0.0" % Test
)
"""
    sub = only(
        stack_of(build, {"build.sbt": sbt, "project/build.properties": "sbt.version=1.9.9\n"})
    )
    assert facts(sub.package_managers) == {("sbt", "build.sbt")}
    assert [(f.name, f.version) for f in sub.frameworks] == [("http4s", "0.23.26")]
    assert [(f.name, f.version) for f in sub.test_frameworks] == [("MUnit", "1.0.0")]
    assert sub.runtimes == [
        rt("scala", "3.4.1", "build.sbt", "scalaVersion"),
        rt("sbt", "1.9.9", "project/build.properties", "sbt.version"),
    ]


def test_python_tox_runs_pytest(build: Build) -> None:
    sub = only(
        stack_of(
            build,
            {
                "setup.py": "from setuptools import setup\n"
                "setup(name='x', python_requires='>=3.9')\n",
                "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ndeps = pytest\ncommands = pytest\n",
            },
        )
    )
    assert facts(sub.package_managers) == {("pip", "setup.py")}
    assert facts(sub.test_frameworks) == {("pytest", "tox.ini")}
    assert facts(sub.tools) == {("tox", "tox.ini")}
    assert sub.runtimes == [rt("python", ">=3.9", "setup.py", "python_requires")]
