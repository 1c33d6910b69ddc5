"""A webhook delivery as it travels in the `webhooks` stream: written by the api, read by
the worker's ingest consumer. Two fields per entry: `meta` (JSON) and `body` (raw bytes),
so a 25 MiB body is never re-encoded."""

from __future__ import annotations

import uuid

import msgspec

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
    action: str | None = None
    # Set when a repository's own secret verified the delivery: it concerns that one only.
    repository_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    received_at_ms: int = 0
    trace: dict[str, str] = {}
    body: bytes = b""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Delivery)


def to_fields(delivery: Delivery) -> dict[str, bytes]:
    meta = msgspec.structs.replace(delivery, body=b"")
    return {"meta": _encoder.encode(meta), "body": delivery.body}


def from_fields(fields: dict[bytes, bytes]) -> Delivery:
    """The delivery in a stream entry; KeyError or msgspec errors when it is not one."""
    meta = _decoder.decode(fields[b"meta"])
    return msgspec.structs.replace(meta, body=fields[b"body"])
