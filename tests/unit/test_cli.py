from __future__ import annotations

import pytest

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
