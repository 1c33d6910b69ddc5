from __future__ import annotations

import pytest

from services.worker.errors import PermanentJobError
from services.worker.gitops import last_line, parse_ls_remote

SHA = "2be6502e340b12854ea4ab52a2a3f5701f493ff6"


def test_symref_and_commit_are_read() -> None:
    head = parse_ls_remote(f"ref: refs/heads/trunk\tHEAD\n{SHA}\tHEAD\n")
    assert (head.branch, head.commit) == ("trunk", SHA)


def test_detached_head_has_no_branch() -> None:
    assert parse_ls_remote(f"{SHA}\tHEAD\n").branch is None


def test_empty_repository_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentJobError, match="no commits"):
        parse_ls_remote("ref: refs/heads/main\tHEAD\n")


def test_the_reason_is_gits_first_fatal_line_not_its_advice() -> None:
    stderr = (
        "fatal: '/etc' does not appear to be a git repository\n"
        "fatal: Could not read from remote repository.\n\n"
        "Please make sure you have the correct access rights\n"
        "and the repository exists.\n"
    )
    assert last_line(stderr) == "'/etc' does not appear to be a git repository"
    assert last_line("warning: something\nerror: it broke\n") == "error: it broke"
