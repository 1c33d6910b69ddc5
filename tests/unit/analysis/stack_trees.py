"""The stack fixture trees: one small repository per ecosystem, as files on disk.

The analysis tests assert what the stack analyser finds in each; the CI generation tests
run the real analysis on the same trees and generate CI from it.
"""

from __future__ import annotations

import json

from tests.unit.analysis.conftest import Files


def package_json(**extra: object) -> str:
    data: dict[str, object] = {"name": "web", "version": "1.0.0"}
    data.update(extra)
    return json.dumps(data)


PYTHON_PIP: Files = {
    "requirements.txt": "Django==5.0.3\npsycopg[binary]>=3.1\n# comment\n-r dev.txt\n",
    "requirements-dev.txt": "pytest>=8\nruff\n",
    ".python-version": "3.12.2\n",
    "manage.py": "import django\n",
    "app/tests/test_views.py": "def test_ok(): pass\n",
}

PYTHON_POETRY: Files = {
    "pyproject.toml": """
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
""",
    "poetry.lock": "# lock\n",
}

PYTHON_UV: Files = {
    "pyproject.toml": """
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
""",
    "uv.lock": "version = 1\n",
    ".python-version": "3.12\n",
    "Makefile": "test:\n\tuv run pytest\nlint:\n\truff check .\n",
}

PYTHON_PDM: Files = {
    "pyproject.toml": """
[project]
name = "lib"
requires-python = ">=3.10"
dependencies = ["starlette"]
[tool.pdm.dev-dependencies]
test = ["pytest"]
[build-system]
build-backend = "pdm.backend"
""",
    "pdm.lock": "# pdm\n",
}

PYTHON_PIPENV: Files = {
    "Pipfile": """
[packages]
flask = "*"
[dev-packages]
pytest = "*"
[requires]
python_version = "3.11"
""",
    "Pipfile.lock": "{}",
    "tests/test_app.py": "import unittest\nclass T(unittest.TestCase): pass\n",
}

NODE_NPM: Files = {
    "package.json": package_json(
        engines={"node": ">=20"},
        scripts={"test": "jest", "lint": "eslint .", "build": "tsc -p ."},
        dependencies={"express": "^4.19.2", "pg": "^8.11"},
        devDependencies={"jest": "^29.7.0", "eslint": "^9.0.0", "typescript": "^5.4"},
    ),
    "package-lock.json": "{}",
    ".nvmrc": "20.11.1\n",
    "tsconfig.json": "{}",
    "src/index.ts": "export const x = 1;\n",
}

NODE_YARN: Files = {
    "package.json": package_json(
        packageManager="yarn@4.1.1",
        scripts={"test": "vitest run", "typecheck": "tsc --noEmit"},
        dependencies={"react": "^18.2.0", "next": "14.1.0"},
        devDependencies={"vitest": "^1.4.0"},
    ),
    "yarn.lock": "# yarn\n",
    ".yarnrc.yml": "nodeLinker: node-modules\n",
}

NODE_PNPM_WORKSPACE: Files = {
    "package.json": package_json(private=True, devDependencies={"prettier": "^3"}),
    "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "pnpm-workspace.yaml": "packages:\n  - 'packages/*'\n",
    "packages/ui/package.json": package_json(
        name="ui", dependencies={"vue": "^3.4"}, devDependencies={"vitest": "^1"}
    ),
    "packages/api/package.json": package_json(
        name="api", dependencies={"fastify": "^4"}, scripts={"test": "node --test"}
    ),
}

NODE_BUN: Files = {
    "package.json": package_json(scripts={"test": "bun test"}, dependencies={"hono": "^4.2.0"}),
    "bun.lockb": b"\x00\x01binary-lock",
}

GO: Files = {
    "go.mod": """module github.com/acme/svc

go 1.22.1

toolchain go1.22.3

require (
\tgithub.com/gin-gonic/gin v1.9.1
\tgithub.com/jackc/pgx/v5 v5.5.5
\tgithub.com/stretchr/testify v1.9.0
)
""",
    "go.sum": "h1\n",
    "main.go": "package main\n",
    "internal/api/api_test.go": "package api\n",
    ".golangci.yml": "linters: {}\n",
}

RUST: Files = {
    "Cargo.toml": """
[package]
name = "svc"
edition = "2021"
rust-version = "1.74"
[dependencies]
axum = "0.7"
tokio = { version = "1", features = ["full"] }
""",
    "Cargo.lock": "version = 3\n",
    "rust-toolchain.toml": '[toolchain]\nchannel = "1.77.2"\n',
    "src/main.rs": "fn main() {}\n#[cfg(test)]\nmod tests {}\n",
    "rustfmt.toml": "edition = '2021'\n",
}

JAVA_MAVEN: Files = {
    "pom.xml": """<?xml version="1.0" encoding="UTF-8"?>
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
""",
    "mvnw": "#!/bin/sh\n",
    "core/pom.xml": "<project><dependencies><dependency><groupId>org.testng</groupId>"
    "<artifactId>testng</artifactId></dependency></dependencies></project>",
    "core/src/main/java/A.java": "class A {}\n",
}

JAVA_GRADLE: Files = {
    "build.gradle.kts": """
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
""",
    "settings.gradle.kts": 'rootProject.name = "app"\ninclude("lib")\n',
    "gradlew": "#!/bin/sh\n",
    "gradle/wrapper/gradle-wrapper.properties": "distributionUrl=https\\://services"
    ".gradle.org/distributions/gradle-8.7-bin.zip\n",
    "lib/build.gradle.kts": "dependencies {\n"
    '    testImplementation("io.kotest:kotest-runner-junit5:5.8.1")\n}\n',
}

RUBY_BUNDLER: Files = {
    "Gemfile": """source "https://rubygems.org"
ruby "3.3.0"
gem "rails", "~> 7.1.3"
gem "pg"
group :test do
  gem "rspec-rails"
end
gem "rubocop", require: false
""",
    "Gemfile.lock": "GEM\n",
    ".ruby-version": "3.3.0\n",
    ".rspec": "",
}

PHP_COMPOSER: Files = {
    "composer.json": json.dumps(
        {
            "require": {"php": "^8.2", "laravel/framework": "^11.0"},
            "require-dev": {"phpunit/phpunit": "^10.5", "phpstan/phpstan": "^1.10"},
            "scripts": {"test": "phpunit"},
        }
    ),
    "composer.lock": "{}",
    "phpunit.xml": "<phpunit/>",
}

DOTNET: Files = {
    "App.sln": "Microsoft Visual Studio Solution File\n",
    "global.json": json.dumps({"sdk": {"version": "8.0.204"}}),
    "src/Web/Web.csproj": """<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="Npgsql" Version="8.0.2" /></ItemGroup>
</Project>""",
    "tests/Web.Tests/Web.Tests.csproj": """<Project Sdk="Microsoft.NET.Sdk">
  <ItemGroup><PackageReference Include="xunit" Version="2.7.0" /></ItemGroup>
</Project>""",
    "src/Web/packages.lock.json": "{}",
}

ELIXIR_MIX: Files = {
    "mix.exs": """defmodule App.MixProject do
  def project do
    [app: :app, version: "0.1.0", elixir: "~> 1.16", deps: deps()]
  end
  defp deps do
    [{:phoenix, "~> 1.7.11"}, {:postgrex, ">= 0.0.0"}, {:credo, "~> 1.7", only: :dev}]
  end
end
""",
    "mix.lock": "%{}\n",
    "test/test_helper.exs": "ExUnit.start()\n",
    ".tool-versions": "elixir 1.16.2-otp-26\nerlang 26.2.3\n",
}

CMAKE: Files = {
    "CMakeLists.txt": """cmake_minimum_required(VERSION 3.20)
project(engine LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
enable_testing()
find_package(GTest REQUIRED)
add_subdirectory(lib)
""",
    "lib/CMakeLists.txt": "add_library(core core.cpp)\n",
    "lib/core.cpp": "int f() { return 1; }\n",
    "lib/core.h": "int f();\n",
    ".clang-format": "BasedOnStyle: LLVM\n",
}

C_MAKE: Files = {
    "Makefile": "CC=cc\nall: tool\ntool: main.o\n\t$(CC) -o tool main.o\n"
    "test: tool\n\t./run-tests.sh\n",
    "main.c": "int main(void) { return 0; }\n",
    "util.h": "#pragma once\n",
}

SWIFT: Files = {
    "Package.swift": """// swift-tools-version:5.9
import PackageDescription
let package = Package(
    name: "Api",
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", from: "4.92.0"),
    ]
)
""",
    "Package.resolved": "{}",
    "Sources/Api/main.swift": "print(1)\n",
    "Tests/ApiTests/ApiTests.swift": "import XCTest\n",
    ".swiftlint.yml": "disabled_rules: []\n",
}

POLYGLOT_MONOREPO: Files = {
    "README.md": "# mono\n",
    ".tool-versions": "nodejs 20.12.0\npython 3.12.3\n",
    "docker-compose.yml": "services:\n  db:\n    image: postgres:16.2\n"
    "  cache:\n    image: redis:7\n",
    "frontend/package.json": package_json(
        dependencies={"react": "^18"},
        devDependencies={"vitest": "^2"},
        scripts={"test": "vitest run"},
    ),
    "frontend/package-lock.json": "{}",
    "frontend/Dockerfile": "FROM node:20\n",
    "backend/pyproject.toml": '[project]\nname="b"\ndependencies=["django>=5"]\n',
    "backend/uv.lock": "",
    "backend/tests/test_api.py": "def test_api(): pass\n",
    "backend/Dockerfile": "FROM python:3.12-slim\n",
    "backend/docs/Makefile": "html:\n\tsphinx-build\n",
    "services/billing/go.mod": "module billing\n\ngo 1.22\n",
    "tests/fixtures/demo/package.json": package_json(),
    "docs/requirements.txt": "sphinx\n",
}

DART_FLUTTER: Files = {
    "pubspec.yaml": """name: app
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
""",
    "pubspec.lock": "packages: {}\n",
}

SCALA_SBT: Files = {
    "build.sbt": """scalaVersion := "3.4.1"
libraryDependencies ++= Seq(
  "org.http4s" %% "http4s-ember-server" % "0.23.26",
  "org.scalameta" %% "munit" % "1.0.0" % Test
)
""",
    "project/build.properties": "sbt.version=1.9.9\n",
}

PYTHON_TOX: Files = {
    "setup.py": "from setuptools import setup\nsetup(name='x', python_requires='>=3.9')\n",
    "tox.ini": "[tox]\nenvlist = py311\n[testenv]\ndeps = pytest\ncommands = pytest\n",
}

# A monorepo whose test and docs folders hold manifests that are test data or examples
# (black's tests/data/*/pyproject.toml and docs/compatible_configs/*, fastify's
# test/bundler/*/package.json), beside real packages and a workspace of test packages.
MONOREPO_WITH_TEST_DATA: Files = {
    "package.json": package_json(private=True, workspaces=["packages/*", "apps/*"]),
    "package-lock.json": "{}",
    "packages/core/package.json": package_json(name="core"),
    "packages/core/test/fixtures/app/package.json": package_json(name="fixture"),
    "packages/core/test/bundler/esbuild/package.json": package_json(name="bundle-test"),
    "apps/web/package.json": package_json(name="web", dependencies={"next": "14.1.0"}),
    "apps/web/__tests__/pkg/package.json": package_json(name="snapshot"),
    "services/py/pyproject.toml": '[project]\nname="py"\n',
    "services/py/tests/data/nested_gitignore_tests/pyproject.toml": "[tool.black]\n",
    "libs/go/go.mod": "module example.com/lib\n\ngo 1.22\n",
    "test/bundler/webpack/package.json": package_json(name="webpack-test"),
    "tests/data/include_exclude_tests/pyproject.toml": "[tool.black]\n",
    "docs/package.json": package_json(name="site", dependencies={"@docusaurus/core": "^3"}),
    "docs/compatible_configs/isort/pyproject.toml": "[tool.isort]\nprofile='black'\n",
    "docs/compatible_configs/pylint/setup.cfg": "[pylint]\n",
    "e2e/package.json": package_json(name="e2e", devDependencies={"@playwright/test": "^1"}),
}

# vitest's layout: the pnpm workspace itself lists the packages under test/
PNPM_TEST_WORKSPACE: Files = {
    "package.json": package_json(private=True),
    "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "pnpm-workspace.yaml": "packages:\n  - packages/*\n  - test/*\n",
    "packages/vitest/package.json": package_json(name="vitest"),
    "test/core/package.json": package_json(name="test-core"),
    "test/core/fixtures/a/package.json": package_json(name="fixture"),
}

# FastAPI's pyproject (abridged): the pdm-backend build backend, developed with uv or pip,
# Flask only in a test group, the web servers only in extras
PYTHON_PDM_BACKEND_ONLY: Files = {
    "pyproject.toml": """
[build-system]
requires = ["pdm-backend"]
build-backend = "pdm.backend"
[project]
name = "fastapi"
dependencies = ["starlette>=0.40.0,<0.48.0", "pydantic>=1.7.4"]
[project.optional-dependencies]
standard = ["uvicorn[standard]>=0.12.0", "httpx>=0.23.0"]
[dependency-groups]
tests = ["pytest>=7.1.3", "flask>=3.0.0,<4.0.0", "sqlalchemy>=1.3.18", "mypy==1.14.1"]
[tool.pdm]
distribution = true
[tool.pdm.version]
source = "file"
path = "fastapi/__init__.py"
[tool.pdm.build]
source-includes = ["tests/"]
""",
    "fastapi/__init__.py": '__version__ = "0.1"\n',
}

# black's: hatchling, and aiohttp only for the optional blackd server (the `d` extra)
PYTHON_FRAMEWORK_IN_EXTRA: Files = {
    "pyproject.toml": """
build-system = { requires = ["hatchling>=1.27.0"], build-backend = "hatchling.build" }
dependency-groups = { dev = ["pre-commit"] }
[project]
name = "black"
dependencies = ["click>=8.0.0", "pathspec>=0.9.0"]
optional-dependencies = { d = ["aiohttp>=3.10"] }
""",
}

# the poetry-core backend with PEP 621 metadata: pip builds it, nothing needs poetry
PYTHON_POETRY_CORE_BACKEND_ONLY: Files = {
    "pyproject.toml": """
project = { name = "svc", dependencies = ["django>=5"] }
tool.poetry.packages = [{ include = "svc", from = "src" }]
[build-system]
requires = ["poetry-core>=2.0"]
build-backend = "poetry.core.masonry.api"
""",
}

# name -> tree: every ecosystem fixture, for tests that run over all of them
TREES: dict[str, Files] = {
    "python-pip": PYTHON_PIP,
    "python-poetry": PYTHON_POETRY,
    "python-uv": PYTHON_UV,
    "python-pdm": PYTHON_PDM,
    "python-pipenv": PYTHON_PIPENV,
    "node-npm": NODE_NPM,
    "node-yarn": NODE_YARN,
    "node-pnpm-workspace": NODE_PNPM_WORKSPACE,
    "node-bun": NODE_BUN,
    "go": GO,
    "rust": RUST,
    "java-maven": JAVA_MAVEN,
    "java-gradle": JAVA_GRADLE,
    "ruby-bundler": RUBY_BUNDLER,
    "php-composer": PHP_COMPOSER,
    "dotnet": DOTNET,
    "elixir-mix": ELIXIR_MIX,
    "cmake": CMAKE,
    "c-make": C_MAKE,
    "swift": SWIFT,
    "polyglot-monorepo": POLYGLOT_MONOREPO,
    "dart-flutter": DART_FLUTTER,
    "scala-sbt": SCALA_SBT,
    "python-tox": PYTHON_TOX,
}
