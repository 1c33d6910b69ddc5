"""Operator queries that deliberately span every organization (admin routes, metrics)."""

from __future__ import annotations

from libs.common.db import Conn, to_structs
from libs.common.db.ai_usage import TopUser


async def top_ai_users(conn: Conn, *, hours: int = 24, limit: int = 10) -> list[TopUser]:
    """The runbook's billing-spike query: the heaviest AI users of the last `hours`."""
    rows = await conn.fetch(
        """
        SELECT u.user_id, users.login, u.total_tokens, u.calls
          FROM (SELECT user_id, sum(tokens_used)::bigint AS total_tokens, count(*) AS calls
                  FROM ai_usage
                 WHERE created_at > now() - make_interval(hours => $1)
                 GROUP BY user_id) AS u
          LEFT JOIN users ON users.id = u.user_id
         ORDER BY u.total_tokens DESC, u.calls DESC
         LIMIT $2
        """,
        hours,
        limit,
    )
    return to_structs(rows, TopUser)


async def platform_tokens_today(conn: Conn) -> int:
    """AI tokens every organization spent since 00:00 UTC: the daily budget's gauge."""
    total: int = await conn.fetchval(
        """
        SELECT coalesce(sum(tokens_used), 0)::bigint FROM ai_usage
         WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           AND outcome <> 'in_flight'
        """
    )
    return total
