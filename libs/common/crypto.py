"""API tokens (shown once, stored as SHA-256 digests) and encryption of stored credentials."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TOKEN_PREFIX = "ado_"
_DISPLAY_CHARS = 8


def new_api_token() -> str:
    # 32 random bytes: far beyond guessing, so a plain SHA-256 (no salt, no KDF) is the
    # right storage; a slow hash would only slow every request down.
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def display_prefix(token: str) -> str:
    return token[: len(TOKEN_PREFIX) + _DISPLAY_CHARS]


def looks_like_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX) and 20 <= len(value) <= 200


# --- Encryption of stored credentials -------------------------------------------------
# AES-256-GCM with a key id stored beside every ciphertext, so ENCRYPTION_KEY can rotate:
# the current key encrypts, old keys (ENCRYPTION_OLD_KEYS) still decrypt until every row
# has been re-encrypted.

_NONCE_BYTES = 12


class CryptoKeyError(Exception):
    """A key is malformed, missing, or not the one a ciphertext was made with."""


def generate_key() -> str:
    """A new 256-bit key, URL-safe base64, for ENCRYPTION_KEY."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"autodevops-key-id" + key).hexdigest()[:12]


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        raise CryptoKeyError("an encryption key is not URL-safe base64") from None
    if len(raw) != 32:
        raise CryptoKeyError("an encryption key must be 32 bytes (44 base64 characters)")
    return raw


class Keyring:
    """The current key (encrypts) and old keys (decrypt only), addressed by key id."""

    def __init__(self, current: str, old: str | None = None) -> None:
        self._current = _decode_key(current)
        self.current_id = key_id(self._current)
        self._keys = {self.current_id: self._current}
        for text in (old or "").split(","):
            if text.strip():
                raw = _decode_key(text)
                self._keys.setdefault(key_id(raw), raw)

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plaintext: bytes, context: bytes) -> tuple[bytes, str]:
        """Ciphertext (nonce + sealed box) and the id of the key that made it.

        `context` (e.g. b"github_credentials:<user id>") is authenticated, so a ciphertext
        copied to another row does not decrypt there.
        """
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._current).encrypt(nonce, plaintext, context)
        return nonce + sealed, self.current_id

    def decrypt(self, ciphertext: bytes, key_id_: str, context: bytes) -> bytes:
        key = self._keys.get(key_id_)
        if key is None:
            raise CryptoKeyError(f"no encryption key with id {key_id_} is configured")
        try:
            return AESGCM(key).decrypt(
                ciphertext[:_NONCE_BYTES], ciphertext[_NONCE_BYTES:], context
            )
        except InvalidTag:
            raise CryptoKeyError("ciphertext does not match its key or context") from None
