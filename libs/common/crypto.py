"""API tokens: generated with the OS CSPRNG, shown once, stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

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
