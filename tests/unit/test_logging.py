from __future__ import annotations

import io
import json
import logging

import structlog

from libs.common.config import load_settings
from libs.common.logging import REDACTED, configure_logging


def test_json_logs_carry_context_and_redact_secrets(capsys: object) -> None:
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://u:dbpassword123@h/d",
            "REDIS_URL": "redis://h",
            "LOG_FORMAT": "json",
            "GITHUB_WEBHOOK_SECRET": "whsec-very-secret-value",
        }
    )
    configure_logging(settings, "test")
    stream = io.StringIO()
    root = logging.getLogger()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    with structlog.contextvars.bound_contextvars(request_id="req-1"):
        structlog.get_logger("t").info(
            "connecting",
            url="postgresql://u:dbpassword123@h/d",
            header="token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            nested={"secret": "whsec-very-secret-value"},
        )
    logging.getLogger("stdlib").warning("plain %s", "whsec-very-secret-value")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    structlog.contextvars.clear_contextvars()
    first, second = lines
    assert first["request_id"] == "req-1"
    assert first["service"] == "test"
    assert "dbpassword123" not in json.dumps(first)
    assert REDACTED in first["header"]
    assert first["nested"]["secret"] == REDACTED
    assert second["event"] == f"plain {REDACTED}"
