from __future__ import annotations

import pytest

from libs.ai.redact import FLAGGED_LINE, MASK, Redactor, mask_secrets
from libs.analysis.report import SecretFinding


@pytest.mark.parametrize(
    "secret",
    [
        "AKIAIOSFODNN7EXAMPLQ",  # autodevops:allow (made up: what the redactor must mask)
        "ghp_" + "x" * 36,
        "github_pat_" + "A1" * 20,
        "AIza" + "b" * 35,
        "xoxb-1234567890-abcdefghij",
        "sk_live_" + "c" * 24,
        # a made-up JWT, in two pieces so that no scanner takes the file for a leak
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ." + "dBjftJeZ4CVPmB92K27uhbUJU1p1r",
        "npm_" + "d" * 36,
    ],
)
def test_token_shapes_are_masked(secret: str) -> None:
    text = f"before {secret} after"
    masked = mask_secrets(text)
    assert secret not in masked
    assert masked == f"before {MASK} after"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ('password = "hunter2hunter2"', "hunter2hunter2"),
        ("DB_PASSWORD=correcthorse", "correcthorse"),
        ('"client_secret": "abcdef123456"', "abcdef123456"),
        ("api_key: zzzzzzzzzzzz", "zzzzzzzzzzzz"),
        ("export GITHUB_TOKEN=qwertyuiop", "qwertyuiop"),
    ],
)
def test_assigned_secrets_keep_their_name_and_lose_their_value(line: str, value: str) -> None:
    masked = mask_secrets(line)
    assert value not in masked
    assert MASK in masked


@pytest.mark.parametrize(
    "line",
    [
        "password: ${{ secrets.DB_PASSWORD }}",
        "token = os.environ['TOKEN']",
        "api_key: <your key here>",
        "password = changeme",
    ],
)
def test_references_and_placeholders_stay_readable(line: str) -> None:
    assert mask_secrets(line) == line


def test_private_key_blocks_and_url_passwords() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----"
    url = "postgres://app:pa55word@db:5432/app"
    masked = mask_secrets(f"{pem}\n{url}")
    assert "MIIEow" not in masked
    assert "pa55word" not in masked
    assert "postgres://app:" in masked


def test_flagged_lines_are_replaced_whatever_their_shape() -> None:
    finding = SecretFinding(
        rule="entropy", description="x", path="./conf/app.ini", line=2, preview="***"
    )
    redactor = Redactor([finding])
    text = "[app]\nkey_material = q8W!z#0pLm\nname = demo"
    out = redactor.file("conf/app.ini", text)
    assert out.split("\n") == ["[app]", FLAGGED_LINE, "name = demo"]
    assert redactor.file("other.ini", text) == text
