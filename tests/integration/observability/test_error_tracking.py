"""Sentry error tracking: the SDK's real envelopes, received by a local ingestion endpoint.

An api request's unhandled error and a failed job each arrive once, tagged with the
request or job id, the trace id of their log lines, the release and the environment; no
secret, token, webhook body or repository text is in the bytes that left the process.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
import sentry_sdk
from aiohttp import web
from aiohttp.test_utils import TestClient
from opentelemetry import trace

from libs.common import jobs
from libs.common.config import SecretStr, Settings
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.errortracking import Scrubber, init_error_tracking
from libs.common.logging import configure_logging
from services.api.app import create_app
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps
from tests.conftest import Tenant
from tests.fakes.sentry import FakeSentry
from tests.helpers import make_repo

WEBHOOK_SECRET = "whsec-do-not-leak-7f3a"
GEMINI_KEY = "AIzaSyDoNotLeak0123456789abcdefghijklmno"
TOKEN_IN_TEXT = "ghp_" + "A" * 36
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
REPO_TEXT = "SECRET_REPOSITORY_LINE = 'contents of a private file'"


@pytest.fixture
def tracked(settings: Settings, fake_sentry: FakeSentry) -> Iterator[Settings]:
    tracked = msgspec.structs.replace(
        settings,
        sentry_dsn=SecretStr(fake_sentry.dsn),
        sentry_release="autodevops@9.9.9-test",
        github_webhook_secret=SecretStr(WEBHOOK_SECRET),
        gemini_api_key=SecretStr(GEMINI_KEY),
    )
    configure_logging(tracked, "test")
    assert init_error_tracking(tracked, "test")
    yield tracked
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: an inactive client for the tests that follow
    logging.getLogger().handlers.clear()


def _leaks(fake: FakeSentry, *needles: str) -> list[str]:
    raw = b"".join(fake.raw).decode()
    return [n for n in needles if n in raw]


async def test_an_unhandled_api_error_arrives_tagged_and_scrubbed(
    tracked: Settings, fake_sentry: FakeSentry, aiohttp_client: Any
) -> None:
    app = create_app(tracked)

    async def failing(request: web.Request) -> web.Response:
        body = await request.text()
        raise RuntimeError(f"parser broke on {body} with {TOKEN_IN_TEXT} and {WEBHOOK_SECRET}")

    app.router.add_post("/failing", failing)
    client: TestClient[web.Request, web.Application] = await aiohttp_client(app)
    trace_id = f"{TRACE_ID:032x}"
    response = await client.post(
        "/failing?code=oauth-code-do-not-leak",
        data=REPO_TEXT,
        headers={
            "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01",
            "Authorization": f"Bearer {TOKEN_IN_TEXT}",
            "X-Hub-Signature-256": "sha256=" + "ab" * 32,
        },
    )
    assert response.status == 500
    request_id = response.headers["X-Request-ID"]
    sentry_sdk.flush(5)
    [event] = await fake_sentry.wait_for_events(1)

    assert event["tags"]["request_id"] == request_id
    assert event["tags"]["trace_id"] == trace_id
    assert event["contexts"]["trace"]["trace_id"] == trace_id
    assert event["release"] == "autodevops@9.9.9-test"
    assert event["environment"] == "test"
    assert event["logentry"]["message"] == "unhandled error"
    [exc] = event["exception"]["values"]
    assert exc["type"] == "RuntimeError"
    assert exc["stacktrace"]["frames"][-1]["function"] == "failing"
    assert all("vars" not in frame for frame in exc["stacktrace"]["frames"])
    headers = event["request"]["headers"]
    assert "Authorization" not in headers
    assert "X-Hub-Signature-256" not in headers
    assert (
        _leaks(fake_sentry, WEBHOOK_SECRET, TOKEN_IN_TEXT, "oauth-code-do-not-leak", "ab" * 32)
        == []
    )
    assert "[REDACTED]" in exc["value"]


async def test_a_failed_job_arrives_with_its_job_id(
    tracked: Settings,
    fake_sentry: FakeSentry,
    tenant: Tenant,
    db: asyncpg.Connection,
    tmp_path: Path,
) -> None:
    # A job whose attempts ran out because workers were killed mid-attempt: the reconciler
    # gave it back and this attempt fails it, an error worth reporting.
    settings = msgspec.structs.replace(tracked, job_max_tries=1)
    make_repo(tmp_path / "src", {"a.txt": "a\n"})
    deps = await Deps.create(settings)
    try:
        repo, _ = await repos_db.create_repository(
            db,
            tenant.organization_id,
            provider="local",
            full_name="local/src",
            clone_url=str(tmp_path / "src"),
            created_by=tenant.user_id,
        )
        # Submitted inside a request's trace: the job's log lines and its error carry it.
        request_span = trace.NonRecordingSpan(
            trace.SpanContext(TRACE_ID, 0x00F067AA0BA902B7, is_remote=True)
        )
        with trace.use_span(request_span):
            job, _ = await jobs.submit(
                deps.pool,
                deps.redis,
                tenant.organization_id,
                kind="sync",
                key=f"sync:{uuid.uuid4()}",
                trigger="api",
                repository_id=repo.id,
            )
        await jobs_db.start_attempt(db, tenant.organization_id, job.id)  # the killed attempt
        worker = build_worker(settings, deps, "sync", burst=True, poll_delay=0)
        try:
            await worker.main()
        finally:
            await stop_worker(worker)
    finally:
        await deps.close()
    failed = await jobs_db.get_job(db, tenant.organization_id, job.id)
    assert failed is not None
    assert failed.status == "failed"
    sentry_sdk.flush(5)
    [event] = await fake_sentry.wait_for_events(1)
    assert event["logentry"]["message"] == "job failed"
    assert event["tags"]["job_id"] == str(job.id)
    assert event["tags"]["queue"] == "sync"
    assert event["tags"]["trace_id"] == failed.trace_id == f"{TRACE_ID:032x}"
    assert event["extra"]["error_type"] == "attempts_exhausted"
    assert event["level"] == "error"


def test_scrubbing_reaches_every_string() -> None:
    settings = msgspec.convert(
        {
            "database_url": "postgresql://app:pg-pass-do-not-leak@db/x",
            "redis_url": "redis://localhost",
        },
        Settings,
    )
    scrubber = Scrubber(settings)
    event: dict[str, Any] = {
        "exception": {"values": [{"value": "connect to pg-pass-do-not-leak failed"}]},
        "breadcrumbs": {"values": [{"message": f"token {TOKEN_IN_TEXT}"}]},
        "extra": {"text": REPO_TEXT * 100},
    }
    cleaned = json.dumps(scrubber.event(event, {}), ensure_ascii=False)  # type: ignore[arg-type]
    assert "pg-pass-do-not-leak" not in cleaned
    assert TOKEN_IN_TEXT not in cleaned
    assert re.search(r"…\[truncated\]", cleaned)
    assert len(cleaned) < 2 * 1024 + 500
