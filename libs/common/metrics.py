"""Prometheus metrics: one registry per service process, every metric named once here.

Each metric belongs to the services that update it (`roles`); a process registers only
its own, so the api never exports an always-zero backup gauge and `max()` over a metric
means what it says. Label values that are known in advance are created at zero on start,
so rates and ratios have series before the first event (and alerts can fire on them).

The full catalogue, with what each metric means, is docs/metrics.md; a test holds the
two together and checks the naming rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata
from typing import Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

from libs.common.config import Settings
from libs.common.pricing import Price, parse_prices
from libs.common.schemas import KINDS, Usage

# `_created` series double every counter for a timestamp nobody graphs.
disable_created_metrics()  # type: ignore[no-untyped-call]

PREFIX = "autodevops"
Role = Literal["api", "worker", "scheduler"]
ROLES: tuple[Role, ...] = ("api", "worker", "scheduler")
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
# Jobs run from under a second to several minutes; the default buckets stop at 10 s.
JOB_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
# A Gemini call takes from a fraction of a second to the full GEMINI_TIMEOUT_SECONDS.
AI_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)

JOB_OUTCOMES = ("succeeded", "failed", "retried", "cancelled")
WEBHOOK_OUTCOMES = (
    "accepted",
    "duplicate",
    "bad_signature",
    "too_large",
    "rate_limited",
    "unavailable",
    "rejected",
)
INGEST_OUTCOMES = ("processed", "ignored", "failed", "error", "dead")
AI_CALL_OUTCOMES = ("ok", "rate_limited", "server_error", "timeout", "unreachable", "rejected")
AI_STEP_STATUSES = ("ok", "off", "cached", "quota_exceeded", "failed", "skipped")
TOKEN_KINDS = ("prompt", "output", "thinking")
RATE_LIMIT_POLICIES = ("default", "auth", "expensive")
SSE_STREAMS = ("job", "organization")
DEPENDENCIES = ("postgres", "redis")
MAINTENANCE_TASKS = ("backup", "cleanup")


def _version() -> str:
    try:
        return metadata.version("autodevops")
    except metadata.PackageNotFoundError:
        return "unknown"


class Metrics:
    """All metrics of the platform; each service updates (and exports) the ones it owns."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        roles: Iterable[Role] = ROLES,
        prices: dict[str, Price] | None = None,
    ) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.roles = frozenset(roles)
        self.prices = prices or {}
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        p = PREFIX
        self.build_info = Gauge(
            f"{p}_build_info", "Always 1; the running version.", ["version"], registry=self.registry
        )
        self.build_info.labels(_version()).set(1)
        self._api(p, self._on("api"))
        self._scrape_time(p, self._on("api", "worker"))
        self._worker(p, self._on("worker"))
        self._ai(p, self._on("worker"))
        self._operations(p, self._on("worker"))
        self._scheduler(p, self._on("scheduler"))
        self.ai_quota_rejections = Counter(
            f"{p}_ai_quota_rejections",
            "AI steps skipped because a user's daily AI quota was spent (the analysis runs "
            "without AI), by where.",
            ["source"],
            registry=self._on("worker"),
        )
        self._zero()

    @classmethod
    def for_service(cls, settings: Settings, role: Role) -> Metrics:
        """The metrics one service process exports, set up from its settings."""
        metrics = cls(roles=(role,), prices=parse_prices(settings.ai_prices))
        metrics.zero_model(settings.gemini_model)
        metrics.ai_daily_budget.set(settings.ai_daily_budget_tokens)
        return metrics

    def _on(self, *roles: Role) -> CollectorRegistry | None:
        # An unregistered metric still counts; it is just not exported by this process.
        return self.registry if self.roles.intersection(roles) else None

    def _api(self, p: str, r: CollectorRegistry | None) -> None:
        self.http_requests = Counter(
            f"{p}_http_requests",
            "HTTP requests answered, by route template and status class.",
            ["method", "route", "status_class"],
            registry=r,
        )
        self.http_duration = Histogram(
            f"{p}_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template (event streams excluded).",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.http_in_flight = Gauge(
            f"{p}_http_requests_in_flight", "HTTP requests being served.", registry=r
        )
        self.webhook_deliveries = Counter(
            f"{p}_webhook_deliveries",
            "Webhook deliveries answered by the api, by event and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            f"{p}_rate_limited_requests",
            "Requests refused with 429, by rate-limit policy.",
            ["policy"],
            registry=r,
        )
        self.sse_connections = Gauge(
            f"{p}_sse_connections",
            "Server-sent event streams open, by stream kind.",
            ["stream"],
            registry=r,
        )

    def _scrape_time(self, p: str, r: CollectorRegistry | None) -> None:
        """Gauges read from Redis and PostgreSQL when Prometheus scrapes (libs.common.scrape)."""
        # Backups are read from the backups table, so one taken by anyone (the nightly run,
        # `autodevops backup` by hand) shows at the next scrape of every api and worker.
        self.backup_last_success = Gauge(
            f"{p}_backup_last_success_timestamp_seconds",
            "When the newest successful backup finished (0: none yet; read at scrape time).",
            registry=r,
        )
        self.backup_verified = Gauge(
            f"{p}_backup_verified",
            "1 when the newest successful backup restored and matched, else 0.",
            registry=r,
        )
        self.backup_size = Gauge(
            f"{p}_backup_size_bytes", "Size of the newest successful backup.", registry=r
        )
        self.database_created = Gauge(
            f"{p}_database_created_timestamp_seconds",
            "When the platform's database was first migrated: backups are due from then.",
            registry=r,
        )
        self.dependency_up = Gauge(
            f"{p}_dependency_up",
            "1 when the dependency answered the last check (at scrape time and on /ready).",
            ["dependency"],
            registry=r,
        )
        self.queue_depth = Gauge(
            f"{p}_queue_depth",
            "Jobs waiting in each queue, deferred retries included (read at scrape time).",
            ["queue"],
            registry=r,
        )
        self.queue_oldest_age = Gauge(
            f"{p}_queue_oldest_job_age_seconds",
            "How long the oldest due job of each queue has waited (read at scrape time).",
            ["queue"],
            registry=r,
        )
        self.webhook_stream_entries = Gauge(
            f"{p}_webhook_stream_entries",
            "Webhook deliveries stored but not yet processed (read at scrape time).",
            registry=r,
        )
        self.webhook_dead_letters = Gauge(
            f"{p}_webhook_dead_letter_entries",
            "Webhook deliveries in the dead-letter stream (read at scrape time).",
            registry=r,
        )
        self.ai_tokens_today = Gauge(
            f"{p}_ai_tokens_today",
            "AI tokens spent by the whole platform since 00:00 UTC (read at scrape time).",
            registry=r,
        )
        self.ai_daily_budget = Gauge(
            f"{p}_ai_daily_budget_tokens",
            "AI_DAILY_BUDGET_TOKENS: the platform's daily token budget (0: none).",
            registry=r,
        )

    def _worker(self, p: str, r: CollectorRegistry | None) -> None:
        self.jobs = Counter(
            f"{p}_jobs",
            "Job attempts finished, by queue and outcome.",
            ["queue", "outcome"],
            registry=r,
        )
        self.jobs_in_progress = Gauge(
            f"{p}_jobs_in_progress", "Jobs running now, by queue.", ["queue"], registry=r
        )
        self.job_duration = Histogram(
            f"{p}_job_duration_seconds",
            "Time one job attempt ran, by queue.",
            ["queue"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_wait = Histogram(
            f"{p}_job_wait_seconds",
            "Time from enqueue to the first attempt's start, by queue.",
            ["queue"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_retries = Counter(
            f"{p}_job_retries",
            "Job attempts that failed and will be retried, by queue.",
            ["queue"],
            registry=r,
        )
        self.webhook_ingested = Counter(
            f"{p}_webhook_ingested",
            "Webhook deliveries processed by the ingest consumer, by event and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.score_regressions = Counter(
            f"{p}_score_regressions",
            "Analyses that broke their repository's regression rule, by reason.",
            ["reason"],
            registry=r,
        )
        self.github_check_runs = Counter(
            f"{p}_github_check_runs",
            "Check runs the GitHub App published, by outcome (posted, rate_limited, ...).",
            ["outcome"],
            registry=r,
        )

    def _ai(self, p: str, r: CollectorRegistry | None) -> None:
        self.ai_calls = Counter(
            f"{p}_ai_calls",
            "Gemini generateContent calls, by model and outcome (ok, rate_limited, ...).",
            ["model", "outcome"],
            registry=r,
        )
        self.ai_tokens = Counter(
            f"{p}_ai_tokens",
            "Gemini tokens spent, by model and kind (prompt, output, thinking).",
            ["model", "kind"],
            registry=r,
        )
        self.ai_cost = Counter(
            f"{p}_ai_estimated_cost_dollars",
            "Estimated Gemini cost in US dollars from the AI_PRICES table, by model.",
            ["model"],
            registry=r,
        )
        self.ai_call_duration = Histogram(
            f"{p}_ai_call_duration_seconds",
            "Gemini generateContent latency, by model.",
            ["model"],
            buckets=AI_BUCKETS,
            registry=r,
        )
        self.ai_steps = Counter(
            f"{p}_ai_steps",
            "AI steps of analyses, by status (ok, off, cached, quota_exceeded, failed, skipped).",
            ["status"],
            registry=r,
        )
        self.ai_dropped_recommendations = Counter(
            f"{p}_ai_dropped_recommendations",
            "AI recommendations dropped because they cited paths absent from the tree.",
            registry=r,
        )

    def _operations(self, p: str, r: CollectorRegistry | None) -> None:
        self.maintenance_runs = Counter(
            f"{p}_maintenance_runs",
            "Maintenance runs finished by the worker, by task and outcome.",
            ["task", "outcome"],
            registry=r,
        )
        self.backup_duration = Histogram(
            f"{p}_backup_duration_seconds",
            "Time to dump (and verify) a backup.",
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.cleanup_removed = Counter(
            f"{p}_cleanup_removed",
            "Items removed by retention cleanup, by kind of data.",
            ["kind"],
            registry=r,
        )

    def _scheduler(self, p: str, r: CollectorRegistry | None) -> None:
        self.scheduler_leader = Gauge(
            f"{p}_scheduler_leader", "1 while this scheduler holds the leader lock.", registry=r
        )
        self.scheduler_ticks = Counter(
            f"{p}_scheduler_ticks", "Scheduler loop iterations run as leader.", registry=r
        )
        self.schedule_events = Counter(
            f"{p}_schedule_events",
            "Schedule slots emitted to the `schedule` stream, by task.",
            ["task"],
            registry=r,
        )
        self.schedule_last_slot = Gauge(
            f"{p}_schedule_last_slot_timestamp_seconds",
            "The latest slot of each task this scheduler has dealt with.",
            ["task"],
            registry=r,
        )
        self.schedule_slots_missed = Counter(
            f"{p}_schedule_slots_missed",
            "Slots found older than the catch-up window on start, and not run.",
            ["task"],
            registry=r,
        )

    def _zero(self) -> None:
        """Create the series whose label values are known, at zero."""
        for queue in KINDS:
            self.job_retries.labels(queue)
            self.jobs_in_progress.labels(queue)
            self.job_duration.labels(queue)
            self.job_wait.labels(queue)
            for outcome in JOB_OUTCOMES:
                self.jobs.labels(queue, outcome)
        for outcome in WEBHOOK_OUTCOMES:
            self.webhook_deliveries.labels("push", outcome)
        for outcome in INGEST_OUTCOMES:
            self.webhook_ingested.labels("push", outcome)
        for policy in RATE_LIMIT_POLICIES:
            self.rate_limited.labels(policy)
        for stream in SSE_STREAMS:
            self.sse_connections.labels(stream)
        for status in AI_STEP_STATUSES:
            self.ai_steps.labels(status)
        self.ai_quota_rejections.labels("worker")
        for task in MAINTENANCE_TASKS:
            self.schedule_events.labels(task)
            self.schedule_slots_missed.labels(task)
            for outcome in ("succeeded", "failed"):
                self.maintenance_runs.labels(task, outcome)

    def zero_model(self, model: str) -> None:
        """Create the AI series of the configured model at zero."""
        for outcome in AI_CALL_OUTCOMES:
            self.ai_calls.labels(model, outcome)
        for kind in TOKEN_KINDS:
            self.ai_tokens.labels(model, kind)
        self.ai_cost.labels(model)
        self.ai_call_duration.labels(model)

    def record_ai_call(self, model: str, outcome: str, usage: Usage, seconds: float) -> None:
        """One Gemini call: its outcome, latency, tokens and estimated cost."""
        self.ai_calls.labels(model, outcome).inc()
        self.ai_call_duration.labels(model).observe(seconds)
        self.ai_tokens.labels(model, "prompt").inc(usage.prompt)
        self.ai_tokens.labels(model, "output").inc(usage.output)
        self.ai_tokens.labels(model, "thinking").inc(usage.thinking)
        price = self.prices.get(model)
        if price is not None:
            self.ai_cost.labels(model).inc(price.cost(usage.prompt, usage.output, usage.thinking))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def status_class(status: int) -> str:
    return f"{status // 100}xx"
