"""A job whose failing step names a file the corpus copy lacks is not rehearsed, not
red, unless the step lists a failed test that names none of those files."""

from __future__ import annotations

from pathlib import Path

from bench.corpus.cigen import _naming
from libs.common.rehearsal import JobResult, StepResult

ZIP = "tests/data/migrations/recipekeeper.zip"


def failed_job(tmp_path: Path, output: str) -> tuple[JobResult, Path]:
    logs = tmp_path / "logs"
    logs.mkdir(parents=True)
    (logs / "01.log").write_text(output)
    steps = [
        StepResult(name="Install", status="passed", kind="run"),
        StepResult(name="Test", status="failed", kind="run", output_tail=output[-200:]),
    ]
    return JobResult(id="python", name="Python", status="failed", steps=steps), logs


def test_a_failure_that_names_the_absent_file_is_not_counted_red(tmp_path: Path) -> None:
    output = (
        "FAILED tests/test_migrations.py::test_recipekeeper - FileNotFoundError: "
        "'/w/tests/data/migrations/recipekeeper.zip'\n1 failed, 1128 passed\n"
    )
    result, logs = failed_job(tmp_path, output)
    assert _naming(result, logs, [ZIP]) == [ZIP]


def test_another_failed_test_keeps_the_job_red(tmp_path: Path) -> None:
    output = (
        "FAILED tests/test_migrations.py::test_recipekeeper - FileNotFoundError: "
        "'/w/tests/data/migrations/recipekeeper.zip'\n"
        "FAILED tests/test_login.py::test_ldap_user_login - assert 401 == 200\n"
        "2 failed, 1127 passed\n"
    )
    result, logs = failed_job(tmp_path, output)
    assert _naming(result, logs, [ZIP]) == []


def test_tap_output_is_read_whole(tmp_path: Path) -> None:
    """node --test prints `not ok 1 - the clip` and the error beneath it: the failed
    test's line alone names no file."""
    tap = "not ok 1 - the clip\n  ---\n  error: ENOENT 'fixtures/migrations/recipekeeper.zip'\n"
    result, logs = failed_job(tmp_path, tap.replace("fixtures/", "tests/data/"))
    assert _naming(result, logs, [ZIP]) == [ZIP]


def test_output_without_a_list_of_failed_tests_is_read_whole(tmp_path: Path) -> None:
    result, logs = failed_job(
        tmp_path, "Error: ENOENT: no such file, migrations/recipekeeper.zip\n"
    )
    assert _naming(result, logs, [ZIP]) == [ZIP]
