"""Telling a step that refused to run as root (the rehearsal's user) from one that failed."""

from __future__ import annotations

import pytest

from libs.cigen.rehearse.runner_image import refuses_root


@pytest.mark.parametrize(
    "line",
    [
        "The libuv test suite cannot be run as root.",
        "initdb: error: cannot be run as root",
        '"root" execution of the PostgreSQL server is not permitted.',
        "[1206:1206:ERROR:zygote_host_impl_linux.cc(100)] Running as root without "
        "--no-sandbox is not supported. See https://crbug.com/638180.",
        "Error: Running Homebrew as root is extremely dangerous and no longer supported.",
        "This script must not be run as root",
    ],
)
def test_a_refusal_to_run_as_root_is_recognised_when_the_rehearsal_is_root(line: str) -> None:
    output = f"building...\n{line}\nmake: *** [check] Error 1\n"
    reason = refuses_root(output, euid=0)
    assert reason == (
        "the step will not run as root, and this rehearsal runs as root where a GitHub "
        f"runner's user is not ({line[:160]})"
    )
    # As another user the refusal cannot be the rehearsal's doing: the step failed
    assert refuses_root(output, euid=1001) is None


@pytest.mark.parametrize(
    "line",
    [
        "WARNING: Running pip as the 'root' user can result in broken permissions and "
        "conflicting behaviour with the system package manager.",
        "npm ERR! cannot run in wd fixture@1.0.0 node --test",
        "AssertionError: expected the root of the tree to be run first",
    ],
)
def test_warnings_and_other_failures_are_failures(line: str) -> None:
    assert refuses_root(f"{line}\nexit 1\n", euid=0) is None
