"""GitHub webhook intake: bounded body, signature first, then one atomic store in Redis.

Nothing about a delivery is parsed or stored before its X-Hub-Signature-256 matches the
raw body under a secret we hold. One Lua script then checks that the hook has not sent
this body before and XADDs it, so a delivery is either stored (202), a repeat (200), or
not stored at all (503). `receive` below is the whole path, in the order it runs.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import msgspec
import structlog
from aiohttp import web
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from libs.common.config import Settings
from libs.common.crypto import CryptoKeyError, Keyring
from libs.common.db import repos as repos_db
from libs.common.redis import keys, webhook_stream
from libs.common.redis.client import SOCKET_TIMEOUT_S, create_redis
from libs.common.telemetry import current_carrier
from libs.github.signatures import verify_signature
from services.api.http import gcra
from services.api.http.errors import (
    AppError,
    BadRequest,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
)

log = structlog.get_logger(__name__)

_SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_NUMBER = re.compile(r"^[0-9]{1,18}$")
# Repository secrets read from PostgreSQL are reused this long; a mismatch re-reads them.
SECRET_CACHE_S = 30.0
SECRET_RELOAD_S = 1.0  # a hook's secrets are looked up at most this often
# Bodies up to this size are compressed for the stream on the event loop (~0.3 ms).
INLINE_PACK_BYTES = 1024 * 1024
MAX_BATCH = 128

# A body this hook sent before is a repeat, whatever its X-GitHub-Delivery says (GitHub's
# redelivery, or someone replaying a captured delivery). A full stream refuses and
# forgets the body, so its redelivery is taken. Returns the entry id, 0 for a repeat, -1
# when full. KEYS: dedup key, stream. ARGV: meta, packed body.
STORE_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', {dedup_ttl}) then return 0 end
if redis.call('XLEN', KEYS[2]) >= {max_entries} then
  redis.call('DEL', KEYS[1])
  return -1
end
return redis.call('XADD', KEYS[2], '*', '{meta}', ARGV[1], '{body}', ARGV[2])
"""


class BadSignature(Unauthorized):
    slug = "bad-signature"
    title = "Webhook signature missing or wrong"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers.pop("WWW-Authenticate", None)


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


@dataclass(frozen=True)
class Outcome:
    event: str
    delivery: str
    entry_id: str | None  # None: a repeat of something already stored


async def receive(request: web.Request, intake: Intake) -> Outcome:
    """Verify, check and store one delivery; raises an AppError for anything refused."""
    limit = intake.settings.webhook_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not _SIGNATURE.match(signature):
        raise BadSignature("Send X-Hub-Signature-256: sha256=<hex HMAC of the body>.")
    body = await read_body(request, limit)
    hook_id = int(header(request, "X-GitHub-Hook-ID", _NUMBER, "0"))
    target = request.headers.get("X-GitHub-Hook-Installation-Target-ID", "0")
    target_id = int(target) if _NUMBER.match(target) else 0
    repository_id, organization_id = await intake.verify(
        request, body, signature, hook_id, target_id
    )
    event = header(request, "X-GitHub-Event", _EVENT)
    delivery_id = header(request, "X-GitHub-Delivery", _DELIVERY)
    document = payload_json(request, body)
    delivery = webhook_stream.Delivery(
        event=event,
        delivery=delivery_id,
        hook_id=hook_id,
        digest=hashlib.sha256(body).hexdigest(),
        action=action_of(document),
        repository_id=repository_id,
        organization_id=organization_id,
        received_at_ms=int(time.time() * 1000),
        trace=current_carrier(),
        body=document,
    )
    return Outcome(event, delivery_id, await intake.store(delivery))


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body: exactly its Content-Length (checked already), else up to `limit`."""
    if request.content_length == 0:  # readexactly(0) at the end of the stream raises
        return b""
    if request.content_length is not None:
        try:
            return await request.content.readexactly(request.content_length)
        except asyncio.IncompleteReadError:
            raise BadRequest("The body is shorter than its Content-Length.") from None
    buffer = bytearray()
    async for chunk in request.content.iter_chunked(256 * 1024):
        buffer += chunk
        if len(buffer) > limit:
            raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    return bytes(buffer)


def header(request: web.Request, name: str, pattern: re.Pattern[str], default: str = "") -> str:
    value = request.headers.get(name, default)
    if not pattern.match(value):
        raise BadRequest(f"The {name} header is missing or malformed.")
    return value


def payload_json(request: web.Request, body: bytes) -> bytes:
    """The JSON document of a delivery (GitHub also sends it form-encoded as `payload`)."""
    if request.content_type == "application/json":
        return body
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("Configure the webhook with content type application/json.")
    try:
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
    except ValueError:  # more fields than a delivery has
        raise BadRequest("The form-encoded delivery has unexpected fields.") from None
    if not fields.get("payload"):
        raise BadRequest("The form-encoded delivery has no 'payload' field.")
    return fields["payload"][0].encode()


class _Envelope(msgspec.Struct):
    action: str | None = None


_envelope = msgspec.json.Decoder(_Envelope)


def action_of(document: bytes) -> str | None:
    try:
        # msgspec skips the fields it is not asked for without checking their text.
        document.decode()
        action = _envelope.decode(document).action
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The delivery body is not a JSON object in UTF-8.") from None
    return action[:64] if action else None


StoreArgs = tuple[str, bytes, bytes]  # the store script's dedup key, meta, packed body

# Whose secret verified a delivery: (repository id, organization id), or (None, None) for
# the global secret.
Source = tuple[uuid.UUID | None, uuid.UUID | None]


@dataclass
class Intake:
    """What the webhook route needs, built once per app."""

    settings: Settings
    pool: asyncpg.Pool
    redis: Redis
    keyring: Keyring | None
    global_secret: bytes | None
    # On a client of its own without a per-reply timeout (redis-py's costs a tenth of a
    # delivery's CPU); each pipeline is bounded by SOCKET_TIMEOUT_S instead.
    store_script: AsyncScript
    # (hook id, target id) -> (expires at, its repositories' secrets)
    secrets: dict[tuple[int, int], tuple[float, list[tuple[Source, bytes]]]] = field(
        default_factory=dict
    )
    _waiting: list[tuple[StoreArgs, asyncio.Future[Any]]] = field(default_factory=list)
    _flusher: asyncio.Task[None] | None = None

    @classmethod
    def create(
        cls, settings: Settings, pool: asyncpg.Pool, redis: Redis, ring: Keyring | None
    ) -> Intake:
        script = STORE_SCRIPT.format(
            max_entries=settings.webhook_stream_max_entries,
            dedup_ttl=settings.webhook_dedup_ttl_seconds,
            meta=webhook_stream.META,
            body=webhook_stream.BODY_LZ4,
        )
        secret = settings.github_webhook_secret
        global_secret = secret.get().encode() if secret else None
        store = create_redis(settings, socket_timeout=None).register_script(script)
        return cls(settings, pool, redis, ring, global_secret, store)

    async def aclose(self) -> None:
        await self.store_script.registered_client.aclose()

    async def verify(
        self, request: web.Request, body: bytes, signature: str, hook_id: int, target_id: int
    ) -> Source:
        """The source whose secret signed `body`, trying the secrets at hand first (the
        hook's, cached, and the global one), then the hook's secrets as stored: a rotated
        secret is found at once. A valid signature is never refused; bad ones spend this
        address and hook's failure budget, and past it are answered 429. Forged deliveries
        cost at most one query per hook a second: a lookup that just found nothing is not
        repeated."""
        key = (hook_id, target_id)
        now = time.monotonic()
        cached = self.secrets.get(key)
        if cached is not None and cached[0] + SECRET_CACHE_S >= now:
            for source, secret in cached[1]:
                if verify_signature(secret, body, signature):
                    return source
        if self.global_secret and verify_signature(self.global_secret, body, signature):
            return None, None
        if self.keyring is not None and (cached is None or cached[0] + SECRET_RELOAD_S < now):
            for source, secret in await self._load_secrets(hook_id, target_id):
                if verify_signature(secret, body, signature):
                    return source
        # Per address and hook: GitHub sends every customer's deliveries from the same
        # addresses, so someone's hook with a wrong secret must not hold up ours.
        ip = gcra.client_ip(request, self.settings.trusted_proxy_count)
        failures = gcra.FailureBudget(
            self.redis,
            f"ip:{ip}:hook:{hook_id}",
            gcra.Policy(
                "webhook-signature",
                self.settings.rate_limit_auth_requests,
                self.settings.rate_limit_window_seconds,
            ),
        )
        await failures.charge("deliveries with bad signatures for this hook")
        raise BadSignature("X-Hub-Signature-256 does not match the body under any secret we hold.")

    async def _load_secrets(self, hook_id: int, target_id: int) -> list[tuple[Source, bytes]]:
        assert self.keyring is not None
        async with self.pool.acquire() as conn:
            rows = await repos_db.hook_secrets(conn, hook_id or None, target_id or None)
        found: list[tuple[Source, bytes]] = []
        for row in rows:
            context = repos_db.secret_context(row.repository_id)
            try:
                secret = self.keyring.decrypt(row.ciphertext, row.key_id, context)
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
        self.secrets[(hook_id, target_id)] = (time.monotonic(), found)
        return found

    async def store(self, delivery: webhook_stream.Delivery) -> str | None:
        if len(delivery.body) > INLINE_PACK_BYTES:  # tens of ms: not on the event loop
            meta, packed = await asyncio.to_thread(webhook_stream.to_fields, delivery)
        else:
            meta, packed = webhook_stream.to_fields(delivery)
        result = await self._run_store((webhook_stream.dedup_key(delivery), meta, packed))
        if result == 0:
            return None
        if result == -1:
            log.error("webhook stream full; refusing deliveries until the worker catches up")
            full = ServiceUnavailable("The delivery queue is full; redeliver shortly.")
            full.headers["Retry-After"] = "30"
            raise full
        return result.decode() if isinstance(result, bytes) else str(result)

    async def _run_store(self, args: StoreArgs) -> Any:
        """Run the store script with (dedup key, meta, packed body), sharing a pipeline
        with whatever deliveries arrive while one is in flight: each is still its own
        atomic EVALSHA, but the send and the syscall are shared, which the profile says
        is most of what a lone call costs (bench.webhooks)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                try:
                    results = await self._pipeline([args for args, _ in batch])
                    if any(isinstance(r, NoScriptError) for r in results):
                        # Redis restarted or flushed its scripts: a NOSCRIPT call did
                        # nothing, so load the script and run exactly those again.
                        async with asyncio.timeout(SOCKET_TIMEOUT_S):
                            await self.store_script.registered_client.script_load(
                                self.store_script.script
                            )
                        again = [i for i, r in enumerate(results) if isinstance(r, NoScriptError)]
                        retried = await self._pipeline([batch[i][0] for i in again])
                        for i, result in zip(again, retried, strict=True):
                            results[i] = result
                except Exception as exc:  # Redis is unreachable: every caller hears it
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._flusher = None

    async def _pipeline(self, calls: list[StoreArgs]) -> list[Any]:
        script = self.store_script
        # The connection is taken inside the bound too: a Redis that accepts connections
        # but never answers would otherwise hold every caller forever. A connection left
        # mid-reply is dropped by the pool, which checks for unread data before reuse.
        async with (
            asyncio.timeout(SOCKET_TIMEOUT_S),
            script.registered_client.pipeline(transaction=False) as pipe,
        ):
            for dedup, meta, packed in calls:
                pipe.execute_command(
                    "EVALSHA", script.sha, 2, dedup, keys.WEBHOOKS_STREAM, meta, packed
                )
            return await pipe.execute(raise_on_error=False)
