"""AI usage: one row per Gemini call, the ground truth for quotas, caps and billing questions.

Every query is scoped to one organization (`top_users` also spans them all, for the
operators' admin route). A user's daily quota is counted per organization
(their usage in another organization never shows here), and "today" starts at UTC midnight.

A call is reserved before it is made: a row with outcome `in_flight` holding the most the
call can cost, written under a per-user lock after the quota check, so concurrent jobs of
one user cannot all pass the same check. `settle` replaces the reservation with what the
call really used. A reservation left by a killed worker is settled as `abandoned` with no
tokens when its job runs again, and stops counting against the quota after an hour.
"""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec

from libs.common.db import Conn, to_structs
from libs.common.schemas import Usage

Outcome = str  # "ok", "rate_limited", "server_error", "timeout", "truncated", "invalid_json", ...
IN_FLIGHT = "in_flight"
ABANDONED = "abandoned"
# Counted unless it is a reservation older than any call can last.
_COUNTED = f"(outcome <> '{IN_FLIGHT}' OR created_at > now() - interval '1 hour')"


class JobUsage(msgspec.Struct, frozen=True, kw_only=True):
    calls: int
    tokens: int


class UsageSummary(msgspec.Struct, frozen=True, kw_only=True):
    tokens_today: int
    tokens_this_month: int
    calls_today: int


class TopUser(msgspec.Struct, frozen=True, kw_only=True):
    user_id: uuid.UUID | None
    login: str | None
    total_tokens: int
    calls: int


async def record(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    model: str,
    outcome: Outcome,
    usage: Usage,
) -> None:
    await conn.execute(
        """
        INSERT INTO ai_usage (organization_id, user_id, job_id, model, outcome, prompt_tokens,
                              output_tokens, thinking_tokens, tokens_used)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        organization_id,
        user_id,
        job_id,
        model,
        outcome,
        usage.prompt,
        usage.output,
        usage.thinking,
        usage.total,
    )


async def lock_user(conn: Conn, organization_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    """Serialise quota decisions for one quota until the transaction ends: the user's, in
    every organization, or an organization's unattributed bucket (as tokens_today counts)."""
    key = f"ai_usage:user:{user_id}" if user_id else f"ai_usage:org:{organization_id}"
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)


async def reserve(
    conn: Conn,
    organization_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    model: str,
    tokens: int,
) -> int:
    """Hold `tokens` for a call about to be made; the row's id, for `settle`."""
    usage_id: int = await conn.fetchval(
        """
        INSERT INTO ai_usage (organization_id, user_id, job_id, model, outcome, tokens_used)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
        """,
        organization_id,
        user_id,
        job_id,
        model,
        IN_FLIGHT,
        tokens,
    )
    return usage_id


async def settle(
    conn: Conn, organization_id: uuid.UUID, usage_id: int, *, outcome: Outcome, usage: Usage
) -> None:
    """Replace a reservation with the call's outcome and real usage."""
    await conn.execute(
        """
        UPDATE ai_usage
           SET outcome = $3, prompt_tokens = $4, output_tokens = $5, thinking_tokens = $6,
               tokens_used = $7
         WHERE organization_id = $1 AND id = $2
        """,
        organization_id,
        usage_id,
        outcome,
        usage.prompt,
        usage.output,
        usage.thinking,
        usage.total,
    )


async def abandon_in_flight(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> int:
    """Settle a job's leftover reservations (its worker died mid-call) at zero tokens."""
    status = await conn.execute(
        """
        UPDATE ai_usage SET outcome = $3, tokens_used = 0
         WHERE organization_id = $1 AND job_id = $2 AND outcome = $4
        """,
        organization_id,
        job_id,
        ABANDONED,
        IN_FLIGHT,
    )
    return int(status.rsplit(" ", 1)[-1])


async def tokens_today(
    conn: Conn,
    organization_id: uuid.UUID,
    user_id: uuid.UUID | None,
    *,
    at: dt.datetime | None = None,
) -> int:
    """Tokens counted against a daily quota since the last UTC midnight.

    A user's count spans every organization they spend in: the quota is theirs, so a new
    organization brings no fresh one. A job nobody requested (a webhook push) has no
    user: its usage counts against the organization's unattributed bucket, which has the
    same daily quota.
    """
    since = "created_at >= date_trunc('day', coalesce($2, now()), 'UTC')"
    if user_id is None:
        total: int = await conn.fetchval(
            f"SELECT coalesce(sum(tokens_used), 0) FROM ai_usage"
            f" WHERE organization_id = $1 AND user_id IS NULL AND {since} AND {_COUNTED}",
            organization_id,
            at,
        )
    else:
        total = await conn.fetchval(
            f"SELECT coalesce(sum(tokens_used), 0) FROM ai_usage"
            f" WHERE user_id = $1 AND {since} AND {_COUNTED}",
            user_id,
            at,
        )
    return int(total)


async def job_usage(conn: Conn, organization_id: uuid.UUID, job_id: uuid.UUID) -> JobUsage:
    """Calls made (reservations included) and tokens spent by one job over all its attempts."""
    row = await conn.fetchrow(
        """
        SELECT count(*) AS calls, coalesce(sum(tokens_used), 0) AS tokens FROM ai_usage
         WHERE organization_id = $1 AND job_id = $2
        """,
        organization_id,
        job_id,
    )
    assert row is not None
    return JobUsage(calls=int(row["calls"]), tokens=int(row["tokens"]))


async def summary(
    conn: Conn,
    organization_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    at: dt.datetime | None = None,
) -> UsageSummary:
    """Tokens today and this calendar month (UTC) for a user in one organization: what
    GET /v1/usage shows (the quota itself counts them in every organization)."""
    row = await conn.fetchrow(
        """
        SELECT
          coalesce(sum(tokens_used) FILTER (WHERE created_at >= date_trunc('day', t, 'UTC')), 0)
            AS today,
          coalesce(sum(tokens_used), 0) AS month,
          count(*) FILTER (WHERE created_at >= date_trunc('day', t, 'UTC')) AS calls_today
          FROM ai_usage, coalesce($3::timestamptz, now()) AS t
         WHERE organization_id = $1 AND user_id = $2
           AND created_at >= date_trunc('month', t, 'UTC')
        """,
        organization_id,
        user_id,
        at,
    )
    assert row is not None
    return UsageSummary(
        tokens_today=int(row["today"]),
        tokens_this_month=int(row["month"]),
        calls_today=int(row["calls_today"]),
    )


async def top_users(
    conn: Conn,
    organization_id: uuid.UUID | None,
    *,
    hours: int = 24,
    limit: int = 10,
) -> list[TopUser]:
    """The runbook's billing-spike query, heaviest users first.

    Within one organization, or across every organization when `organization_id` is None:
    the operators' admin route only, passing None on purpose.
    """
    scope = "" if organization_id is None else "AND organization_id = $3"
    rows = await conn.fetch(
        f"""
        SELECT u.user_id, users.login, u.total_tokens, u.calls
          FROM (SELECT user_id, sum(tokens_used)::bigint AS total_tokens, count(*) AS calls
                  FROM ai_usage
                 WHERE created_at > now() - make_interval(hours => $1) {scope}
                 GROUP BY user_id) AS u
          LEFT JOIN users ON users.id = u.user_id
         ORDER BY u.total_tokens DESC, u.calls DESC
         LIMIT $2
        """,
        hours,
        limit,
        *(() if organization_id is None else (organization_id,)),
    )
    return to_structs(rows, TopUser)


async def platform_tokens_today(conn: Conn) -> int:
    """Tokens every organization spent since 00:00 UTC, reservations not counted.

    Across every organization on purpose: the daily budget gauge only (libs.common.scrape).
    """
    total: int = await conn.fetchval(
        f"""
        SELECT coalesce(sum(tokens_used), 0)::bigint FROM ai_usage
         WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           AND outcome <> '{IN_FLIGHT}'
        """
    )
    return total
