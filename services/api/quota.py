"""AI usage against the daily quota: what GET /v1/usage shows. The quota itself is applied
by the worker's AI step (libs.ai.step): an analysis past it runs without AI."""

from __future__ import annotations

import datetime as dt

import msgspec

from libs.common.config import Settings
from libs.common.db import Conn, ai_usage
from libs.common.schemas import Principal


class Usage(msgspec.Struct, kw_only=True):
    """The caller's AI usage in this organization, and their quota, which counts their
    tokens in every organization (a new one brings no fresh quota)."""

    ai_enabled: bool
    tokens_today: int
    tokens_this_month: int
    calls_today: int
    daily_quota: int
    quota_used_today: int
    remaining_today: int
    resets_at: dt.datetime


def next_midnight(now: dt.datetime) -> dt.datetime:
    return (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


async def usage(conn: Conn, settings: Settings, who: Principal) -> Usage:
    summary = await ai_usage.summary(conn, who.organization_id, who.user_id)
    used = await ai_usage.tokens_today(conn, who.organization_id, who.user_id)
    quota = settings.ai_daily_quota_per_user
    return Usage(
        ai_enabled=bool(settings.gemini_api_key),
        tokens_today=summary.tokens_today,
        tokens_this_month=summary.tokens_this_month,
        calls_today=summary.calls_today,
        daily_quota=quota,
        quota_used_today=used,
        remaining_today=max(0, quota - used),
        resets_at=next_midnight(dt.datetime.now(dt.UTC)),
    )
