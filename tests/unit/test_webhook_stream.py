"""Webhook deliveries in the `webhooks` stream: bodies compressed, metadata apart."""

from __future__ import annotations

import msgspec
import pytest

from libs.common.redis import webhook_stream

BODY = b'{"ref": "refs/heads/main", "commits": [' + b'{"id": "abc"},' * 200 + b"{}]}"


def as_read(meta: bytes, packed: bytes) -> dict[bytes, bytes]:
    """What redis-py hands the consumer for an entry written with these fields."""
    return {b"meta": meta, b"body_lz4": packed}


def test_a_delivery_round_trips_with_its_body_compressed() -> None:
    delivery = webhook_stream.Delivery(
        event="push", delivery="d-1", hook_id=7, action=None, trace={"traceparent": "x"}, body=BODY
    )
    meta, packed = webhook_stream.to_fields(delivery)
    assert len(packed) < len(BODY) / 5
    assert BODY not in meta
    assert webhook_stream.from_fields(as_read(meta, packed)) == delivery


def test_an_entry_without_a_compressed_body_is_refused() -> None:
    meta = msgspec.json.encode({"event": "ping", "delivery": "old", "hook_id": 1})
    with pytest.raises(KeyError):
        webhook_stream.from_fields({b"meta": meta, b"body": b'{"zen": "old"}'})


def test_a_damaged_body_is_a_value_error() -> None:
    meta, _ = webhook_stream.to_fields(
        webhook_stream.Delivery(event="ping", delivery="d", hook_id=1)
    )
    with pytest.raises(ValueError, match="not an LZ4 frame"):
        webhook_stream.from_fields(as_read(meta, b"not an lz4 frame"))
