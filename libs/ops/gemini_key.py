"""Check a Gemini API key against the API before it replaces the one in use."""

from __future__ import annotations

import re

import aiohttp

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
_KEY = re.compile(r"^[A-Za-z0-9_\-]{16,200}$")
_TIMEOUT = aiohttp.ClientTimeout(total=20)


class GeminiKeyError(Exception):
    """The key was refused, or the API could not be asked; the message says which."""


async def check_key(key: str, base_url: str | None = None) -> list[str]:
    """The model names the key may use; GeminiKeyError when the API refuses it."""
    if not _KEY.match(key):
        raise GeminiKeyError("that does not look like a Gemini API key (letters, digits, - and _)")
    url = f"{(base_url or DEFAULT_BASE_URL).rstrip('/')}/v1beta/models"
    try:
        async with (
            aiohttp.ClientSession(timeout=_TIMEOUT) as session,
            session.get(url, headers={"x-goog-api-key": key}, params={"pageSize": "50"}) as resp,
        ):
            body = await resp.json(content_type=None)
            status = resp.status
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise GeminiKeyError(f"could not ask {url}: {exc or type(exc).__name__}") from None
    if status != 200:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        reason = error.get("message") or error.get("status") or "no message"
        raise GeminiKeyError(f"the API refused the key (HTTP {status}): {reason}")
    models = body.get("models", []) if isinstance(body, dict) else []
    return [str(m.get("name", "")) for m in models if isinstance(m, dict)]
