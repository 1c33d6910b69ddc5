"""A webhook delivery as it travels in the `webhooks` stream: written by the api, read by
the worker's ingest consumer. Two fields per entry: `meta` (JSON) and `body_lz4`, the raw
body as an LZ4 frame, so a 25 MiB body is never re-encoded. GitHub's JSON shrinks ~5x,
and Redis holds, persists and copies that much less for every delivery waiting
(bench.webhooks: Redis CPU a delivery 23 -> 14 us)."""

from __future__ import annotations

import uuid

import lz4.frame
import msgspec

from libs.common.redis import keys

# Events the platform acts on; any other name is counted as "other" in metrics, so a
# forged header cannot create label values.
KNOWN_EVENTS = frozenset(
    {
        "push",
        "pull_request",
        "ping",
        "repository",
        "installation",
        "installation_repositories",
        "installation_target",
    }
)


def metric_label(event: str) -> str:
    return event if event in KNOWN_EVENTS else "other"


class Delivery(msgspec.Struct, kw_only=True, omit_defaults=True):
    event: str
    delivery: str
    hook_id: int
    # sha256 (hex) of the raw body as signed: what the api deduplicates on.
    digest: str = ""
    action: str | None = None
    # Set when a repository's own secret verified the delivery: it concerns that one only.
    repository_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    received_at_ms: int = 0
    trace: dict[str, str] = {}
    body: bytes = b""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Delivery)


META = "meta"
BODY_LZ4 = "body_lz4"


def to_fields(delivery: Delivery) -> tuple[bytes, bytes]:
    """The `meta` and `body_lz4` fields of the delivery's stream entry."""
    meta = msgspec.structs.replace(delivery, body=b"")
    return _encoder.encode(meta), lz4.frame.compress(delivery.body)


def dedup_key(delivery: Delivery) -> str:
    """The api's record that this hook sent this body, held for the dedup TTL. The
    consumer deletes it with a dead-lettered entry, so GitHub's redelivery is taken."""
    return keys.webhook_dedup(delivery.hook_id, delivery.digest)


def meta_of(fields: dict[bytes, bytes]) -> Delivery | None:
    """The delivery's metadata without its body (which may be what is unreadable), or None
    when the metadata is unreadable too."""
    try:
        return _decoder.decode(fields[b"meta"])
    except (KeyError, msgspec.MsgspecError):
        return None


def from_fields(fields: dict[bytes, bytes]) -> Delivery:
    """The delivery in a stream entry; KeyError, ValueError or msgspec errors when it is
    not one."""
    meta = _decoder.decode(fields[b"meta"])
    try:
        body = lz4.frame.decompress(fields[b"body_lz4"])
    except RuntimeError as exc:  # python-lz4's error for a damaged frame
        raise ValueError(f"the body is not an LZ4 frame: {exc}") from None
    return msgspec.structs.replace(meta, body=body)
