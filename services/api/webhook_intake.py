"""GitHub webhook intake: bounded body, signature first, dedup, then one XADD.

Nothing about a delivery is parsed or stored before its X-Hub-Signature-256 matches the
raw body under a secret we hold. The dedup check and the XADD happen in one Lua script,
so a delivery is either stored (202), already known (200), or not stored at all (503).
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
from services.api.http.errors import (
    AppError,
    BadRequest,
    PayloadTooLarge,
    ServiceUnavailable,
    Unauthorized,
)
from services.api.http.pipelining import ScriptBatcher

log = structlog.get_logger(__name__)

_SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")
_EVENT = re.compile(r"^[a-z_]{1,64}$")
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_NUMBER = re.compile(r"^[0-9]{1,18}$")
# Secrets read from PostgreSQL are reused this long; a mismatch always re-reads them.
SECRET_CACHE_S = 30.0
READ_CHUNK = 256 * 1024
# Bodies up to this size are compressed for the stream on the event loop (~0.3 ms).
INLINE_PACK_BYTES = 1024 * 1024


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
class Source:
    """Whose secret verified a delivery: a repository's own, or the global one (None)."""

    repository_id: uuid.UUID | None
    organization_id: uuid.UUID | None


Guard = Callable[[], Awaitable[None]]


@dataclass
class SecretStore:
    """Repository webhook secrets by hook, decrypted once and cached briefly."""

    pool: asyncpg.Pool
    keyring: Keyring | None
    global_secret: bytes | None
    _cache: dict[tuple[int, int], tuple[float, list[tuple[Source, bytes]]]] = field(
        default_factory=dict
    )

    async def _load(self, hook_id: int, target_id: int) -> list[tuple[Source, bytes]]:
        if self.keyring is None:
            return []
        async with self.pool.acquire() as conn:
            rows = await repos_db.hook_secrets(conn, hook_id or None, target_id or None)
        found = []
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
            found.append((Source(row.repository_id, row.organization_id), secret))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[(hook_id, target_id)] = (time.monotonic() + SECRET_CACHE_S, found)
        return found

    async def verify(
        self, body: bytes, header: str, hook_id: int, target_id: int, before_lookup: Guard
    ) -> Source:
        """The source whose secret signed `body`; BadSignature when none did.

        The secrets at hand (the hook's, cached within SECRET_CACHE_S, and the global one)
        are tried first: they cost nothing, so they are never refused. Only then, for a
        hook not cached or one re-keyed a moment ago, are its secrets looked up, after
        `before_lookup`, which may refuse it.
        """
        cached = self._cache.get((hook_id, target_id))
        if cached is not None and cached[0] >= time.monotonic():
            for source, secret in cached[1]:
                if verify_signature(secret, body, header):
                    return source
        if self.global_secret and verify_signature(self.global_secret, body, header):
            return Source(None, None)
        if self.keyring is not None:  # else no repository secrets can exist
            await before_lookup()
            for source, secret in await self._load(hook_id, target_id):
                if verify_signature(secret, body, header):
                    return source
        raise BadSignature("X-Hub-Signature-256 does not match the body under any secret we hold.")


async def read_body(request: web.Request, length: int | None, limit: int) -> bytes:
    """The raw body: `length` bytes when declared (already checked against `limit`)."""
    if length == 0:
        return b""
    if length is not None:
        try:
            return await request.content.readexactly(length)
        except asyncio.IncompleteReadError:
            raise BadRequest("The body is shorter than its Content-Length.") from None
    buffer = bytearray()
    async for chunk in request.content.iter_chunked(READ_CHUNK):
        buffer += chunk
        if len(buffer) > limit:
            raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    return bytes(buffer)


def _header(request: web.Request, name: str, pattern: re.Pattern[str], default: str = "") -> str:
    value = request.headers.get(name, default)
    if not pattern.match(value):
        raise BadRequest(f"The {name} header is missing or malformed.")
    return value


class _Envelope(msgspec.Struct):
    action: str | None = None


_envelope = msgspec.json.Decoder(_Envelope)


def payload_json(request: web.Request, body: bytes) -> bytes:
    """The JSON document of a delivery (GitHub also sends it form-encoded as `payload`)."""
    mime = request.content_type
    if mime == "application/json":
        return body
    if mime == "application/x-www-form-urlencoded":
        try:
            fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10)
        except ValueError:  # more fields than a delivery has
            raise BadRequest("The form-encoded delivery has unexpected fields.") from None
        values = fields.get("payload")
        if values:
            return values[0].encode()
        raise BadRequest("The form-encoded delivery has no 'payload' field.")
    raise UnsupportedMediaType("Configure the webhook with content type application/json.")


def action_of(document: bytes) -> str | None:
    try:
        # msgspec skips the fields it is not asked for without checking their text.
        document.decode()
        action = _envelope.decode(document).action
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The delivery body is not a JSON object in UTF-8.") from None
    return action[:64] if action else None


# Atomic: a delivery already seen is not added; a full stream refuses (and forgets the
# delivery, so its redelivery is taken); otherwise XADD. Returns the entry id, 0 for a
# duplicate, -1 when full. KEYS: dedup key, stream. ARGV: meta, packed body. Limits and
# field names are part of the script text.
STORE_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', {dedup_ttl}) then return 0 end
if redis.call('XLEN', KEYS[2]) >= {max_entries} then
  redis.call('DEL', KEYS[1])
  return -1
end
return redis.call('XADD', KEYS[2], '*', '{meta}', ARGV[1], '{body}', ARGV[2])
"""


@dataclass(frozen=True)
class Outcome:
    event: str
    delivery: str
    entry_id: str | None  # None: a redelivery of something already stored


@dataclass
class Intake:
    """What the webhook route needs, built once per app."""

    settings: Settings
    redis: Redis
    secrets: SecretStore
    store_script: ScriptBatcher
    signature_failures: gcra.Policy

    @classmethod
    def create(
        cls, settings: Settings, pool: asyncpg.Pool, redis: Redis, ring: Keyring | None
    ) -> Intake:
        secret = settings.github_webhook_secret
        script = STORE_SCRIPT.format(
            max_entries=settings.webhook_stream_max_entries,
            dedup_ttl=settings.webhook_dedup_ttl_seconds,
            meta=webhook_stream.META,
            body=webhook_stream.BODY_LZ4,
        )
        return cls(
            settings,
            redis,
            SecretStore(pool, ring, secret.get().encode() if secret else None),
            # Its own connection, timed per round trip rather than per reply.
            ScriptBatcher(create_redis(settings, socket_timeout=None), script, SOCKET_TIMEOUT_S),
            gcra.Policy(
                "webhook-signature",
                settings.rate_limit_auth_requests,
                settings.rate_limit_window_seconds,
            ),
        )

    async def aclose(self) -> None:
        await self.store_script.aclose()

    def _failures(self, request: web.Request, hook_id: int) -> gcra.FailureBudget:
        # Per address and hook: GitHub sends every customer's deliveries from the same
        # addresses, so someone's hook with a wrong secret must not hold up ours.
        ip = gcra.client_ip(request, self.settings.trusted_proxy_count)
        return gcra.FailureBudget(self.redis, f"ip:{ip}:hook:{hook_id}", self.signature_failures)

    async def verify(
        self, request: web.Request, body: bytes, signature: str, hook_id: int, target_id: int
    ) -> Source:
        """Check the signature; a client whose signatures keep failing waits before its
        next database lookup (forged deliveries with made-up hook ids are not free)."""

        async def guard() -> None:
            await self._failures(request, hook_id).refuse_if_spent(
                "deliveries with bad signatures for this hook"
            )

        try:
            return await self.secrets.verify(body, signature, hook_id, target_id, guard)
        except BadSignature:
            await self._failures(request, hook_id).spend()
            raise

    async def store(self, delivery: webhook_stream.Delivery) -> str | None:
        if len(delivery.body) > INLINE_PACK_BYTES:  # tens of ms: not on the event loop
            fields = await asyncio.to_thread(webhook_stream.to_fields, delivery)
        else:
            fields = webhook_stream.to_fields(delivery)
        dedup = keys.webhook_dedup(str(delivery.hook_id), delivery.delivery)
        result = await self.store_script(
            [dedup, keys.WEBHOOKS_STREAM],
            [fields[webhook_stream.META], fields[webhook_stream.BODY_LZ4]],
        )
        if result == 0:
            return None
        if result == -1:
            log.error("webhook stream full; refusing deliveries until the worker catches up")
            full = ServiceUnavailable("The delivery queue is full; redeliver shortly.")
            full.headers["Retry-After"] = "30"
            raise full
        return result.decode() if isinstance(result, bytes) else str(result)


async def receive(request: web.Request, intake: Intake) -> Outcome:
    """Verify, check and store one delivery; raises an AppError for anything refused."""
    limit = intake.settings.webhook_max_body_bytes
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"Webhook bodies are limited to {limit} bytes.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not _SIGNATURE.match(signature):
        raise BadSignature("Send X-Hub-Signature-256: sha256=<hex HMAC of the body>.")
    body = await read_body(request, length, limit)
    hook_id = int(_header(request, "X-GitHub-Hook-ID", _NUMBER, "0"))
    target = request.headers.get("X-GitHub-Hook-Installation-Target-ID", "0")
    target_id = int(target) if _NUMBER.match(target) else 0
    source = await intake.verify(request, body, signature, hook_id, target_id)
    event = _header(request, "X-GitHub-Event", _EVENT)
    delivery_id = _header(request, "X-GitHub-Delivery", _DELIVERY)
    document = payload_json(request, body)
    delivery = webhook_stream.Delivery(
        event=event,
        delivery=delivery_id,
        hook_id=hook_id,
        action=action_of(document),
        repository_id=source.repository_id,
        organization_id=source.organization_id,
        received_at_ms=int(time.time() * 1000),
        trace=current_carrier(),
        body=document,
    )
    return Outcome(event, delivery_id, await intake.store(delivery))
