"""The corpus table names which step of a partial job could not run, and why."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import msgspec
import pytest

from bench.corpus.cigen import JobOutcome, Row, main, table


def test_a_partial_job_names_the_step_that_could_not_run() -> None:
    hooks = "Lint: pre-commit hook repositories unreachable from here (github.com)"
    row = Row(
        repo="acme/app",
        ecosystem="python",
        valid=True,
        jobs=[
            JobOutcome("python 3.11", ".", True, "partial", hooks),
            JobOutcome("python 3.12", ".", True, "partial", hooks),
            JobOutcome("docs", "docs", False, "passed"),
        ],
    )

    last = table([row]).splitlines()[-1]

    assert last == f"| acme/app | 2 | 3 | 1 |  | 2 partial (2× {hooks}) |"


def test_a_later_rows_file_replaces_a_repositorys_earlier_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def rows(name: str, status: str) -> Path:
        row = Row(repo="acme/app", ecosystem="node", valid=True)
        row.jobs = [JobOutcome("node", ".", True, status, "Test (npm test): boom")]
        path = tmp_path / name
        path.write_bytes(msgspec.json.encode([asdict(row)]))
        return path

    first, again = rows("first.json", "failed"), rows("again.json", "passed")

    assert main([str(tmp_path), "--rows", str(first), str(again)]) == 0

    out = capsys.readouterr().out
    assert "| acme/app | 1 | 1 | 1 |  |  |" in out
    assert "boom" not in out
    assert "- rehearsed test/check jobs green: 1/1 (100 %); 0 more passed" in out
