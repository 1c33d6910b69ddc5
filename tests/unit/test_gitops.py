from __future__ import annotations

import pytest

from services.worker.errors import PermanentJobError
from services.worker.gitops import parse_ls_remote

SHA = "2be6502e340b12854ea4ab52a2a3f5701f493ff6"


def test_symref_and_commit_are_read() -> None:
    head = parse_ls_remote(f"ref: refs/heads/trunk\tHEAD\n{SHA}\tHEAD\n")
    assert (head.branch, head.commit) == ("trunk", SHA)


def test_detached_head_has_no_branch() -> None:
    assert parse_ls_remote(f"{SHA}\tHEAD\n").branch is None


def test_empty_repository_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentJobError, match="no commits"):
        parse_ls_remote("ref: refs/heads/main\tHEAD\n")
