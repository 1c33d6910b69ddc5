from __future__ import annotations

import pytest

from libs.common import crypto


def test_token_is_shown_once_and_stored_as_hash() -> None:
    token = crypto.new_api_token()
    assert crypto.looks_like_token(token)
    assert crypto.hash_token(token) != token.encode()
    assert len(crypto.hash_token(token)) == 32
    assert crypto.display_prefix(token) == token[:12]


def test_round_trip_and_rotation() -> None:
    old_key, new_key = crypto.generate_key(), crypto.generate_key()
    old = crypto.Keyring(old_key)
    sealed, kid = old.encrypt(b"gho_secret", b"row:1")
    assert b"gho_secret" not in sealed
    rotated = crypto.Keyring(new_key, old=old_key)
    assert rotated.decrypt(sealed, kid, b"row:1") == b"gho_secret"
    resealed, new_kid = rotated.encrypt(b"gho_secret", b"row:1")
    assert new_kid == rotated.current_id != kid
    assert crypto.Keyring(new_key).decrypt(resealed, new_kid, b"row:1") == b"gho_secret"


def test_context_binds_the_ciphertext_to_its_row() -> None:
    ring = crypto.Keyring(crypto.generate_key())
    sealed, kid = ring.encrypt(b"value", b"row:1")
    with pytest.raises(crypto.CryptoKeyError):
        ring.decrypt(sealed, kid, b"row:2")


def test_unknown_key_and_bad_keys_are_clear_errors() -> None:
    ring = crypto.Keyring(crypto.generate_key())
    sealed, _ = ring.encrypt(b"value", b"c")
    with pytest.raises(crypto.CryptoKeyError, match="no encryption key"):
        ring.decrypt(sealed, "feedfacecafe", b"c")
    with pytest.raises(crypto.CryptoKeyError, match="32 bytes"):
        crypto.Keyring("c2hvcnQ=")
