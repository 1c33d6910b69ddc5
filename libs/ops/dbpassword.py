"""Change a PostgreSQL role's password without the plaintext ever reaching the server.

The SCRAM-SHA-256 verifier is computed here (as `psql \\password` does), so the new
password cannot end up in the server's statement log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from urllib.parse import quote, urlsplit, urlunsplit

from libs.common.db import Conn, catalog

ITERATIONS = 4096


def new_password() -> str:
    return secrets.token_urlsafe(32)


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS
) -> str:
    """The `SCRAM-SHA-256$...` string PostgreSQL stores for `password` (RFC 5802/7677)."""
    if not password.isascii() or not password.isprintable():
        # PostgreSQL SASLpreps non-ASCII passwords; keep to what needs no normalisation.
        raise ValueError("use printable ASCII characters only")
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


async def set_password(conn: Conn, role: str, password: str) -> None:
    await catalog.set_role_verifier(conn, role, scram_verifier(password))


def role_of(url: str) -> str | None:
    return urlsplit(url).username


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{host}"))
