from __future__ import annotations

import argparse
import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from libs.cigen import PLATFORMS
from services.cli import cigen_cli
from services.cli.dev import data_dir_of
from services.cli.main import COMMANDS, build_parser
from services.cli.scan import Progress

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--help"])
    shown = capsys.readouterr().out
    for command in ("dev", "api", "worker", "scheduler", "migrate", "token"):
        assert command in shown


def test_worker_takes_queue_names() -> None:
    args = build_parser().parse_args(["worker", "--queue", "sync", "--queue", "analysis"])
    assert args.queue == ["sync", "analysis"]
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "--queue", "nope"])


def test_dev_data_dir_prefers_the_flag_then_the_environment(tmp_path: Path) -> None:
    flag, env_dir = tmp_path / "flag", tmp_path / "env"
    assert data_dir_of(str(flag), {"DATA_DIR": str(env_dir)}) == flag
    assert data_dir_of(None, {"DATA_DIR": str(env_dir)}) == env_dir
    assert data_dir_of(None, {}) == Path(".data").resolve()


def test_the_command_table_says_what_each_module_registers() -> None:
    parser = build_parser()  # every command complete, as its module registers it
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    registered = {action.dest: action.help for action in commands._choices_actions}
    assert registered == {name: help_text for name, (_, help_text) in COMMANDS.items()}


# What `autodevops scan` and `--help` must never load: the platform's service clients.
HEAVY = ("boto3", "redis", "asyncpg", "google.genai", "aiohttp", "opentelemetry", "libs.cigen")


@pytest.mark.parametrize("argv", [["--help"], ["scan", "{empty}"], ["scan", "--help"]])
def test_scan_and_help_load_only_what_they_need(argv: list[str], tmp_path: Path) -> None:
    args = [arg.format(empty=tmp_path) for arg in argv]
    probe = (
        "import sys\n"
        "from services.cli.main import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_generation_platforms_match_ci_generation() -> None:
    assert cigen_cli.PLATFORMS == PLATFORMS


def test_progress_shows_only_after_a_second_and_clears_its_line() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress("secrets", 10, 100)
    assert out.getvalue() == ""  # a quick scan prints nothing
    progress.started -= 2
    progress("secrets", 50, 100)
    assert "secrets 50/100 files" in out.getvalue()
    progress.finish()
    assert out.getvalue().endswith("\r\033[K")


def test_a_scan_whose_stderr_is_not_a_terminal_is_quiet(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print(1)\n")
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "scan", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    assert "score" in done.stdout


def _subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                found.append((f"{prefix}{name}", helps.get(name)))
                found += _subcommands(sub, f"{prefix}{name} ")
    return found


def test_every_command_and_action_has_a_one_line_description() -> None:
    found = _subcommands(build_parser())
    assert {"token create", "token list", "token revoke"} <= {name for name, _ in found}
    missing = [name for name, text in found if not text or "\n" in text]
    assert missing == []


def test_make_run_says_in_one_line_that_the_api_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "API_HOST": "127.0.0.1",
            "API_PORT": str(port),
            "DATA_DIR": str(tmp_path / "data"),
        }
        done = subprocess.run(
            [sys.executable, "-m", "services.cli", "dev"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"127.0.0.1:{port} is already in use (another `make run`?); stop it or set API_PORT\n"
    )
    assert not (tmp_path / "data").exists()  # nothing was started
