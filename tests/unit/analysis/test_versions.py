"""Declared toolchain versions with their constraint and line, and lockfile formats."""

from __future__ import annotations

import json

import pytest

from libs.analysis.report import Constraint, LockfileFormat, RuntimeVersion, Subproject
from libs.analysis.stack import analyse_stack
from libs.analysis.stack.model import constraint_of
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build, Files

Found = tuple[str, str, str | None, Constraint, int | None]


def sub_at(build: Build, files: Files, path: str = ".") -> Subproject:
    stack = analyse_stack(Tree.scan(build(files)))
    return next(s for s in stack.subprojects if s.path == path)


def declared(sub: Subproject, runtime: str) -> list[Found]:
    return [
        (r.version, r.source, r.field, r.constraint, r.line)
        for r in sub.runtimes
        if r.runtime == runtime
    ]


@pytest.mark.parametrize(
    ("version", "constraint"),
    [
        ("3.12", "exact"),
        ("lts/iron", "exact"),
        ("1.22.x", "exact"),
        ("==3.12.*", "exact"),
        ("net8.0;net48", "exact"),
        (">=3.10", "minimum"),
        ("[17,)", "minimum"),
        ("^20", "range"),
        (">=3.9,<3.13", "range"),
        ("~> 3.2", "range"),
        ("[17,22)", "range"),
    ],
)
def test_a_version_text_says_how_it_binds(version: str, constraint: Constraint) -> None:
    assert constraint_of(version) == constraint


def test_go_keeps_both_the_minimum_and_the_toolchain(build: Build) -> None:
    sub = sub_at(build, {"go.mod": "module x\n\ngo 1.22.0\n\ntoolchain go1.23.4\n"})
    assert declared(sub, "go") == [
        ("1.22.0", "go.mod", "go", "minimum", 3),
        ("go1.23.4", "go.mod", "toolchain", "exact", 5),
    ]


def test_cmake_minimum_and_the_c_and_cxx_standards(build: Build) -> None:
    cmake = (
        "cmake_minimum_required(VERSION 3.10...3.28)\nproject(x C CXX)\n"
        "set(CMAKE_C_STANDARD 11)\n"
        "add_library(core core.cpp)\ntarget_compile_features(core PUBLIC cxx_std_17)\n"
    )
    sub = sub_at(build, {"CMakeLists.txt": cmake})
    # a minimum, not an exact version (the part after `...` is a policy range, no need)
    assert declared(sub, "cmake") == [
        (">=3.10", "CMakeLists.txt", "cmake_minimum_required", "minimum", 1)
    ]
    assert declared(sub, "c") == [("11", "CMakeLists.txt", "CMAKE_C_STANDARD", "exact", 3)]
    assert declared(sub, "c++") == [("17", "CMakeLists.txt", "compile_features", "minimum", 5)]
    flags = sub_at(
        build,
        {
            "CMakeLists.txt": "cmake_minimum_required(VERSION 3.5)\n"
            'set(CMAKE_C_FLAGS "-std=c89 -Wall")\n'
        },
    )
    assert declared(flags, "c") == [("89", "CMakeLists.txt", "-std", "exact", 2)]


POM = """\
<project>
  <properties>
    <java.version>17</java.version>
    <maven.compiler.release>${java.version}</maven.compiler.release>
  </properties>
  <build>
    <plugins>
      <plugin>
        <artifactId>maven-enforcer-plugin</artifactId>
        <configuration>
          <rules>
            <requireJavaVersion>
              <version>[17,22)</version>
            </requireJavaVersion>
            <requireMavenVersion><version>3.8</version></requireMavenVersion>
          </rules>
        </configuration>
      </plugin>
      <plugin>
        <artifactId>maven-toolchains-plugin</artifactId>
        <configuration><toolchains><jdk><version>21</version></jdk></toolchains></configuration>
      </plugin>
    </plugins>
  </build>
</project>
"""


def test_maven_release_enforcer_toolchains_and_wrapper(build: Build) -> None:
    wrapper = (
        "distributionUrl=https://repo.maven.apache.org/maven2/org/apache/maven/"
        "apache-maven/3.9.9/apache-maven-3.9.9-bin.zip\n"
    )
    sub = sub_at(build, {"pom.xml": POM, ".mvn/wrapper/maven-wrapper.properties": wrapper})
    assert declared(sub, "java") == [
        ("17", "pom.xml", "properties.maven.compiler.release", "minimum", 4),
        ("17", "pom.xml", "properties.java.version", "minimum", 3),
        ("[17,22)", "pom.xml", "maven-enforcer-plugin.requireJavaVersion", "range", 13),
        ("21", "pom.xml", "maven-toolchains-plugin.jdk.version", "exact", 21),
    ]
    assert declared(sub, "maven") == [
        ("3.8", "pom.xml", "maven-enforcer-plugin.requireMavenVersion", "minimum", 15),
        ("3.9.9", ".mvn/wrapper/maven-wrapper.properties", "distributionUrl", "exact", 1),
    ]


CATALOG = """\
[versions]
kotlin = "2.0.21"
jdk = "21"
agp = "8.5.0"
[plugins]
android-app = { id = "com.android.application", version.ref = "agp" }
kotlin-jvm = { id = "org.jetbrains.kotlin.jvm", version.ref = "kotlin" }
"""
GRADLE = """\
plugins { id("org.jetbrains.kotlin.jvm") }
java {
    toolchain { languageVersion = JavaLanguageVersion.of(libs.versions.jdk.get()) }
}
kotlin {
  compilerOptions { jvmTarget.set(JvmTarget.JVM_1_8); freeCompilerArgs.add("-Xjdk-release=8") }
}
"""


def test_gradle_toolchains_targets_and_the_version_catalog(build: Build) -> None:
    sub = sub_at(
        build,
        {
            "build.gradle.kts": GRADLE,
            "settings.gradle.kts": "",
            "gradle/libs.versions.toml": CATALOG,
            ".github/workflows/.java-version": "17\n",
        },
    )
    assert declared(sub, "java") == [
        ("21", "build.gradle.kts", "toolchain", "exact", 3),
        ("8", "build.gradle.kts", "kotlin.jvmTarget", "minimum", 6),
        ("21", "gradle/libs.versions.toml", "versions.jdk", "exact", 3),
        # a workflow's version file counts too, after what the build itself says
        ("17", ".github/workflows/.java-version", None, "exact", 1),
    ]
    assert declared(sub, "kotlin") == [
        ("2.0.21", "gradle/libs.versions.toml", "versions.kotlin", "exact", 2)
    ]
    assert declared(sub, "android-gradle-plugin") == [
        ("8.5.0", "gradle/libs.versions.toml", "versions.agp", "exact", 4)
    ]
    own = sub_at(
        build,
        {"pom.xml": "<project/>", ".java-version": "21\n", ".github/.java-version": "11\n"},
    )
    assert declared(own, "java") == [("21", ".java-version", None, "exact", 1)]


def test_global_json_roll_forward_makes_the_sdk_a_minimum(build: Build) -> None:
    csproj = (
        '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup>'
        "<TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>"
    )
    latest = {"sdk": {"version": "8.0.100", "rollForward": "latestFeature"}}
    pinned = {"sdk": {"version": "8.0.100"}}
    for sdk, constraint in ((latest, "minimum"), (pinned, "exact")):
        sub = sub_at(build, {"app.csproj": csproj, "global.json": json.dumps(sdk)})
        assert ("8.0.100", "global.json", "sdk.version", constraint) in [
            found[:4] for found in declared(sub, "dotnet")
        ]


GEMFILE_LOCK = """\
GEM
  remote: https://rubygems.org/
  specs:
    rails (6.0.6.1)
      actionpack (= 6.0.6.1)
    railties (6.0.6.1)

PLATFORMS
  ruby

RUBY VERSION
   ruby 2.7.8p225

BUNDLED WITH
   1.17.3
"""


def test_gemfile_lock_ruby_bundler_and_the_ruby_a_locked_rails_needs(build: Build) -> None:
    sub = sub_at(build, {"Gemfile": "gem 'rails'\n", "Gemfile.lock": GEMFILE_LOCK})
    # the lock pins the Ruby: the range the locked Rails accepts would be a second answer
    assert declared(sub, "ruby") == [("2.7.8", "Gemfile.lock", "RUBY VERSION", "exact", 12)]
    assert declared(sub, "bundler") == [("1.17.3", "Gemfile.lock", "BUNDLED WITH", "exact", 15)]
    assert sub.lockfile_formats == [
        LockfileFormat(
            path="Gemfile.lock",
            manager="bundler",
            version="1.17.3",
            field="BUNDLED WITH",
            line=15,
            generated_by="1.17.3",
        )
    ]


def test_the_ruby_a_locked_rails_needs_only_where_nothing_pins_one(build: Build) -> None:
    unpinned = GEMFILE_LOCK.replace("RUBY VERSION\n   ruby 2.7.8p225\n\n", "")
    files: Files = {"Gemfile": "gem 'rails'\nruby '>= 2.5'\n", "Gemfile.lock": unpinned}
    assert declared(sub_at(build, files), "ruby") == [
        (">= 2.5", "Gemfile", "ruby", "minimum", 2),
        (">= 2.5.0, < 3.0", "Gemfile.lock", "rails (6.0.6)", "range", 4),
    ]
    pinned = sub_at(build, {**files, ".ruby-version": "2.7.8\n"})
    assert [found[1] for found in declared(pinned, "ruby")] == ["Gemfile", ".ruby-version"]


def test_a_gems_required_ruby_version(build: Build) -> None:
    gemspec = (
        "Gem::Specification.new do |s|\n  s.name = 'x'\n"
        "  s.required_ruby_version = '>= 3.2.0'\nend\n"
    )
    sub = sub_at(
        build, {"Gemfile": "gemspec\n", "x.gemspec": gemspec, "Dockerfile": "FROM ruby:4.0\n"}
    )
    # the gem's own requirement, so the Dockerfile's image is not needed
    assert declared(sub, "ruby") == [
        (">= 3.2.0", "x.gemspec", "required_ruby_version", "minimum", 3)
    ]


def test_a_dockerfile_base_image_is_the_last_resort(build: Build) -> None:
    dockerfile = "ARG PY=3.11\nFROM python:${PY}-slim AS build\nFROM gcr.io/distroless/base\n"
    sub = sub_at(build, {"requirements.txt": "flask\n", "Dockerfile": dockerfile})
    assert declared(sub, "python") == [("3.11", "Dockerfile", "FROM", "exact", 2)]
    declared_elsewhere = sub_at(
        build,
        {"requirements.txt": "flask\n", "Dockerfile": dockerfile, ".python-version": "3.12\n"},
    )
    assert [r.source for r in declared_elsewhere.runtimes] == [".python-version"]


def test_rust_minimum_and_toolchain(build: Build) -> None:
    cargo = '[package]\nname = "x"\nedition = "2021"\nrust-version = "1.70"\n'
    sub = sub_at(
        build, {"Cargo.toml": cargo, "rust-toolchain.toml": '[toolchain]\nchannel = "1.79.0"\n'}
    )
    assert declared(sub, "rust") == [
        ("1.70", "Cargo.toml", "package.rust-version", "minimum", 4),
        ("1.79.0", "rust-toolchain.toml", "toolchain.channel", "exact", 2),
    ]


def test_a_workspace_declares_the_edition_its_members_inherit(build: Build) -> None:
    root = (
        '[package]\nname = "x"\nedition.workspace = true\n'
        '[workspace]\nmembers = ["crates/*"]\n[workspace.package]\nedition = "2024"\n'
    )
    member = '[package]\nname = "y"\nedition.workspace = true\n'
    files: Files = {"Cargo.toml": root, "crates/y/Cargo.toml": member, "crates/y/src/lib.rs": ""}
    assert declared(sub_at(build, files), "rust-edition") == [
        ("2024", "Cargo.toml", "workspace.package.edition", "exact", 7)
    ]
    # the member's file declares nothing of its own
    assert declared(sub_at(build, files, "crates/y"), "rust-edition") == []


def test_a_version_file_a_workflow_reads_declares_its_runtime(build: Build) -> None:
    workflow = (
        "on: push\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - uses: actions/setup-python@v5\n        with:\n"
        "          python-version-file: .python-version-default\n"
    )
    files: Files = {
        "pyproject.toml": "[project]\nname = 'x'\nrequires-python = '>=3.9'\n",
        ".python-version-default": "3.13\n",
        ".github/workflows/ci.yml": workflow,
    }
    assert declared(sub_at(build, files), "python") == [
        (">=3.9", "pyproject.toml", "project.requires-python", "minimum", 3),
        ("3.13", ".python-version-default", None, "exact", 1),
    ]


def lockfile(sub: Subproject) -> tuple[str, str, str | None, str | None]:
    (found,) = sub.lockfile_formats
    return (found.manager, found.version, found.readers, found.generated_by)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pnpm-lock.yaml": "lockfileVersion: '6.0'\n"}, ("pnpm", "6.0", "8", None)),
        ({"pnpm-lock.yaml": "lockfileVersion: '9.0'\n"}, ("pnpm", "9.0", ">=9", None)),
        (
            {"yarn.lock": "# comment\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n"},
            ("yarn", "8", "4", None),
        ),
        (
            {"yarn.lock": "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n"},
            ("yarn", "1", "1", None),
        ),
        ({"package-lock.json": '{\n  "lockfileVersion": 3\n}'}, ("npm", "3", ">=7", None)),
        ({"bun.lock": '{\n  "lockfileVersion": 1,\n}'}, ("bun", "1", ">=1.2", None)),
    ],
)
def test_node_lockfile_formats_decide_the_manager_version(
    build: Build, files: Files, expected: tuple[str, str, str | None, str | None]
) -> None:
    assert lockfile(sub_at(build, {"package.json": "{}", **files})) == expected


def test_python_and_cargo_lockfile_formats(build: Build) -> None:
    poetry = (
        "# This file is automatically @generated by Poetry 1.8.3 and should not be changed"
        ' by hand.\n\n[metadata]\nlock-version = "2.0"\n'
    )
    sub = sub_at(build, {"pyproject.toml": "[tool.poetry]\nname = 'x'\n", "poetry.lock": poetry})
    assert lockfile(sub) == ("poetry", "2.0", ">=1.3", "1.8.3")
    assert sub.lockfile_formats[0].line == 4
    cargo = sub_at(
        build, {"Cargo.toml": '[package]\nname = "x"\n', "Cargo.lock": "# auto\nversion = 4\n"}
    )
    assert lockfile(cargo) == ("cargo", "4", ">=1.78", None)


def test_yarn_path_pins_the_yarn_release(build: Build) -> None:
    sub = sub_at(
        build,
        {
            "package.json": "{}",
            ".yarnrc.yml": "nodeLinker: node-modules\nyarnPath: .yarn/releases/yarn-3.6.1.cjs\n",
        },
    )
    assert declared(sub, "yarn") == [("3.6.1", ".yarnrc.yml", "yarnPath", "exact", 2)]


def test_runtime_versions_serialise_with_their_constraint(build: Build) -> None:
    sub = sub_at(build, {"go.mod": "module x\ngo 1.21\n"})
    (found,) = sub.runtimes
    assert found == RuntimeVersion(
        runtime="go", version="1.21", source="go.mod", field="go", constraint="minimum", line=2
    )
