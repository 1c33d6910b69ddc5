from __future__ import annotations

import json

import pytest

from libs.github.signatures import new_webhook_secret, sign, verify_signature

# GitHub's published example (docs: "Validating webhook deliveries").
SECRET = "It's a Secret to Everybody"
PAYLOAD = b"Hello, World!"
SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_githubs_published_test_vector() -> None:
    assert sign(SECRET, PAYLOAD) == SIGNATURE
    assert verify_signature(SECRET, PAYLOAD, SIGNATURE)
    assert verify_signature(SECRET.encode(), PAYLOAD, SIGNATURE)


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("another secret", PAYLOAD, SIGNATURE),
        (SECRET, b"Hello, World?", SIGNATURE),
        (SECRET, PAYLOAD, None),
        (SECRET, PAYLOAD, ""),
        (SECRET, PAYLOAD, SIGNATURE.removeprefix("sha256=")),
        (SECRET, PAYLOAD, "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"),  # SHA-1 only
        (SECRET, PAYLOAD, SIGNATURE.upper()),
        (SECRET, PAYLOAD, SIGNATURE + "00"),
        (SECRET, PAYLOAD, "sha256=" + "é" * 64),
        ("", PAYLOAD, sign("", PAYLOAD)),  # no secret configured never verifies
    ],
)
def test_anything_else_is_refused(secret: str, body: bytes, header: str | None) -> None:
    assert not verify_signature(secret, body, header)


def test_a_re_serialized_body_does_not_verify() -> None:
    raw = b'{"zen": "Keep it logically awesome.",  "hook_id": 1}'
    header = sign(SECRET, raw)
    reserialized = json.dumps(json.loads(raw)).encode()
    assert verify_signature(SECRET, raw, header)
    assert not verify_signature(SECRET, reserialized, header)


def test_new_secrets_are_long_and_distinct() -> None:
    secrets = {new_webhook_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(s) >= 40 for s in secrets)
