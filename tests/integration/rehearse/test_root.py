"""A step that will not run as root, rehearsed as root: its outcome is unknown (a runner's
user is not root), not a failure, and a failure after it proves nothing either. A step
killed at its time limit timed out, whatever its output says."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.rehearse.test_rehearse import job, rehearse
from tests.unit.analysis.conftest import write_tree

WORKFLOW = """
on: push
jobs:
  suite:
    runs-on: ubuntu-24.04
    steps:
      - name: Test
        run: |
          if [ "$(id -u)" = 0 ]; then echo "The test suite cannot be run as root." >&2; exit 1; fi
          exit 2
      - name: After
        run: exit 3
      - name: Still runs
        run: echo fine
"""


def test_a_step_refusing_root_is_not_rehearsed_when_the_rehearsal_is_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": WORKFLOW}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))

    test, after, still = job(report, "suite")["steps"]
    if os.geteuid() != 0:  # not root: the step ran as a runner's would, and failed
        assert (code, test["status"], test["exit_code"]) == (1, "failed", 2)
        return
    assert code == 0
    assert test["status"] == "not_rehearsed"
    assert test["reason"] == (
        "the step will not run as root, and this rehearsal runs as root where a GitHub "
        "runner's user is not (The test suite cannot be run as root.)"
    )
    assert after["status"] == "not_rehearsed"
    assert after["reason"] == "exit code 3, after an earlier step would not run as root"
    assert still["status"] == "passed"
    assert job(report, "suite")["status"] == "partial"


SLOW = """
on: push
jobs:
  slow:
    runs-on: ubuntu-24.04
    steps:
      - name: Test
        timeout-minutes: 0.05
        run: |
          echo "Error: getaddrinfo ENOTFOUND api.example.invalid"
          echo "The test suite cannot be run as root."
          sleep 30
"""


def test_a_step_killed_at_its_limit_timed_out_whatever_it_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": SLOW}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))

    [test] = job(report, "slow")["steps"]
    assert code == 1
    assert (test["status"], test["reason"]) == ("failed", "timed out after 3 s")
    assert "ENOTFOUND api.example.invalid" in test["output_tail"]
