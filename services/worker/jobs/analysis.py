"""The analysis job: fetch the tree at the commit, analyse it, ask Gemini, store the report.

Identical content (same digest under the same analyser, prompt and model versions) reuses
the stored AI result and spends no tokens. The stored row is keyed by the job, so a job
that runs twice (arq runs at least once) writes one analysis.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import msgspec
from opentelemetry import trace

from libs.ai.config import cache_key_parts
from libs.ai.step import as_cached, reusable, run_ai_step
from libs.analysis import REPORT_VERSION, Report, analyze
from libs.analysis.engine import with_outside
from libs.analysis.report import AiResult, Recommendation
from libs.common import jobs
from libs.common.db import analyses as analyses_db
from services.worker.errors import PermanentJobError, TransientJobError
from services.worker.fetch import fetch_tree
from services.worker.github_app.api_checks import api_checks
from services.worker.github_app.publish import report_back
from services.worker.jobs.common import (
    acting_user,
    ci_platform,
    github_client,
    github_token,
    load_repository,
    submit_next,
)
from services.worker.runner import JobContext
from services.worker.trees import TreeCache

tracer = trace.get_tracer("autodevops.worker.analysis")


def cache_key(report: Report, parts: dict[str, str]) -> str:
    """The analysis cache key: what the analysers read plus every version that shapes the
    report (analyser, prompt, model)."""
    material = [report.content_digest, f"report:{REPORT_VERSION}"]
    material += [f"{k}:{v}" for k, v in sorted(parts.items())]
    return hashlib.sha256("\n".join(material).encode()).hexdigest()


async def analysis(jc: JobContext) -> dict[str, Any]:
    job, deps = jc.job, jc.deps
    repo = await load_repository(jc)
    if not job.commit_sha:
        raise PermanentJobError("an analysis needs a commit", "bad_job")
    async with jc.scratch() as tree:
        await jc.progress("fetching", f"fetching {repo.full_name} at {job.commit_sha[:12]}")
        token = await github_token(jc, repo)
        client = await github_client(jc, repo)
        stats = await fetch_tree(
            deps.settings,
            deps.http,
            repo,
            job.commit_sha,
            tree,
            token=token,
            trees=TreeCache.in_workdir(deps.workdir),
            client=client,
        )
        await jc.progress("analysing", f"analysing {stats.files} files")
        with tracer.start_as_current_span("analyze", attributes={"analysis.files": stats.files}):
            report = await asyncio.to_thread(analyze, tree, commit=job.commit_sha)
        if repo.provider == "github":
            reader = client if token else None
            branch = repo.default_branch or "main"
            with_outside(report, await api_checks(reader, repo.full_name, branch))
        key = cache_key(report, cache_key_parts(deps.settings))
        async with deps.pool.acquire() as conn:
            cached = await analyses_db.find_by_digest(conn, job.organization_id, key)
        stored_ai = msgspec.json.decode(cached.ai, type=AiResult) if cached else None
        if cached is not None and stored_ai is not None and reusable(stored_ai):
            report.ai = as_cached(stored_ai)
            report.recommendations = msgspec.json.decode(
                cached.recommendations, type=list[Recommendation]
            )
            await jc.progress("ai", "identical content analysed before: reusing its AI result")
        else:
            await jc.progress("ai", "asking Gemini" if deps.gemini else "AI is off")
            step = await run_ai_step(
                deps.gemini,
                deps.pool,
                report,
                tree,
                organization_id=job.organization_id,
                user_id=acting_user(job, repo),
                job_id=job.id,
                metrics=deps.metrics,
            )
            if step.retryable and job.attempts < deps.settings.job_max_tries:
                raise TransientJobError(
                    step.result.reason or "Gemini is unavailable",
                    "ai_unavailable",
                    retry_after=step.retry_after,
                )
            report.ai = step.result
            report.recommendations = step.recommendations

    await jc.progress("storing", f"storing the report (score {report.score.overall})")
    async with deps.pool.acquire() as conn:
        row = await analyses_db.store_analysis(
            conn,
            job.organization_id,
            repository_id=repo.id,
            job_id=job.id,
            commit_sha=job.commit_sha,
            branch=_str(job.params.get("branch")),
            content_digest=key,
            report_version=REPORT_VERSION,
            report=msgspec.json.encode(report),
            health_score=report.score.overall,
            ai_status=report.ai.status,
            ai_model=report.ai.model,
            ai_tokens=(
                report.ai.prompt_tokens,
                report.ai.output_tokens,
                report.ai.thinking_tokens,
                report.ai.total_tokens,
            ),
        )
    reported = await report_back(jc, repo, report, row)
    ci_job = await submit_next(
        jc,
        "ci_generation",
        key=jobs.dedup_key("ci_generation", row.id, ci_platform(job)),
        commit_sha=job.commit_sha,
        params={"analysis_id": str(row.id)},
    )
    return {
        "analysis_id": str(row.id),
        "health_score": report.score.overall,
        "band": report.score.band,
        "ai_status": report.ai.status,
        "ai_reason": report.ai.reason,
        "ci_generation_job_id": str(ci_job.id),
        **reported,
    }


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
