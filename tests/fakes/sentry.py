"""A Sentry ingestion endpoint on loopback: `POST /api/{project}/envelope/`, as the SDK
sends it (gzip, newline-delimited envelope: a header, then item header and
payload pairs). It keeps the raw bytes too, so a test can prove a secret never left."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Envelope:
    headers: dict[str, Any]
    items: list[tuple[dict[str, Any], bytes]]

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for head, body in self.items if head.get("type") == "event"]


def parse_envelope(raw: bytes) -> Envelope:
    header_line, _, rest = raw.partition(b"\n")
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        item_line, _, rest = rest.partition(b"\n")
        head = json.loads(item_line)
        if "length" in head:
            body, rest = rest[: head["length"]], rest[head["length"] :]
            rest = rest.removeprefix(b"\n")
        else:
            body, _, rest = rest.partition(b"\n")
        items.append((head, body))
    return Envelope(json.loads(header_line), items)


@dataclass
class FakeSentry:
    url: str = ""
    envelopes: list[Envelope] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def dsn(self) -> str:
        host = self.url.removeprefix("http://")
        return f"http://publickey@{host}/42"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=20 * 1024 * 1024)
        app.router.add_post("/api/{project}/envelope/", self._envelope)
        return app

    async def _envelope(self, request: web.Request) -> web.Response:
        body = await request.read()  # aiohttp undoes the SDK's gzip (Content-Encoding)
        self.auth.append(request.headers.get("X-Sentry-Auth", ""))
        self.raw.append(body)
        self.envelopes.append(parse_envelope(body))
        self._arrived.set()
        return web.json_response({"id": self.envelopes[-1].headers.get("event_id", "")})

    def events(self) -> list[dict[str, Any]]:
        return [event for envelope in self.envelopes for event in envelope.events()]

    async def wait_for_events(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            while len(self.events()) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.events()
