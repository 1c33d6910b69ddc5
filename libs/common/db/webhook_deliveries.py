"""Webhook deliveries as the worker handles them: one row per (hook id, delivery GUID),
counting attempts and recording the outcome. The row is the permanent record of what a
delivery did; the api's Redis dedup key only guards its way into the stream (why both
stay, and how they are kept from disagreeing: docs/api.md, "Two records of a delivery")."""

from __future__ import annotations

import uuid
from typing import Literal

import msgspec

from libs.common.db import Conn, to_struct

DeliveryStatus = Literal["received", "processed", "ignored", "failed", "dead"]
DONE: frozenset[str] = frozenset({"processed", "ignored"})


class Delivery(msgspec.Struct, kw_only=True):
    hook_id: int
    delivery_id: str
    event: str
    action: str | None
    organization_id: uuid.UUID | None
    repository_id: uuid.UUID | None
    status: DeliveryStatus
    error: str | None
    attempts: int
    job_ids: list[uuid.UUID]


async def begin_delivery(
    conn: Conn, hook_id: int, delivery_id: str, event: str, action: str | None
) -> Delivery:
    """Record an attempt at a delivery; the row says whether an earlier one finished it."""
    row = await conn.fetchrow(
        """
        INSERT INTO webhook_deliveries (hook_id, delivery_id, event, action, attempts)
        VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT (hook_id, delivery_id)
            DO UPDATE SET attempts = webhook_deliveries.attempts + 1
        RETURNING hook_id, delivery_id, event, action, organization_id, repository_id, status,
                  error, attempts, job_ids
        """,
        hook_id,
        delivery_id,
        event,
        action,
    )
    assert row is not None
    return to_struct(row, Delivery)


async def finish_delivery(
    conn: Conn,
    hook_id: int,
    delivery_id: str,
    status: DeliveryStatus,
    *,
    organization_id: uuid.UUID | None = None,
    repository_id: uuid.UUID | None = None,
    error: str | None = None,
    job_ids: list[uuid.UUID] | None = None,
) -> None:
    await conn.execute(
        """
        UPDATE webhook_deliveries
           SET status = $3, organization_id = $4, repository_id = $5, error = $6,
               job_ids = $7, processed_at = now()
         WHERE hook_id = $1 AND delivery_id = $2
        """,
        hook_id,
        delivery_id,
        status,
        organization_id,
        repository_id,
        error,
        job_ids or [],
    )
