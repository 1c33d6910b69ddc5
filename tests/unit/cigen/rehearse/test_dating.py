"""--as-of: the date parsed, the variables each step gets and what its report says."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from libs.cigen.rehearse.dating import (
    BadDate,
    age_gate,
    for_step,
    parse,
    pinned_installs,
    pip_pins_beside_others,
    undated_failure,
    write_age_gates,
)

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_a_date_without_a_zone_is_utc_and_one_with_a_zone_is_converted() -> None:
    assert parse("2025-06-01", None, SHA).iso == "2025-06-01T00:00:00Z"
    assert parse("2025-06-01T02:30:00+02:00", None, SHA).iso == "2025-06-01T00:30:00Z"
    assert parse("2025-06-01T00:00:00Z", None, SHA).origin == "given"


def test_commit_is_the_checkouts_committer_date() -> None:
    as_of = parse("commit", "2024-11-03T18:04:05-08:00", SHA)
    assert as_of.iso == "2024-11-04T02:04:05Z"
    assert as_of.origin == "committer date of 0123456789ab"


@pytest.mark.parametrize(("text", "commit"), [("yesterday", None), ("commit", None)])
def test_what_is_not_a_date_is_refused(text: str, commit: str | None) -> None:
    with pytest.raises(BadDate):
        parse(text, commit, SHA)


def tools(tmp_path: Path, **versions: str) -> dict[str, str]:
    """An env whose PATH has only programs printing these `--version` lines."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, line in versions.items():
        (bin_dir / name).write_text(f"#!/bin/sh\necho '{line}'\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


def test_every_step_gets_the_dates_and_the_note_names_the_tools_its_script_runs(
    tmp_path: Path,
) -> None:
    as_of = parse("2025-06-01", None, SHA)
    env = tools(tmp_path, pnpm="10.34.9", bun="1.2.19", yarn="1.22.22")
    script = "npm ci\npnpm install\nbun install\nyarn\npoetry install"
    dated = for_step(as_of, script, tmp_path, tmp_path, env)
    # Yarn 1 has no age gate, and a Berry before 4.10 refuses the variable: not set
    assert "YARN_NPM_MINIMAL_AGE_GATE" not in dated.env
    assert dated.env == {
        "PIP_UPLOADED_PRIOR_TO": "2025-06-01T00:00:00Z",
        "npm_config_before": "2025-06-01T00:00:00Z",
        "UV_EXCLUDE_NEWER": "2025-06-01T00:00:00Z",
    }
    assert dated.note.split("; ") == [
        "npm dated (npm_config_before)",
        "pnpm 10.34.9 dated (minimum-release-age in ~/.config/pnpm/rc, minutes before the step)",
        "yarn 1.22.22 NOT dated: npmMinimalAgeGate needs yarn 4.10",
        "bun 1.2.19 NOT dated: minimumReleaseAge needs bun 1.3",
        "poetry not dated: poetry resolves with its own resolver, which has no such option",
    ]
    assert for_step(as_of, "python -m pytest", tmp_path, tmp_path, env).note == ""


def test_the_age_gates_pnpm_and_bun_read_are_written_in_the_jobs_home(tmp_path: Path) -> None:
    as_of = parse("2025-06-01", None, SHA)
    write_age_gates(as_of, tmp_path)
    minutes = (tmp_path / ".config/pnpm/rc").read_text()
    assert minutes == f"minimum-release-age={age_gate(as_of, 60)}\n"
    bunfig = (tmp_path / ".bunfig.toml").read_text()
    assert bunfig == f"[install]\nminimumReleaseAge = {age_gate(as_of, 1)}\n"


def test_a_uv_lock_keeps_its_resolution_and_uv_is_said_not_dated(tmp_path: Path) -> None:
    """A date uv.lock does not record makes `uv sync --locked` refuse the lock."""
    (tmp_path / "uv.lock").write_text("version = 1\n")
    package = tmp_path / "pkg"
    package.mkdir()
    dated = for_step(parse("2025-06-01", None, SHA), "uv sync --locked", package, tmp_path, {})
    assert "UV_EXCLUDE_NEWER" not in dated.env
    assert dated.note.startswith("uv not dated: uv.lock pins its resolution")


def test_an_old_pip_is_said_not_dated(tmp_path: Path) -> None:
    env = tools(tmp_path, pip="pip 23.2.1 from /x (python 3.11)")
    dated = for_step(
        parse("2025-06-01", None, SHA), "pip install -r r.txt", tmp_path, tmp_path, env
    )
    assert dated.note == "pip 23.2.1 NOT dated: --uploaded-prior-to needs pip 26.0"


def test_npm_finding_no_version_before_the_date_is_named() -> None:
    output = "npm error notarget No matching version found for xo@0.4.3 with a date before 6/1"
    why = undated_failure(output, parse("2025-06-01", None, SHA))
    assert why is not None
    assert why.startswith("the npm registry reachable here dates no version of xo@0.4.3")
    assert undated_failure("npm error code E404", parse("2025-06-01", None, SHA)) is None
    npm6 = (  # Node.js 14's npm (mitt's CI)
        "npm ERR! notarget No matching version found for chai@^4.2.0 with an Enjoy By date "
        "of 7/4/2023, 5:35:44 PM. Maybe try a different date?."
    )
    assert "dates no version of chai@^4.2.0" in str(
        undated_failure(npm6, parse("2023-07-04", None, SHA))
    )


def test_uv_pip_is_uv_not_pip(tmp_path: Path) -> None:
    dated = for_step(parse("2025-06-01", None, SHA), "uv pip install -e .", tmp_path, tmp_path, {})
    assert dated.note == "uv dated (UV_EXCLUDE_NEWER)"


def test_a_workflows_own_cooldown_counts_back_from_the_as_of_date(tmp_path: Path) -> None:
    """black's CI sets PIP_UPLOADED_PRIOR_TO=P2D (pip 26.1's relative form): as of its
    commit that meant two days before the commit, which pip 26.0 is told as a date."""
    as_of = parse("2026-08-20T13:01:14Z", None, SHA)
    own = {"PIP_UPLOADED_PRIOR_TO": "P2D", "UV_EXCLUDE_NEWER": "1 week"}
    dated = for_step(as_of, "uv pip install .", tmp_path, tmp_path, {}, own)
    assert dated.env["PIP_UPLOADED_PRIOR_TO"] == "2026-08-18T13:01:14Z"
    assert dated.env["UV_EXCLUDE_NEWER"] == "2026-08-13T13:01:14Z"
    assert "the workflow's UV_EXCLUDE_NEWER=1 week counted back from the as-of date" in dated.note
    # a date of its own is the workflow's choice, kept
    kept = for_step(as_of, "npm ci", tmp_path, tmp_path, {}, {"npm_config_before": "2020-01-01"})
    assert "npm_config_before" not in kept.env


@pytest.mark.parametrize(
    ("script", "pins"),
    [
        ("python -m pip install pip==26.3", ["pip==26.3"]),
        ("pipx install pdm==2.20.1", ["pdm==2.20.1"]),
        ("npm install -g pnpm@10.34.9", ["pnpm@10.34.9"]),
        ("uv tool install 'ruff==0.6.0' && ruff check", ["ruff==0.6.0"]),
        ("python -m pip install -e . --group dev", []),
        ("pip install -r requirements.txt", []),
        ("python -m pip install --upgrade pip==26.3 setuptools", []),
        ("npm install", []),
        ("python -m pytest", []),
    ],
)
def test_what_installs_exact_pins_only(script: str, pins: list[str]) -> None:
    assert pinned_installs(script) == pins


def test_a_step_of_exact_pins_runs_undated(tmp_path: Path) -> None:
    """black's `Update pip` (pip==26.3, released after its commit) was refused as of the
    commit: our pinned tools are the same on any date and are not dated. The workflow's
    own P2D becomes a date counted from now, which pip 26.0 reads."""
    as_of = parse("2026-08-20T13:01:14Z", None, SHA)
    own = {"PIP_UPLOADED_PRIOR_TO": "P2D"}
    dated = for_step(as_of, "python -m pip install pip==26.3", tmp_path, tmp_path, {}, own)
    assert set(dated.env) == {"PIP_UPLOADED_PRIOR_TO"}
    assert dated.env["PIP_UPLOADED_PRIOR_TO"] > "2026-12"
    assert dated.note.startswith("not dated: it installs exact pins only (pip==26.3)")


@pytest.mark.parametrize(
    ("script", "first"),
    [
        # our pin beside the package: a date before pytest 9.2.0 refused the whole install
        ("python -m pip install -e . pytest==9.2.0", ["pytest==9.2.0"]),
        (
            "pip install -r requirements.txt ruff==0.15.0 mypy==2.4.1",
            ["ruff==0.15.0", "mypy==2.4.1"],
        ),
        ("python -m pip install -e .", []),  # nothing pinned: all of it dated
        ("uv pip install -e . pytest==9.2.0", []),  # uv is not pip
    ],
)
def test_pins_beside_other_requirements_are_installed_undated_first(
    tmp_path: Path, script: str, first: list[str]
) -> None:
    assert pip_pins_beside_others(script) == first
    dated = for_step(parse("2024-11-06", None, SHA), script, tmp_path, tmp_path, {})
    assert dated.first == first
    assert dated.env["PIP_UPLOADED_PRIOR_TO"] == "2024-11-06T00:00:00Z"  # the rest stays dated


@pytest.mark.parametrize(
    ("yarn", "gated"), [("4.18.1", True), ("4.5.3", False), ("1.22.22", False)]
)
def test_yarn_gets_its_age_gate_only_where_it_knows_it(
    tmp_path: Path, yarn: str, gated: bool
) -> None:
    # redux's Yarn 4.5 stopped at "Unrecognized or legacy configuration settings found:
    # npmMinimalAgeGate" when every step had the variable
    as_of = parse("2025-06-01", None, SHA)
    dated = for_step(
        as_of, "yarn install --immutable", tmp_path, tmp_path, tools(tmp_path, yarn=yarn)
    )
    if gated:
        minutes = int(dated.env["YARN_NPM_MINIMAL_AGE_GATE"])
        assert minutes == age_gate(as_of, 60)
        assert abs(minutes * 60 - (datetime.now(UTC) - as_of.moment).total_seconds()) < 120
    else:
        assert "YARN_NPM_MINIMAL_AGE_GATE" not in dated.env
