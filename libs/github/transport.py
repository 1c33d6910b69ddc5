"""gidgethub's HTTP transport with what a long-running worker needs around each request.

- a timeout on every request (gidgethub would otherwise wait forever);
- the token from a `TokenSource` when one is given: read per request, so a token that
  expires mid-job is replaced, and a 401 invalidates it and retries the request once;
- a `RateGate` keyed by who is asking (an installation, a user): a primary limit at zero
  or a secondary limit's `Retry-After` blocks further requests until then, instead of
  spending requests GitHub would refuse (and that lengthen a secondary-limit ban).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

import aiohttp
import gidgethub.aiohttp

from libs.github.errors import SECONDARY_LIMIT_WAIT_S, RateLimited

REQUESTER = "autodevops"


class TokenSource(Protocol):
    """Where a client's token comes from when it may change during the client's life."""

    async def token(self) -> str:
        """A token valid for a while yet."""
        ...

    def expired(self, token: str) -> None:
        """GitHub refused `token` (401): never hand it out again."""
        ...


class RateGate(Protocol):
    """Per-principal waits GitHub asked for, shared by every replica that asks for it."""

    async def blocked_until(self, principal: str) -> float | None:
        """The epoch second until which `principal` must not call GitHub, if any."""
        ...

    async def block(self, principal: str, until: float) -> None: ...


class Transport(gidgethub.aiohttp.GitHubAPI):
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        timeout: aiohttp.ClientTimeout,
        auth: TokenSource | None = None,
        gate: RateGate | None = None,
        principal: str = "anonymous",
        cache: MutableMapping[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(session, REQUESTER, cache=cache, **kw)
        self._timeout = timeout
        self._auth = auth
        self._gate = gate
        self.principal = principal

    async def auth_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """`headers` with the source's current token, unless they already authenticate."""
        out = dict(headers)
        if self._auth is not None and "authorization" not in out:
            out["authorization"] = f"token {await self._auth.token()}"
        return out

    def renew(self, sent: Mapping[str, str]) -> bool:
        """After a 401 to `sent`: drop its token if the source gave it; whether to retry."""
        if self._auth is None or "authorization" not in sent:
            return False
        self._auth.expired(sent["authorization"].split(" ", 1)[1])
        return True

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        await self._check_gate()
        sent = await self.auth_headers(headers)
        status, response_headers, data = await self._send(method, url, sent, body)
        if status == 401 and "authorization" not in headers and self.renew(sent):
            sent = await self.auth_headers(headers)
            status, response_headers, data = await self._send(method, url, sent, body)
        await self._note_limits(status, response_headers, data)
        return status, response_headers, data

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, Mapping[str, str], bytes]:
        async with self._session.request(
            method, url, headers=headers, data=body, timeout=self._timeout
        ) as response:
            return response.status, response.headers, await response.read()

    async def _check_gate(self) -> None:
        if self._gate is None:
            return
        until = await self._gate.blocked_until(self.principal)
        wait = (until or 0.0) - time.time()
        if wait > 0:
            raise RateLimited(
                f"GitHub asked {self.principal} to wait {wait:.0f} s more",
                retry_after=wait,
            )

    async def _note_limits(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """Remember a wait GitHub asked for: a secondary limit, or a primary one at zero."""
        if self._gate is None:
            return
        now = time.time()
        retry_after = headers.get("retry-after", "")
        remaining = headers.get("x-ratelimit-remaining", "")
        reset = headers.get("x-ratelimit-reset", "")
        if status in (403, 429) and retry_after.isdigit():
            await self._gate.block(self.principal, now + float(retry_after))
        elif status in (403, 429) and b"secondary rate limit" in body.lower():
            await self._gate.block(self.principal, now + SECONDARY_LIMIT_WAIT_S)
        elif remaining == "0" and reset.isdigit() and float(reset) > now:
            await self._gate.block(self.principal, float(reset))
