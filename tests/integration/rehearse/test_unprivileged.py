"""Who a rehearsal's steps run as: run as root (this machine's user), each job's steps run
as the unprivileged autodevops-runner, as a GitHub runner's user is, with `sudo` running
its command as root; `--as-root` opts out; a job that needs rustup (in root's home) runs
as root, said."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from libs.cigen.rehearse.account import RUNNER_USER
from tests.integration.rehearse.test_rehearse import job, local_python_minor, rehearse, steps
from tests.unit.analysis.conftest import write_tree

UNPRIVILEGED = """
name: unprivileged
on: push
jobs:
  user:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: not root
        run: |
          test "$(id -u)" != 0
          test "$(id -un)" = "$USER"
          test "$HOME" != /root
          touch "$HOME/written" "$RUNNER_TEMP/written" written
      - name: chmod is enforced
        run: |
          chmod 000 secret.txt
          if cat secret.txt; then echo "read a mode-000 file" >&2; exit 1; fi
      - name: sudo runs as root
        run: |
          test "$(sudo id -u)" = 0
          sudo -E sh -c 'test -w /etc/passwd'
          sudo -u root true
          if sudo false; then echo "sudo lost the exit code" >&2; exit 1; fi
      - name: the runner image's tools the rehearsal installs run for the user
        run: pipx --version && yarn --version
      - name: python from setup-python
        run: python -c "import ssl, sqlite3, _asyncio, sys; assert 'pyenv' not in sys.prefix"
"""


def test_steps_run_unprivileged_and_sudo_runs_as_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert os.geteuid() == 0, "this test rehearses as root, as this machine's user is"
    root = write_tree(tmp_path / "repo", {"secret.txt": "s3cret\n"})
    workflow = tmp_path / "ci.yml"
    workflow.write_text(UNPRIVILEGED.replace("{python}", local_python_minor()))
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 0, report
    user = job(report, "user")
    assert user["status"] == "passed", user
    assert all(s["status"] == "passed" for s in user["steps"]), user["steps"]
    assert f"steps ran as the unprivileged user {RUNNER_USER}" in " ".join(user["substitutions"])


def one_job(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], script: str, *argv: str
) -> dict[str, Any]:
    """Rehearse a one-job workflow (checkout, then `script`) that passes; its job."""
    root = write_tree(tmp_path / "repo", {"secret.txt": "s3cret\n"})
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        "on: push\njobs:\n  only:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@v4\n      - run: {script}\n"
    )
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow), *argv)
    assert code == 0, report
    only = job(report, "only")
    assert only["status"] == "passed", only
    return only


def test_as_root_opts_out_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = 'test "$(id -u)" = 0 && chmod 000 secret.txt && cat secret.txt'
    as_root = one_job(tmp_path, capsys, script, "--as-root")
    assert "steps ran as root (--as-root)" in " ".join(as_root["substitutions"])


def test_a_job_needing_rustup_in_roots_home_runs_as_root_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rust = one_job(tmp_path, capsys, 'cargo --version && test "$(id -u)" = 0')
    assert "rustup's toolchains" in " ".join(rust["substitutions"])


def test_a_sudo_command_dies_with_its_step_at_the_time_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README": "x\n"})
    pid_file = tmp_path / "sudo.pid"
    workflow = tmp_path / "ci.yml"
    workflow.write_text(
        "on: push\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - name: sleeps as root\n"
        f"        run: sudo sh -c 'echo $$ > {pid_file}; exec sleep 120'\n"
    )
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow), "--step-timeout", "3")
    assert code == 1, report
    slow = steps(job(report, "slow"))["sleeps as root"]
    assert slow["status"] == "failed"
    assert slow["reason"] == "timed out after 3 s"
    pid = int(pid_file.read_text())
    for _ in range(50):  # the broker kills it once the client is gone
        if not Path(f"/proc/{pid}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the command sudo ran outlived its step"


NICE = """
on: push
jobs:
  priority:
    runs-on: ubuntu-latest
    steps:
      - name: at a runner's nice value
        run: test "$(nice)" = 0
"""


def test_steps_run_at_a_runners_nice_value_when_the_rehearsal_is_niced(tmp_path: Path) -> None:
    """libuv's thread_priority test sets its thread's nice value to 4: rehearsed from a
    `nice -n 5` shell, the unprivileged step could not, and failed. Root puts each step
    back at 0, as on a runner; elsewhere the report says the steps ran niced."""
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": NICE}) / "ci.yml"
    command = [sys.executable, "-m", "services.cli", "ci", "rehearse", str(root)]
    command += ["--workflow", str(workflow), "--format", "json"]

    ran = subprocess.run(["nice", "-n", "5", *command], capture_output=True, text=True)

    report = json.loads(ran.stdout)
    [step] = job(report, "priority")["steps"]
    if os.geteuid() == 0:
        assert step["status"] == "passed", step
        assert ran.returncode == 0
    else:
        assert step["status"] == "failed"
        assert any("steps ran at nice 5" in s for s in job(report, "priority")["substitutions"])


COREPACK = """
on: push
jobs:
  enable:
    runs-on: ubuntu-latest
    steps:
      - name: corepack enable
        run: corepack enable
      - name: its links
        run: test -L "$RUNNER_TOOL_CACHE/corepack-links/pnpm"
      - name: package managers from the npm registry
        run: case "$COREPACK_NPM_REGISTRY" in http*) ;; *) exit 1 ;; esac
  own:
    runs-on: ubuntu-latest
    env:
      COREPACK_NPM_REGISTRY: https://npm.example.test
    steps:
      - name: the job's own registry wins
        run: test "$COREPACK_NPM_REGISTRY" = https://npm.example.test
"""


def test_corepack_enable_before_setup_node_writes_where_the_user_may(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """redux runs `corepack enable` before setup-node: on a runner it links yarn and pnpm
    into the image's Node.js folder, which the runner's user may write. This machine's
    corepack would link into /usr/bin, denied to the job's user (EACCES). The Yarn 4 it
    then fetches comes from the npm registry, not repo.yarnpkg.com (out of reach here)."""
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": COREPACK}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))

    enable = job(report, "enable")
    assert [s["status"] for s in enable["steps"]] == ["passed"] * 3, enable
    assert any("`corepack enable` links into corepack-links/" in s for s in enable["substitutions"])
    assert job(report, "own")["status"] == "passed"
    assert code == 0


def test_a_missing_command_is_not_found_not_forbidden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder on this machine's PATH that the steps' user cannot enter (root's
    ~/.cargo/bin) turned every missing command into "Permission denied" (EACCES):
    commander's tests of a missing executable expect ENOENT, as on a runner."""
    assert os.geteuid() == 0, "this test rehearses as root, as this machine's user is"
    closed = tmp_path / "closed"
    (closed / "bin").mkdir(parents=True)
    closed.chmod(0o700)
    monkeypatch.setenv("PATH", f"{closed / 'bin'}:{os.environ['PATH']}")
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = (
        "on: push\njobs:\n  missing:\n    runs-on: ubuntu-latest\n    steps:\n"
        # env looks the program up as node's and make's spawns do (execvp), which report
        # the EACCES of a closed folder where nothing is found; bash skips such folders
        "      - run: |\n          set +e\n          env no-such-program-here\n"
        '          test "$?" = 127\n'
    )
    path = write_tree(tmp_path / "wf", {"ci.yml": workflow}) / "ci.yml"

    code, report = rehearse(capsys, str(root), "--workflow", str(path))

    assert code == 0, report
    assert job(report, "missing")["status"] == "passed"
