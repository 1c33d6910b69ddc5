"""One webhook is one trace: the api's request span, the ingest consumer's span (context
from the stream entry), each job's span (context from the job payload) and the fetch,
analysis, Gemini and database spans under them. Spans are captured in memory; the api,
the ingest consumer and real arq workers run in this process on real Redis and PostgreSQL.
Log lines written inside the delivery and the jobs carry the same trace id."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import msgspec
import pytest
from opentelemetry.context import Context
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind

from libs.common.config import SecretStr, Settings, load_settings
from libs.common.db import repos as repos_db
from libs.common.logging import configure_logging
from libs.common.telemetry import setup_tracing
from libs.github.signatures import sign
from services.api.app import create_app
from services.worker.deps import Deps
from services.worker.ingest.consumer import IngestConsumer
from tests.conftest import Tenant
from tests.fakes.gemini import FakeGemini
from tests.fakes.github import FakeGitHub
from tests.integration.api.conftest import ClientFactory
from tests.integration.worker.test_pipeline import drain

SECRET = "trace webhook secret"
PROJECT = {
    "README.md": "# shop\n",
    "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.12"\n',
    "tests/test_shop.py": "def test_ok():\n    assert True\n",
}


class Capture(SpanProcessor):
    """Keeps finished spans while the module runs; ignores them after (the provider stays
    installed for the rest of the process)."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []
        self.active = True

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if self.active:
            self.spans.append(span)

    def shutdown(self) -> None:
        self.active = False

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@pytest.fixture(scope="module")
def capture() -> Iterator[Capture]:
    processor = Capture()
    unused = load_settings({"DATABASE_URL": "postgresql://h/d", "REDIS_URL": "redis://h"})
    tracing = setup_tracing(unused, "autodevops-test", extra_processor=processor)
    assert tracing is not None, "tracing was already set up in this test process"
    yield processor
    tracing.shutdown()


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The services' logging configuration, into a buffer; the test's handlers come back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging(
        load_settings(
            {"DATABASE_URL": "postgresql://h/d", "REDIS_URL": "redis://h", "LOG_FORMAT": "json"}
        ),
        "test",
    )
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def trace_settings(
    settings: Settings, fake_github: FakeGitHub, fake_gemini: FakeGemini
) -> Settings:
    return msgspec.structs.replace(
        settings,
        github_webhook_secret=SecretStr(SECRET),
        github_api_url=fake_github.api_url,
        gemini_api_key=SecretStr("test-gemini-key"),
        gemini_base_url=fake_gemini.url,
    )


def push(repo_id: int, sha: str) -> bytes:
    payload = {
        "ref": "refs/heads/main",
        "after": sha,
        "repository": {"id": repo_id, "full_name": "acme/shop", "default_branch": "main"},
    }
    return json.dumps(payload).encode()


async def test_a_webhook_is_one_trace_from_the_api_through_every_job(
    capture: Capture,
    json_logs: io.StringIO,
    aiohttp_client: ClientFactory,
    trace_settings: Settings,
    fake_github: FakeGitHub,
    db: asyncpg.Connection,
    tenant: Tenant,
) -> None:
    fake = fake_github.add_repo("acme/shop", PROJECT)
    await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="github",
        full_name="acme/shop",
        clone_url="https://github.com/acme/shop.git",
        created_by=tenant.user_id,
    )
    capture.spans.clear()
    client = await aiohttp_client(create_app(trace_settings))
    # The sender plays GitHub, which sends no trace context: its session is not traced.
    AioHttpClientInstrumentor.uninstrument_session(client.session)
    body = push(fake.id, fake.branches["main"])
    answered = await client.post(
        "/webhooks/github",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "3",
            "X-Hub-Signature-256": sign(SECRET, body),
        },
    )
    assert answered.status == 202

    deps = await Deps.create(trace_settings)
    try:
        consumer = IngestConsumer(deps, "trace-test", block_ms=10)
        await consumer.ensure_group()
        assert await consumer.step() == 1
        await drain(deps)
    finally:
        await deps.close()
    statuses = await db.fetch("SELECT kind, status FROM jobs ORDER BY kind")
    assert [(r["kind"], r["status"]) for r in statuses] == [
        ("analysis", "succeeded"),
        ("ci_generation", "succeeded"),
    ]  # one push, one analysis: the payload carries what a sync would have fetched

    tree = Tree(capture.spans)
    request = tree.one("POST /webhooks/github")
    assert request.kind == SpanKind.SERVER
    assert request.parent is None
    trace_id = request.context.trace_id

    ingest = tree.child_of(request, "webhook push")
    submit_analysis = tree.child_of(ingest, "submit analysis")
    assert not tree.named("submit sync")
    job_analysis = tree.child_of(submit_analysis, "job analysis")
    for name in ("fetch", "analyze", "gemini generateContent", "submit ci_generation"):
        tree.child_of(job_analysis, name)
    job_ci = tree.child_of(tree.one("submit ci_generation"), "job ci_generation")
    tree.child_of(job_ci, "fetch")
    tree.child_of(job_ci, "generate ci")

    # Library spans from the maintained instrumentations, in the same trace.
    assert tree.under(request, lambda s: s.attributes.get("db.system") == "redis")
    assert tree.under(
        job_analysis,
        lambda s: (
            s.attributes.get("db.system") == "postgresql"
            and "INSERT INTO analyses" in str(s.attributes.get("db.statement", ""))
        ),
    ), "no database write span under the analysis job"
    assert tree.under(tree.one("fetch", under=job_analysis), lambda s: s.kind == SpanKind.CLIENT)
    # Nothing else was recorded: arq's polling and the consumer's reads start no trace.
    assert {s.context.trace_id for s in capture.spans} == {trace_id}

    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    hex_id = format(trace_id, "032x")
    recorded = [e for e in lines if e["event"] == "webhook delivery recorded"]
    assert [e["trace_id"] for e in recorded] == [hex_id]
    finished = {e["queue"]: e for e in lines if e["event"] == "job succeeded"}
    assert set(finished) == {"analysis", "ci_generation"}
    assert {e["trace_id"] for e in finished.values()} == {hex_id}
    assert finished["analysis"]["span_id"] == format(job_analysis.context.span_id, "016x")


class Tree:
    def __init__(self, spans: list[ReadableSpan]) -> None:
        self.spans = spans

    def named(self, name: str) -> list[ReadableSpan]:
        return [s for s in self.spans if s.name == name]

    def one(self, name: str, under: ReadableSpan | None = None) -> ReadableSpan:
        found = self.named(name)
        if under is not None:
            found = [s for s in found if s.parent and s.parent.span_id == under.context.span_id]
        assert len(found) == 1, (name, [s.name for s in self.spans])
        return found[0]

    def child_of(self, parent: ReadableSpan, name: str) -> ReadableSpan:
        children = [
            s
            for s in self.named(name)
            if s.parent is not None and s.parent.span_id == parent.context.span_id
        ]
        assert len(children) == 1, f"{name} under {parent.name}: {self._names()}"
        return children[0]

    def under(self, root: ReadableSpan, test: Any) -> list[ReadableSpan]:
        """Descendants of `root` for which `test(span)` holds."""
        by_parent: dict[int, list[ReadableSpan]] = {}
        for span in self.spans:
            if span.parent is not None:
                by_parent.setdefault(span.parent.span_id, []).append(span)
        found, todo = [], [root]
        while todo:
            for child in by_parent.get(todo.pop().context.span_id, []):
                todo.append(child)
                if test(child):
                    found.append(child)
        return found

    def _names(self) -> list[tuple[str, str | None]]:
        names = {s.context.span_id: s.name for s in self.spans}
        return [(s.name, names.get(s.parent.span_id) if s.parent else None) for s in self.spans]
