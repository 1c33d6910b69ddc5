"""run_ai_step against the real SDK, a local Gemini and real PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from libs.ai.client import Gemini
from libs.ai.step import AiStep, run_ai_step
from libs.common.db import ai_usage
from libs.common.db import jobs as jobs_db
from libs.common.metrics import Metrics
from libs.common.schemas import Usage
from tests.conftest import Tenant
from tests.fakes.gemini import FakeGemini, Fault, Reply
from tests.unit.ai.samples import SECRETS, answer, rec, sample_report


@dataclass
class Harness:
    gemini: Gemini
    pool: asyncpg.Pool
    db: asyncpg.Connection
    tree: Path
    tenant: Tenant
    fake: FakeGemini
    metrics: Metrics = field(default_factory=Metrics)

    async def new_job(self) -> uuid.UUID:
        job, _ = await jobs_db.insert_job(
            self.db,
            self.tenant.organization_id,
            kind="analysis",
            dedup_key=uuid.uuid4().hex,
            trigger="api",
        )
        return job.id

    async def spend(self, tokens: int, job_id: uuid.UUID | None = None) -> None:
        await ai_usage.record(
            self.db,
            self.tenant.organization_id,
            user_id=self.tenant.user_id,
            job_id=job_id,
            model="m",
            outcome="ok",
            usage=Usage(total=tokens),
        )

    async def run(self, job_id: uuid.UUID | None, *, ai: bool = True) -> AiStep:
        return await run_ai_step(
            self.gemini if ai else None,
            self.pool,
            sample_report(),
            self.tree,
            organization_id=self.tenant.organization_id,
            user_id=self.tenant.user_id,
            job_id=job_id,
            metrics=self.metrics,
        )

    async def outcomes(self, job_id: uuid.UUID) -> list[str]:
        return [r["outcome"] for r in await self.rows(job_id)]

    async def rows(self, job_id: uuid.UUID) -> list[asyncpg.Record]:
        return await self.db.fetch("SELECT * FROM ai_usage WHERE job_id = $1 ORDER BY id", job_id)

    def metric(self, name: str, **labels: str) -> float | None:
        return self.metrics.registry.get_sample_value(name, labels)


@pytest.fixture
def h(
    gemini: Gemini,
    pool: asyncpg.Pool,
    db: asyncpg.Connection,
    tree: Path,
    tenant: Tenant,
    fake_gemini: FakeGemini,
) -> Harness:
    return Harness(gemini, pool, db, tree, tenant, fake_gemini)


async def test_happy_path_records_usage_and_merges(h: Harness) -> None:
    h.fake.script(
        Reply(
            answer=answer(
                rec("Cache pip downloads in CI", ".github/workflows/ci.yml"),
                rec("Add a lint job", "pyproject.toml", "src/demo/app.py", category="testing"),
            ),
            thinking_tokens=77,
        )
    )
    job_id = await h.new_job()
    result = await h.run(job_id)

    assert result.result.status == "ok", result.result.reason
    assert result.result.summary == "Healthy enough."
    assert result.result.dropped_recommendations == 0
    assert [r.id for r in result.recommendations] == [
        "secrets-committed",  # critical
        "ai-cache-pip-downloads-in-ci",  # high
        "ai-add-a-lint-job",  # high
        "pin-actions",  # medium
    ]
    assert [r.priority for r in result.recommendations] == [1, 2, 3, 4]

    [row] = await h.rows(job_id)
    assert row["outcome"] == "ok"
    assert row["model"] == "gemini-2.5-flash"
    assert row["thinking_tokens"] == 77
    assert row["tokens_used"] == row["prompt_tokens"] + row["output_tokens"] + 77
    assert row["user_id"] == h.tenant.user_id
    assert row["organization_id"] == h.tenant.organization_id
    assert result.result.total_tokens == row["tokens_used"]
    model = "gemini-2.5-flash"
    assert h.metric("autodevops_ai_calls_total", model=model, outcome="ok") == 1
    assert h.metric("autodevops_ai_tokens_total", model=model, kind="thinking") == 77
    assert h.metric("autodevops_ai_steps_total", status="ok") == 1

    [call] = h.fake.calls("generateContent")
    assert len(h.fake.calls("countTokens")) == 1
    config = call.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "recommendations" in config["responseJsonSchema"]["properties"]
    assert "tools" not in call.body
    assert "untrusted data" in call.body["systemInstruction"]["parts"][0]["text"]
    assert call.api_key == "test-gemini-key"
    assert call.api_version == "v1beta"
    for secret in SECRETS:
        assert secret not in h.fake.sent_text()


async def test_no_api_key_means_off_and_nothing_changes(h: Harness) -> None:
    result = await h.run(None, ai=False)
    assert result.result.status == "off"
    assert result.result.reason == "GEMINI_API_KEY is not set"
    assert result.recommendations == sample_report().recommendations
    assert await h.db.fetchval("SELECT count(*) FROM ai_usage") == 0
    assert h.fake.requests == []


async def test_over_quota_makes_no_call_at_all(h: Harness) -> None:
    await h.spend(h.gemini.config.daily_quota)
    result = await h.run(await h.new_job())
    assert result.result.status == "quota_exceeded"
    assert result.result.reason is not None
    assert "AI_DAILY_QUOTA_PER_USER" in result.result.reason
    assert result.recommendations == sample_report().recommendations
    assert h.fake.requests == []


async def test_quota_too_small_for_this_prompt_stops_before_generating(h: Harness) -> None:
    config = h.gemini.config
    (h.tree / "pyproject.toml").write_text("x = 1\n" * 3000)  # a prompt of ~2,500 tokens
    # Room for the output limit and a minimal context, not for this prompt as well.
    await h.spend(config.daily_quota - config.max_output_tokens - 1500)
    result = await h.run(await h.new_job())
    assert result.result.status == "quota_exceeded"
    assert len(h.fake.calls("countTokens")) == 1
    assert h.fake.calls("generateContent") == []


async def test_yesterdays_usage_does_not_count(h: Harness) -> None:
    await h.spend(h.gemini.config.daily_quota)
    await h.db.execute("UPDATE ai_usage SET created_at = now() - interval '1 day 1 minute'")
    result = await h.run(await h.new_job())
    assert result.result.status == "ok"
    assert len(h.fake.calls()) == 1


FAULTS: list[tuple[Fault, int, str, bool]] = [
    # fault, generateContent calls, outcome recorded, retryable
    ("rate_limited", 2, "rate_limited", True),
    ("server_error", 2, "server_error", True),
    ("slow", 2, "timeout", True),
    ("malformed_body", 1, "malformed_response", False),
    ("malformed_json", 1, "invalid_json", False),
    ("truncated", 1, "truncated", False),
    ("schema_violation", 1, "invalid_schema", False),
]


@pytest.mark.parametrize(("fault", "calls", "outcome", "retryable"), FAULTS)
async def test_every_fault_is_bounded_and_recorded(
    h: Harness, fault: Fault, calls: int, outcome: str, retryable: bool
) -> None:
    h.fake.default = Reply(fault=fault, delay=1.5 if fault == "slow" else 0.0)
    job_id = await h.new_job()
    result = await h.run(job_id)

    assert len(h.fake.calls()) == calls
    assert await h.outcomes(job_id) == [outcome] * calls
    assert result.result.status == "failed"
    assert result.result.reason
    assert result.retryable is retryable
    assert result.recommendations == sample_report().recommendations
    model = "gemini-2.5-flash"
    assert h.metric("autodevops_ai_calls_total", model=model, outcome=outcome) == calls
    if fault in ("malformed_json", "truncated", "schema_violation"):
        # The model answered: those tokens were spent and are counted.
        [row] = await h.rows(job_id)
        assert row["tokens_used"] > 0
        assert result.result.total_tokens == row["tokens_used"]


async def test_retry_after_is_waited_out_then_the_call_succeeds(h: Harness) -> None:
    h.fake.script(Reply(fault="rate_limited", retry_after=1))
    job_id = await h.new_job()
    started = time.monotonic()
    result = await h.run(job_id)
    assert time.monotonic() - started >= 1.0
    assert result.result.status == "ok"
    assert await h.outcomes(job_id) == ["rate_limited", "ok"]


async def test_a_long_retry_after_is_handed_back_to_the_job(h: Harness) -> None:
    h.fake.default = Reply(fault="rate_limited", retry_after=120)
    result = await h.run(await h.new_job())
    assert len(h.fake.calls()) == 1
    assert result.retryable
    assert result.retry_after == 120


async def test_calls_are_capped_across_job_tries(h: Harness) -> None:
    h.fake.default = Reply(fault="server_error")
    job_id = await h.new_job()
    for _ in range(h.gemini.config.job_max_tries + 2):  # the job retried more than it should
        result = await h.run(job_id)
    assert len(h.fake.calls()) == h.gemini.config.max_calls_per_job == 6
    assert await h.outcomes(job_id) == ["server_error"] * 6
    assert result.result.status == "failed"
    assert not result.retryable
    assert result.result.reason is not None
    assert "gave up after 6 Gemini calls" in result.result.reason


async def test_the_per_task_cap_counts_earlier_attempts(h: Harness) -> None:
    job_id = await h.new_job()
    await h.spend(h.gemini.config.task_cap - h.gemini.config.max_output_tokens - 100, job_id)
    result = await h.run(job_id)
    assert result.result.status == "skipped"
    assert result.result.reason is not None
    assert "AI_MAX_TOKENS_PER_TASK" in result.result.reason
    assert h.fake.requests == []


async def test_invented_paths_are_dropped_and_counted(h: Harness) -> None:
    h.fake.script(
        Reply(
            answer=answer(
                rec("Harden the deploy script", "scripts/deploy.sh"),
                rec("Cache dependencies", ".github/workflows/ci.yml"),
                rec("Fix the parent", "../etc/passwd"),
            )
        )
    )
    result = await h.run(await h.new_job())
    assert result.result.status == "ok"
    assert result.result.dropped_recommendations == 2
    assert [r.title for r in result.recommendations if r.source == "ai"] == ["Cache dependencies"]
    assert h.metric("autodevops_ai_dropped_recommendations_total") == 2


async def test_an_echoing_model_sees_no_secret(h: Harness) -> None:
    h.fake.script(Reply(fault="echo"))
    result = await h.run(await h.new_job())
    assert result.result.status == "ok"
    summary = result.result.summary or ""
    assert summary.startswith("Review the repository")  # the model saw (and echoed) the prompt
    for secret in SECRETS:
        assert secret not in summary
        assert secret not in h.fake.sent_text()


async def test_concurrent_jobs_of_one_user_cannot_all_pass_the_quota(h: Harness) -> None:
    base = h.gemini.config
    # Room for one call's worst case (prompt + output limit), not for two; calls last 2 s so
    # every job decides while the first call is still in flight.
    quota = base.max_output_tokens * 3 // 2 + 1500
    gemini = Gemini(dataclasses.replace(base, daily_quota=quota, timeout_s=10))
    h.fake.default = Reply(delay=2)
    try:
        jobs = [await h.new_job() for _ in range(5)]
        steps = await asyncio.gather(*(dataclasses.replace(h, gemini=gemini).run(j) for j in jobs))
    finally:
        await gemini.aclose()
    assert sorted(s.result.status for s in steps) == ["ok"] + ["quota_exceeded"] * 4
    assert len(h.fake.calls()) == 1


async def test_a_killed_workers_reservation_is_abandoned_not_billed(h: Harness) -> None:
    job_id = await h.new_job()
    await ai_usage.reserve(
        h.db,
        h.tenant.organization_id,
        user_id=h.tenant.user_id,
        job_id=job_id,
        model="m",
        tokens=9999,
    )
    result = await h.run(job_id)  # the job's next attempt
    assert result.result.status == "ok"
    rows = await h.rows(job_id)
    assert [r["outcome"] for r in rows] == ["abandoned", "ok"]
    assert rows[0]["tokens_used"] == 0
    usage = await ai_usage.job_usage(h.db, h.tenant.organization_id, job_id)
    assert usage.tokens == rows[1]["tokens_used"] == result.result.total_tokens
    assert usage.calls == 2
