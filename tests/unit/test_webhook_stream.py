"""Webhook deliveries in the `webhooks` stream: bodies compressed, older entries still read."""

from __future__ import annotations

import msgspec
import pytest

from libs.common.redis import webhook_stream

BODY = b'{"ref": "refs/heads/main", "commits": [' + b'{"id": "abc"},' * 200 + b"{}]}"


def as_read(fields: dict[str, bytes]) -> dict[bytes, bytes]:
    """What redis-py hands the consumer for an entry written with `fields`."""
    return {name.encode(): value for name, value in fields.items()}


def test_a_delivery_round_trips_with_its_body_compressed() -> None:
    delivery = webhook_stream.Delivery(
        event="push", delivery="d-1", hook_id=7, action=None, trace={"traceparent": "x"}, body=BODY
    )
    fields = webhook_stream.to_fields(delivery)
    assert set(fields) == {"meta", "body_lz4"}
    assert len(fields["body_lz4"]) < len(BODY) / 5
    assert BODY not in fields["meta"]
    assert webhook_stream.from_fields(as_read(fields)) == delivery


def test_an_entry_written_before_compression_is_still_read() -> None:
    meta = msgspec.json.encode({"event": "ping", "delivery": "old", "hook_id": 1})
    read = webhook_stream.from_fields({b"meta": meta, b"body": b'{"zen": "old"}'})
    assert (read.delivery, read.body) == ("old", b'{"zen": "old"}')


def test_a_damaged_body_is_a_value_error() -> None:
    fields = webhook_stream.to_fields(
        webhook_stream.Delivery(event="ping", delivery="d", hook_id=1)
    )
    fields["body_lz4"] = b"not an lz4 frame"
    with pytest.raises(ValueError, match="not an LZ4 frame"):
        webhook_stream.from_fields(as_read(fields))
