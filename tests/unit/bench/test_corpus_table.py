"""The corpus table names which step of a partial job could not run, and why."""

from __future__ import annotations

from bench.corpus.cigen import JobOutcome, Row, table


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
