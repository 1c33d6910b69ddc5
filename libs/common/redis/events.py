"""Job progress events: written by the worker to the job's and the org's streams."""

from __future__ import annotations

import time
from typing import Literal

import msgspec
from redis.asyncio import Redis

from libs.common.config import Settings
from libs.common.redis import keys, streams

# score.regressed: an analysis broke its repository's regression rule (docs/github-app.md).
EventType = Literal[
    "started", "progress", "retrying", "succeeded", "failed", "cancelled", "score.regressed"
]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class JobEvent(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: EventType
    job_id: str
    kind: str
    repository_id: str | None = None
    stage: str | None = None
    message: str | None = None
    data: dict[str, object] = {}
    at: float = msgspec.field(default_factory=time.time)

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(JobEvent)


def encode(event: JobEvent) -> bytes:
    return _encoder.encode(event)


def decode(fields: dict[bytes, bytes]) -> JobEvent:
    return _decoder.decode(fields[b"event"])


async def publish(redis: Redis, settings: Settings, organization_id: str, event: JobEvent) -> str:
    """XADD the event to the job's stream and the organization's (one round trip, both or
    neither); returns the job entry id."""
    job_entry, _ = await streams.add(
        redis,
        {"event": encode(event)},
        {
            keys.job_events(event.job_id): settings.event_stream_maxlen,
            keys.org_events(organization_id): settings.event_stream_maxlen * 10,
        },
        ttl_seconds=settings.event_retention_seconds,
    )
    return job_entry
