"""The AI step of an analysis: one entry point for the worker, bounded in calls and tokens.

Order of things: the quota and the job's own budget are read from ai_usage before anything
is sent; the context is built and measured with countTokens; each generateContent attempt
is checked again and recorded in ai_usage whatever its outcome; the answer is validated,
grounded in the tree and merged with the deterministic recommendations.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import asyncpg
import msgspec
import structlog
from opentelemetry import trace

from libs.ai.client import Gemini, retrying
from libs.ai.config import MIN_CONTEXT_TOKENS, AiConfig
from libs.ai.context import Context, build_context
from libs.ai.errors import AiError
from libs.ai.merge import grounded, merge
from libs.ai.schema import AiAnalysis, parse_answer, response_schema
from libs.analysis.report import AiResult, Recommendation, Report
from libs.common.db import Conn, ai_usage
from libs.common.metrics import Metrics
from libs.common.schemas import Usage

log = structlog.get_logger(__name__)
tracer = trace.get_tracer("autodevops.ai")
_SCHEMA = response_schema()
Status = Literal["ok", "quota_exceeded", "failed", "skipped"]


class AiStep(msgspec.Struct, kw_only=True):
    """What the step did and the recommendations the report should carry.

    `retryable` means the failure was Gemini being unavailable: the job may try again
    (after `retry_after` seconds when Gemini said so) if it has attempts left, or store
    the report with this result. Every other status is final for this job.
    """

    result: AiResult
    recommendations: list[Recommendation]
    retryable: bool = False
    retry_after: float | None = None


class _Stop(Exception):
    """Ends the step early with a result (quota, cap, or budget reached)."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass
class _Run:
    gemini: Gemini
    pool: asyncpg.Pool
    organization_id: uuid.UUID
    user_id: uuid.UUID | None
    job_id: uuid.UUID | None
    metrics: Metrics | None
    spent: list[Usage] = field(default_factory=list)
    calls: int = 0

    @property
    def config(self) -> AiConfig:
        return self.gemini.config

    async def peek(self, prompt_tokens: int) -> int:
        """Raise _Stop unless a call of `prompt_tokens` fits; the tokens this job has spent."""
        async with self.pool.acquire() as conn:
            return await self._check(conn, prompt_tokens)

    async def admit(self, prompt_tokens: int) -> int:
        """Check and reserve a call's worst case atomically; the reservation's id."""
        async with self.pool.acquire() as conn, conn.transaction():
            await ai_usage.lock_user(conn, self.organization_id, self.user_id)
            await self._check(conn, prompt_tokens)
            return await ai_usage.reserve(
                conn,
                self.organization_id,
                user_id=self.user_id,
                job_id=self.job_id,
                model=self.gemini.model,
                tokens=prompt_tokens + self.config.max_output_tokens,
            )

    async def _check(self, conn: Conn, prompt_tokens: int) -> int:
        cfg = self.config
        today = await ai_usage.tokens_today(conn, self.organization_id, self.user_id)
        job = (
            await ai_usage.job_usage(conn, self.organization_id, self.job_id)
            if self.job_id
            else ai_usage.JobUsage(calls=0, tokens=0)
        )
        worst = prompt_tokens + cfg.max_output_tokens
        if today >= cfg.daily_quota:
            raise _Stop(
                "quota_exceeded",
                f"daily AI quota used up: {today} of {cfg.daily_quota} tokens since 00:00 UTC"
                " (AI_DAILY_QUOTA_PER_USER)",
            )
        if today + worst > cfg.daily_quota:
            raise _Stop(
                "quota_exceeded",
                f"daily AI quota too low for this analysis: it may need {worst} tokens and"
                f" {cfg.daily_quota - today} of {cfg.daily_quota} are left today"
                " (AI_DAILY_QUOTA_PER_USER)",
            )
        if job.calls >= cfg.max_calls_per_job:
            raise _Stop(
                "failed",
                f"gave up after {job.calls} Gemini calls for this job"
                f" (AI_CALL_ATTEMPTS x JOB_MAX_TRIES = {cfg.max_calls_per_job})",
            )
        if job.tokens + worst > cfg.task_cap:
            raise _Stop(
                "skipped",
                f"this analysis would exceed AI_MAX_TOKENS_PER_TASK ({cfg.task_cap}):"
                f" {job.tokens} spent, up to {worst} more needed",
            )
        return job.tokens

    async def settle(self, usage_id: int, outcome: str, usage: Usage, seconds: float) -> None:
        self.spent.append(usage)
        async with self.pool.acquire() as conn:
            await ai_usage.settle(
                conn, self.organization_id, usage_id, outcome=outcome, usage=usage
            )
        if self.metrics is not None:
            self.metrics.record_ai_call(self.gemini.model, outcome, usage, seconds)

    async def count(self, context: Context) -> int:
        async for attempt in retrying(self.config):
            with attempt:
                return await self.gemini.count_tokens([context.system, context.prompt])
        raise AssertionError("unreachable: retrying() re-raises the last error")

    async def measured_context(self, report: Report, tree_root: Path, room: int) -> Context:
        """A context countTokens confirms within `room`, rebuilt once smaller if needed."""
        budget = min(self.config.context_tokens, room)
        context = build_context(report, tree_root, budget_tokens=budget)
        tokens = await self.count(context)
        if tokens > budget:
            smaller = int(budget * budget / tokens * 0.9)
            context = build_context(report, tree_root, budget_tokens=smaller)
            tokens = await self.count(context)
            if tokens > budget:
                reason = (
                    f"the repository context needs {tokens} tokens, over the {budget} left"
                    " by AI_CONTEXT_TOKENS and AI_MAX_TOKENS_PER_TASK"
                )
                raise _Stop("skipped", reason)
        return dataclasses.replace(context, estimated_tokens=tokens)

    async def generate(self, context: Context) -> AiAnalysis:
        async for attempt in retrying(self.config):
            with attempt:
                usage_id = await self.admit(context.estimated_tokens)
                return await self.attempt(context, usage_id)
        raise AssertionError("unreachable: retrying() re-raises the last error")

    async def attempt(self, context: Context, usage_id: int) -> AiAnalysis:
        self.calls += 1
        started = time.perf_counter()
        with tracer.start_as_current_span(
            "gemini generateContent", attributes={"gen_ai.request.model": self.gemini.model}
        ) as span:
            try:
                generation = await self.gemini.generate(
                    system=context.system, prompt=context.prompt, schema=_SCHEMA
                )
                analysis = parse_answer(generation.text, generation.usage)
            except AiError as exc:
                span.set_attribute("autodevops.ai.outcome", exc.outcome)
                await self.settle(usage_id, exc.outcome, exc.usage, time.perf_counter() - started)
                log.warning("gemini call failed", outcome=exc.outcome, error=str(exc))
                raise
            except asyncio.CancelledError:
                # The job's deadline or a shutdown cut the call off: what it used is unknown,
                # so the reservation is released at zero rather than left counting.
                seconds = time.perf_counter() - started
                await asyncio.shield(self.settle(usage_id, ai_usage.ABANDONED, Usage(), seconds))
                raise
            span.set_attribute("gen_ai.usage.total_tokens", generation.usage.total)
        await self.settle(usage_id, "ok", generation.usage, time.perf_counter() - started)
        return analysis

    def result(
        self,
        status: Status,
        *,
        reason: str | None = None,
        summary: str | None = None,
        dropped: int = 0,
    ) -> AiResult:
        total = Usage(
            prompt=sum(u.prompt for u in self.spent),
            output=sum(u.output for u in self.spent),
            thinking=sum(u.thinking for u in self.spent),
            total=sum(u.total for u in self.spent),
        )
        return AiResult(
            status=status,
            reason=reason,
            summary=summary,
            dropped_recommendations=dropped,
            model=self.gemini.model,
            prompt_tokens=total.prompt,
            output_tokens=total.output,
            thinking_tokens=total.thinking,
            total_tokens=total.total,
        )


async def run_ai_step(
    gemini: Gemini | None,
    pool: asyncpg.Pool,
    report: Report,
    tree_root: Path,
    *,
    organization_id: uuid.UUID,
    user_id: uuid.UUID | None,
    job_id: uuid.UUID | None,
    metrics: Metrics | None = None,
) -> AiStep:
    """Ask Gemini about `report` and the tree at `tree_root`; never raises for AI trouble.

    `gemini` is None when GEMINI_API_KEY is unset (`Gemini.from_settings`): the result is
    "off" and the deterministic recommendations are returned untouched.
    """
    deterministic = list(report.recommendations)
    if gemini is None:
        step = AiStep(
            result=AiResult(status="off", reason="GEMINI_API_KEY is not set"),
            recommendations=deterministic,
        )
    else:
        run = _Run(gemini, pool, organization_id, user_id, job_id, metrics)
        step = await _run(run, report, tree_root, deterministic)
    if metrics is not None:
        metrics.ai_steps.labels(step.result.status).inc()
        if step.result.status == "quota_exceeded":
            metrics.ai_quota_rejections.labels("worker").inc()
        metrics.ai_dropped_recommendations.inc(step.result.dropped_recommendations)
    return step


async def _run(
    run: _Run, report: Report, tree_root: Path, deterministic: list[Recommendation]
) -> AiStep:
    try:
        if run.job_id is not None:
            # This job's earlier attempt died mid-call: its reservation is no longer live.
            async with run.pool.acquire() as conn:
                await ai_usage.abandon_in_flight(conn, run.organization_id, run.job_id)
        # Nothing is sent unless at least a minimal context and a full answer still fit.
        job_tokens = await run.peek(MIN_CONTEXT_TOKENS)
        room = run.config.task_cap - job_tokens - run.config.max_output_tokens
        context = await run.measured_context(report, tree_root, room)
        analysis = await run.generate(context)
    except _Stop as stop:
        return AiStep(
            result=run.result(stop.status, reason=stop.reason), recommendations=deterministic
        )
    except AiError as exc:
        reason = f"{exc} (after {run.calls} calls)" if exc.retryable else str(exc)
        return AiStep(
            result=run.result("failed", reason=reason),
            recommendations=deterministic,
            retryable=exc.retryable,
            retry_after=exc.retry_after,
        )
    ai_recommendations, dropped = grounded(analysis, tree_root)
    if dropped:
        log.info("dropped AI recommendations citing paths not in the tree", dropped=dropped)
    return AiStep(
        result=run.result("ok", summary=analysis.summary, dropped=dropped),
        recommendations=merge(deterministic, ai_recommendations),
    )


def reusable(result: AiResult) -> bool:
    """Whether a stored analysis' AI result may serve a new analysis with the same cache key.

    Failures, quota refusals and skips are not reused: the next analysis tries again.
    """
    return result.status in ("ok", "cached", "off")


def as_cached(result: AiResult) -> AiResult:
    """A reused AI result as the new report shows it: same answer, no tokens spent now."""
    return AiResult(
        status="cached" if result.status != "off" else "off",
        reason=result.reason,
        model=result.model,
        summary=result.summary,
        dropped_recommendations=result.dropped_recommendations,
    )
