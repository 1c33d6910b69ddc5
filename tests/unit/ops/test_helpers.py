from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from libs.ops import dbpassword, envfile, pgtools, schedule


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_latest_slot_includes_now_and_next_slot_excludes_it() -> None:
    assert schedule.latest_slot("0 2 * * *", utc(2024, 5, 1, 2, 0)) == utc(2024, 5, 1, 2, 0)
    assert schedule.latest_slot("0 2 * * *", utc(2024, 5, 1, 1, 59)) == utc(2024, 4, 30, 2, 0)
    assert schedule.next_slot("0 2 * * *", utc(2024, 5, 1, 2, 0)) == utc(2024, 5, 2, 2, 0)


def test_slots_between_counts_strictly_inside() -> None:
    assert schedule.slots_between("0 * * * *", utc(2024, 5, 1, 0), utc(2024, 5, 1, 5)) == 4
    assert schedule.slots_between("0 * * * *", utc(2024, 5, 1, 0), utc(2024, 5, 1, 1)) == 0
    assert schedule.slots_between("* * * * *", utc(2024, 1, 1), utc(2025, 1, 1), cap=50) == 50


def test_password_goes_to_the_environment_not_the_url() -> None:
    url, env = pgtools.libpq_target(
        "postgresql://app:s%40cr%3At@db.internal:5432/app?sslmode=require"  # autodevops:allow
    )
    assert url == "postgresql://app@db.internal:5432/app?sslmode=require"
    assert env == {"PGPASSWORD": "s@cr:t"}
    socket = "postgresql://postgres@/app?host=/run/pg&port=5432"
    assert pgtools.libpq_target(socket) == (socket, {})


def test_with_password_round_trips_through_libpq_target() -> None:
    password = "n3w/p@ss"  # autodevops:allow
    url = dbpassword.with_password("postgresql://app:old@db:5432/app", password)
    assert pgtools.libpq_target(url) == ("postgresql://app@db:5432/app", {"PGPASSWORD": password})


def test_scram_verifier_has_postgres_format() -> None:
    verifier = dbpassword.scram_verifier("pencil", salt=b"0123456789abcdef")
    method, rest = verifier.split("$", 1)
    params, keys = rest.split("$")
    assert method == "SCRAM-SHA-256"
    assert params == "4096:MDEyMzQ1Njc4OWFiY2RlZg=="
    assert len(keys.split(":")) == 2
    assert dbpassword.scram_verifier("pencil") != dbpassword.scram_verifier("pencil")  # salted
    with pytest.raises(ValueError, match="ASCII"):
        dbpassword.scram_verifier("pässword")


def test_env_file_keeps_other_lines_and_appends_new_ones(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# comment\nexport GEMINI_API_KEY=old\nOTHER=1\n")
    envfile.set_vars(path, {"GEMINI_API_KEY": "new", "ADDED": "yes"})
    assert path.read_text() == "# comment\nGEMINI_API_KEY=new\nOTHER=1\nADDED=yes\n"
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("value", ["", "has space", "quote'd", "$(cmd)", "a#b"])
def test_env_file_refuses_values_that_need_quoting(tmp_path: Path, value: str) -> None:
    path = tmp_path / ".env"
    path.write_text("A=1\n")
    with pytest.raises(envfile.EnvFileError):
        envfile.set_vars(path, {"GEMINI_API_KEY": value})
    assert path.read_text() == "A=1\n"
