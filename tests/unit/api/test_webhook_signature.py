from __future__ import annotations

from services.api.webhooks import sign, signature_matches

# GitHub's published test vector (docs: "Validating webhook deliveries").
SECRET = b"It's a Secret to Everybody"
PAYLOAD = b"Hello, World!"
EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_test_vector() -> None:
    assert sign(PAYLOAD, SECRET) == EXPECTED
    assert signature_matches(PAYLOAD, EXPECTED, SECRET)


def test_any_change_breaks_the_signature() -> None:
    assert not signature_matches(PAYLOAD + b" ", EXPECTED, SECRET)
    assert not signature_matches(PAYLOAD, EXPECTED, SECRET + b"!")
    assert not signature_matches(PAYLOAD, EXPECTED.upper(), SECRET)
    assert not signature_matches(PAYLOAD, EXPECTED[:-1], SECRET)
