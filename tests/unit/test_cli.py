from __future__ import annotations

from pathlib import Path

import pytest

from services.cli.dev import data_dir_of
from services.cli.main import build_parser


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
