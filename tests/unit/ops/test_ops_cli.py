from __future__ import annotations

import pytest

from libs.common.crypto import Keyring
from services.cli.main import build_parser, main


def test_operations_commands_parse() -> None:
    parser = build_parser()
    assert parser.parse_args(["backup", "--list"]).list
    restore = parser.parse_args(["restore", "latest", "--force"])
    assert (restore.file, restore.force) == ("latest", True)
    rotate = parser.parse_args(["rotate-key", "--batch-size", "50", "--pause-ms", "10"])
    assert (rotate.batch_size, rotate.pause_ms, rotate.limit) == (50, 10, None)
    for command in ("cleanup", "rotate-gemini-key", "rotate-db-password"):
        parser.parse_args([command])
    assert not parser.parse_args(["remove-secrets", "repo"]).apply
    assert parser.parse_args(["remove-secrets", "--apply", "--yes", "repo"]).yes
    with pytest.raises(SystemExit):
        parser.parse_args(["remove-secrets", "--dry-run", "--apply", "repo"])


def test_rotate_key_rejects_a_zero_batch(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["rotate-key", "--batch-size", "0"])
    assert "must be at least 1" in capsys.readouterr().err


def test_generate_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["rotate-key", "--generate"])
    assert exit_.value.code == 0
    key = capsys.readouterr().out.strip()
    assert Keyring(key).current_id


def test_commands_that_need_the_database_say_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for command in (["backup"], ["restore", "x.dump"], ["rotate-key"]):
        with pytest.raises(SystemExit) as exit_:
            main(command)
        assert exit_.value.code == 2
        assert "DATABASE_URL is required but not set" in capsys.readouterr().err
