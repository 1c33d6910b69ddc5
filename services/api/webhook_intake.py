"""GitHub webhook intake: bounded body, signature first, then one atomic store in Redis.

Nothing about a delivery is parsed or stored before its X-Hub-Signature-256 matches the
raw body under a secret we hold. One Lua script then checks that the hook has not sent
this body before and XADDs it, so a delivery is either stored (202), a repeat (200), or
not stored at all (503). `receive` is the whole path, in the order it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import msgspec
import structlog
from aiohttp import web
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.crypto import CryptoKeyError, Keyring
from libs.common.db import repos as repos_db
from libs.common.redis import keys, webhook_stream
from libs.common.redis.client import SOCKET_TIMEOUT_S, create_redis
from libs.common.telemetry import current_carrier
from libs.github.signatures import verify_signature
from services.api.http import gcra
from services.api.http.body import header, read_body
from services.api.http.errors import (
    BadRequest,
    BadSignature,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
)

log = structlog.get_logger(__name__)

_SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_NUMBER = re.compile(r"^[0-9]{1,18}$")
SECRET_CACHE_S = 30.0  # repository secrets read from PostgreSQL are trusted this long,
SECRET_RELOAD_S = 1.0  # and read again on a mismatch at most this often per hook
INLINE_PACK_BYTES = 1024 * 1024  # larger bodies are compressed off the event loop
MAX_BATCH = 128

# Stores a batch of deliveries, each on its own terms: a body this hook sent before is a
# repeat, whatever its X-GitHub-Delivery says (GitHub's redelivery, or someone replaying
# a captured delivery), and a full stream refuses and forgets the body, so its redelivery
# is taken. Returns, per delivery, its entry id, 0 for a repeat or -1 when full. One
# script call a batch, sent as EVAL (Redis caches it by digest: a restarted Redis needs
# no reload). KEYS: stream, then each dedup key. ARGV: each delivery's meta, packed body.
STORE_SCRIPT = """
local room = {max_entries} - redis.call('XLEN', KEYS[1])
local results = {{}}
for i = 2, #KEYS do
  if not redis.call('SET', KEYS[i], '1', 'NX', 'EX', {dedup_ttl}) then
    results[i - 1] = 0
  elseif room <= 0 then
    redis.call('DEL', KEYS[i])
    results[i - 1] = -1
  else
    results[i - 1] = redis.call(
      'XADD', KEYS[1], '*', '{meta}', ARGV[2 * i - 3], '{body}', ARGV[2 * i - 2])
    room = room - 1
  end
end
return results
"""


@dataclass(frozen=True)
class Outcome:
    event: str
    delivery: str
    entry_id: str | None  # None: a repeat of something already stored


async def receive(request: web.Request, intake: Intake) -> Outcome:
    """Verify, check and store one delivery; raises an AppError for anything refused."""
    limit = intake.settings.webhook_max_body_bytes
    if (request.content_length or 0) > limit:
        raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not _SIGNATURE.match(signature):
        raise BadSignature("Send X-Hub-Signature-256: sha256=<hex HMAC of the body>.")
    body = await read_body(request, limit)
    hook_id = int(header(request, "X-GitHub-Hook-ID", _NUMBER, "0"))
    target = request.headers.get("X-GitHub-Hook-Installation-Target-ID", "0")
    source = await intake.verify(
        request, body, signature, (hook_id, int(target) if _NUMBER.match(target) else 0)
    )
    event = header(request, "X-GitHub-Event", _EVENT)
    delivery_id = header(request, "X-GitHub-Delivery", _DELIVERY)
    document, action = json_document(request, body)
    delivery = webhook_stream.Delivery(
        event=event,
        delivery=delivery_id,
        hook_id=hook_id,
        digest=hashlib.sha256(body).hexdigest(),
        action=action,
        repository_id=source[0],
        organization_id=source[1],
        received_at_ms=int(time.time() * 1000),
        trace=current_carrier(),
        body=document,
    )
    return Outcome(event, delivery_id, await intake.store(delivery))


class _Envelope(msgspec.Struct):
    action: str | None = None


_envelope = msgspec.json.Decoder(_Envelope)


def json_document(request: web.Request, body: bytes) -> tuple[bytes, str | None]:
    """The delivery's JSON document (GitHub also sends it form-encoded as `payload`) and
    its action, the one field the intake reads."""
    document = body
    if request.content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:  # more fields than a delivery has
            raise BadRequest("The form-encoded delivery has unexpected fields.") from None
        if not fields.get("payload"):
            raise BadRequest("The form-encoded delivery has no 'payload' field.")
        document = fields["payload"][0].encode()
    elif request.content_type != "application/json":
        raise UnsupportedMediaType("Configure the webhook with content type application/json.")
    try:
        # msgspec skips the fields it is not asked for without checking their text.
        document.decode()
        action = _envelope.decode(document).action
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The delivery body is not a JSON object in UTF-8.") from None
    return document, action[:64] if action else None


# Whose secret verified a delivery: (repository id, organization id), or (None, None) for
# the global secret.
Source = tuple[uuid.UUID | None, uuid.UUID | None]
Secrets = list[tuple[Source, bytes]]


class Intake:
    """What the webhook route needs, built once per app."""

    def __init__(
        self, settings: Settings, pool: asyncpg.Pool, redis: Redis, keyring: Keyring | None
    ) -> None:
        self.settings, self.pool, self.redis, self.keyring = settings, pool, redis, keyring
        secret = settings.github_webhook_secret
        self.global_secret: Secrets = [((None, None), secret.get().encode())] if secret else []
        # (hook id, installation target id) -> (monotonic time read, its repositories' secrets)
        self.secrets: dict[tuple[int, int], tuple[float, Secrets]] = {}
        # A client of its own without a per-reply timeout (redis-py's costs a tenth of a
        # delivery's CPU); each pipeline is bounded by SOCKET_TIMEOUT_S instead.
        self.store_redis = create_redis(settings, socket_timeout=None)
        self.store_script = STORE_SCRIPT.format(
            max_entries=settings.webhook_stream_max_entries,
            dedup_ttl=settings.webhook_dedup_ttl_seconds,
            meta=webhook_stream.META,
            body=webhook_stream.BODY_LZ4,
        )
        self._waiting: list[tuple[tuple[str, bytes, bytes], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def aclose(self) -> None:
        await self.store_redis.aclose()

    async def verify(
        self, request: web.Request, body: bytes, signature: str, hook: tuple[int, int]
    ) -> Source:
        """The source whose secret signed `body`: the hook's secrets as last read, the
        global one, then the hook's secrets as stored now, so a rotated secret is found at
        once. A valid signature is never refused; bad ones spend this address and hook's
        failure budget, and past it are answered 429. Forged deliveries cost at most one
        query per hook a second: a read that just found nothing is not repeated."""
        read_at, known = self.secrets.get(hook, (-math.inf, []))
        age = time.monotonic() - read_at
        for source, secret in (known if age < SECRET_CACHE_S else []) + self.global_secret:
            if verify_signature(secret, body, signature):
                return source
        if self.keyring is not None and age >= SECRET_RELOAD_S:
            for source, secret in await self._read_secrets(self.keyring, hook):
                if verify_signature(secret, body, signature):
                    return source
        # Per address and hook: GitHub sends every customer's deliveries from the same
        # addresses, so someone's hook with a wrong secret must not hold up ours.
        ip = gcra.client_ip(request, self.settings.trusted_proxy_count)
        policy = gcra.Policy(
            "webhook-signature",
            self.settings.rate_limit_auth_requests,
            self.settings.rate_limit_window_seconds,
        )
        failures = gcra.FailureBudget(self.redis, f"ip:{ip}:hook:{hook[0]}", policy)
        await failures.charge("deliveries with bad signatures for this hook")
        raise BadSignature("X-Hub-Signature-256 does not match the body under any secret we hold.")

    async def _read_secrets(self, keyring: Keyring, hook: tuple[int, int]) -> Secrets:
        async with self.pool.acquire() as conn:
            rows = await repos_db.hook_secrets(conn, hook[0] or None, hook[1] or None)
        found: Secrets = []
        for row in rows:
            context = repos_db.secret_context(row.repository_id)
            try:
                secret = keyring.decrypt(row.ciphertext, row.key_id, context)
            except CryptoKeyError as exc:
                log.warning(
                    "webhook secret unreadable",
                    repository_id=str(row.repository_id),
                    error=str(exc),
                )
                continue
            found.append(((row.repository_id, row.organization_id), secret))
        if len(self.secrets) > 10_000:  # bounded: hook ids come from the request
            self.secrets.clear()
        self.secrets[hook] = (time.monotonic(), found)
        return found

    async def store(self, delivery: webhook_stream.Delivery) -> str | None:
        """The stream entry id of the stored delivery, None for a repeat."""
        if len(delivery.body) > INLINE_PACK_BYTES:  # tens of ms: not on the event loop
            meta, packed = await asyncio.to_thread(webhook_stream.to_fields, delivery)
        else:
            meta, packed = webhook_stream.to_fields(delivery)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append(((webhook_stream.dedup_key(delivery), meta, packed), future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        result = await future
        if result == -1:
            log.error("webhook stream full; refusing deliveries until the worker catches up")
            full = ServiceUnavailable("The delivery queue is full; redeliver shortly.")
            full.headers["Retry-After"] = "30"
            raise full
        return None if result == 0 else bytes(result).decode()

    async def _flush(self) -> None:
        """Store the waiting deliveries, one script call at a time: the deliveries that
        arrive while one call is in flight share the next one's round trip, and Redis
        runs one script for all of them (bench.webhooks)."""
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                dedup_keys = [dedup for (dedup, _, _), _ in batch]
                fields = [field for (_, *pair), _ in batch for field in pair]
                try:
                    # The bound holds taking the connection too: a Redis that accepts
                    # connections but never answers would otherwise hold every caller.
                    async with asyncio.timeout(SOCKET_TIMEOUT_S):
                        results: list[Any] = await self.store_redis.execute_command(  # type: ignore[no-untyped-call]
                            "EVAL",
                            self.store_script,
                            1 + len(batch),
                            keys.WEBHOOKS_STREAM,
                            *dedup_keys,
                            *fields,
                        )
                except Exception as exc:  # Redis is unreachable: every caller hears it
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its request was cancelled
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._flusher = None
