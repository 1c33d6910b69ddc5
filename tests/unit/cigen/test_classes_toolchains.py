"""Failure classes of toolchain and tool versions (issue 13, section 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from libs.cigen import generate
from libs.cigen.validate.schema import parse_yaml
from tests.unit.cigen.fixtures import generated
from tests.unit.cigen.reports import PYTHON_PIP, report, sub


def test_a_compile_target_below_17_builds_on_jdk_17(tmp_path: Path) -> None:
    """gson: `maven.compiler.release` 8 is the bytecode level; its build (enforcer,
    plugins, test libraries) needs JDK 17."""
    pom = (
        "<project><properties><maven.compiler.release>8</maven.compiler.release></properties>"
        "<dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId>"
        "</dependency></dependencies></project>"
    )
    maven = generated(tmp_path / "maven", {"pom.xml": pom})
    assert maven.step("java", "actions/setup-java")["with"]["java-version"] == "17"
    assert any("compiles for Java 8" in note for note in maven.notes)


def test_a_gradle_toolchain_below_17_is_installed_beside_the_build_jdk(tmp_path: Path) -> None:
    """retrofit: `java.toolchain.languageVersion = 8`: Gradle runs on 17 and compiles with
    the 8 it finds installed; the last JDK listed is the default one."""
    gradle = "java {\n  toolchain {\n    languageVersion.set(JavaLanguageVersion.of(8))\n  }\n}\n"
    files = {"build.gradle": gradle, "settings.gradle": "", "gradlew": "", "src/test/A.java": ""}
    result = generated(tmp_path, files)
    assert result.step("java", "actions/setup-java")["with"]["java-version"] == "8\n17\n"


def test_go_builds_with_the_toolchain_not_the_go_line_minimum(tmp_path: Path) -> None:
    code = {"main.go": "package main\n\nfunc main() {}\n", "main_test.go": "package main\n"}
    minimum = generated(tmp_path / "a", {"go.mod": "module a\n\ngo 1.15\n", **code})
    assert minimum.step("go", "actions/setup-go")["with"]["go-version"] == "stable"
    assert any("go 1.15 as a minimum" in note for note in minimum.notes)
    pinned = generated(
        tmp_path / "b", {"go.mod": "module a\n\ngo 1.22\n\ntoolchain go1.23.4\n", **code}
    )
    assert pinned.step("go", "actions/setup-go")["with"]["go-version"] == "1.23.4"


def test_dotnet_framework_targets_build_on_windows(tmp_path: Path) -> None:
    """Newtonsoft.Json: net45/net20 targets need the .NET Framework reference assemblies
    and runtime, which Linux runners do not have."""
    csproj = (
        '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup>'
        "<TargetFrameworks>net8.0;net462</TargetFrameworks></PropertyGroup>"
        '<ItemGroup><PackageReference Include="xunit" Version="2.9.2"/></ItemGroup></Project>'
    )
    framework = generated(tmp_path / "fx", {"Lib.Tests.csproj": csproj})
    assert framework.job("dotnet")["runs-on"] == "windows-2025"
    core = generated(tmp_path / "core", {"Lib.Tests.csproj": csproj.replace(";net462", "")})
    assert core.job("dotnet")["runs-on"] == "ubuntu-24.04"


def test_dotnet_builds_where_the_repositorys_ci_does_and_with_its_history(
    tmp_path: Path,
) -> None:
    """AutoMapper's CI runs only on windows-latest (its build runs a shell script it does
    not mark executable; its integration tests use SQL Server LocalDB), and MinVer in
    Directory.Build.props takes its version from git tags: a one-commit clone on Linux
    builds 0.0.0-preview.0 and fails. The same on Linux runners stays on Linux."""
    csproj = (
        '<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup>'
        "<TargetFramework>net8.0</TargetFramework></PropertyGroup>"
        '<ItemGroup><PackageReference Include="xunit" Version="2.9.2"/></ItemGroup></Project>'
    )
    props = (
        '<Project><ItemGroup><PackageReference Include="MinVer" Version="6.0.0" />'
        "</ItemGroup></Project>"
    )
    ci = (
        "on: push\njobs:\n  build:\n    runs-on: {os}\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: dotnet test\n"
    )
    files = {
        "Lib.Tests.csproj": csproj,
        "Directory.Build.props": props,
        ".github/workflows/ci.yml": ci.format(os="windows-latest"),
    }
    windows = generated(tmp_path / "windows", files)
    assert windows.job("dotnet")["runs-on"] == "windows-2025"
    assert windows.step("dotnet", "actions/checkout")["with"]["fetch-depth"] == 0
    linux = {**files, ".github/workflows/ci.yml": ci.format(os="ubuntu-latest")}
    assert generated(tmp_path / "linux", linux).job("dotnet")["runs-on"] == "ubuntu-24.04"


def test_push_triggers_name_the_default_branch(tmp_path: Path) -> None:
    """A push trigger on `main` never fires where the default branch is `master`."""
    master = generate(PYTHON_PIP, default_branch="master")
    assert parse_yaml(master.content)["on"]["push"] == {"branches": ["master"]}
    unknown = generate(PYTHON_PIP)
    assert parse_yaml(unknown.content)["on"]["push"] == {"branches": ["main"]}
    assert any(n.startswith("the default branch is not known") for n in unknown.notes)
    hostile = generate(PYTHON_PIP, default_branch="ma*in")
    assert parse_yaml(hostile.content)["on"]["push"] == {"branches": ["main"]}


@pytest.mark.parametrize(
    ("files", "job"),
    [
        ({"pyproject.toml": '[project]\nname = "a"\n', "tests/test_a.py": ""}, "python"),
        (
            {
                "pyproject.toml": '[project]\nname = "a"\n[tool.poetry]\nname = "a"\n'
                "[build-system]\nbuild-backend = 'poetry.core.masonry.api'\n",
                "poetry.lock": "",
                ".pre-commit-config.yaml": "repos: []\n",
                "tests/test_a.py": "",
            },
            "python",
        ),
        (
            {
                "package.json": json.dumps({"scripts": {"test": "vitest run"}}),
                "pnpm-lock.yaml": "",
            },
            "node",
        ),
        ({"package.json": json.dumps({"scripts": {"test": "vitest"}}), "bun.lock": ""}, "bun"),
        (
            {
                "composer.json": json.dumps({"require-dev": {"phpunit/phpunit": "^11"}}),
                "composer.lock": "{}",
            },
            "php",
        ),
    ],
)
def test_every_tool_a_job_installs_is_pinned(
    tmp_path: Path, files: dict[str, str], job: str
) -> None:
    """`pipx install pdm` broke CI the day a dependency of pdm released. The policy
    validator refuses any unpinned tool install, so a valid generation has none; the
    versions come from the vetted table in libs/cigen/tools.py."""
    result = generated(tmp_path, files)  # asserts the validation found nothing
    installs = [r for r in result.runs(job) if " install " in f" {r} " or "--with" in r]
    for run in installs:
        if run.startswith(("pipx install", "python -m pip install pytest")):
            assert "==" in run, run
    for step in result.job(job)["steps"]:
        options = step.get("with", {})
        for key in ("version", "bun-version"):
            if key in options:
                assert options[key][0].isdigit(), step
        if "tools" in options:
            assert options["tools"].startswith("composer:2."), step


def test_a_container_image_never_floats_on_latest() -> None:
    """A declared Dart or Swift `latest` made `container: dart:latest`, which zizmor
    rejects as an unpinned image (a property test found it): Dart runs on the `stable`
    channel we default to; Swift on the runner image's own."""
    for manager, runtime, expected in (("pub", "dart", "dart:stable"), ("swiftpm", "swift", None)):
        project = sub(
            manifest="pubspec.yaml" if manager == "pub" else "Package.swift",
            managers=[manager],
            runtimes=[(runtime, "latest", "fixture")],
        )
        generation = generate(report(project), code_scanning=False)
        jobs = parse_yaml(generation.content)["jobs"]
        assert [job.get("container") for job in jobs.values()] == [expected]
        assert "latest" not in generation.content


def test_dart_runs_on_a_release_or_a_channel_it_publishes() -> None:
    """A property test declared Dart `lts/iron` (Node.js's alias) and got
    `container: dart:lts/iron`, an image that does not exist and zizmor calls unpinned."""
    for declared, expected in (
        ("lts/iron", "dart:stable"),
        ("3.5", "dart:3.5"),
        ("beta", "dart:beta"),
    ):
        project = sub(
            manifest="pubspec.yaml", managers=["pub"], runtimes=[("dart", declared, "fixture")]
        )
        generation = generate(report(project), code_scanning=False)
        (job,) = parse_yaml(generation.content)["jobs"].values()
        assert job["container"] == expected
        assert generation.validation.findings == []
        said = [n for n in generation.notes if "names no release or channel" in n]
        assert len(said) == (declared == "lts/iron")


def test_the_minimum_rust_only_checks_where_no_lockfile_pins_the_dependencies(
    tmp_path: Path,
) -> None:
    """serde_json declares rust-version 1.71 and commits no Cargo.lock: on 1.71, Cargo
    took the newest trybuild (a dev-dependency needing 1.76) and `cargo test` could not
    build. Its own CI only checks on 1.71; with a Cargo.lock the tests run on both."""
    cargo = '[package]\nname = "x"\nversion = "0.1.0"\nedition = "2021"\nrust-version = "1.71"\n'
    files = {"Cargo.toml": cargo, "src/lib.rs": "", "tests/t.rs": "#[test]\nfn t() {}\n"}
    steps = generated(tmp_path / "unlocked", files).job("rust")["steps"]
    conditions = {s["run"]: s.get("if") for s in steps if "run" in s}
    assert conditions["cargo check"] == "matrix.rust-version == '1.71'"
    assert conditions["cargo test"] == "matrix.rust-version == 'stable'"
    locked = generated(tmp_path / "locked", {**files, "Cargo.lock": "version = 4\n"})
    tests = [s for s in locked.job("rust")["steps"] if s.get("run", "").startswith("cargo test")]
    assert tests
    assert "if" not in tests[0]
    assert "cargo check" not in locked.runs("rust")
