"""Prometheus metrics: one registry per service process, every metric named once here.

The full catalogue, with what each metric means, is docs/metrics.md.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

PREFIX = "autodevops"
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)
# Jobs run from under a second to several minutes; the default buckets stop at 10 s.
JOB_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
# A Gemini call takes from a fraction of a second to the full GEMINI_TIMEOUT_SECONDS.
AI_BUCKETS = (0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
QUEUES = ("analysis", "sync", "ci_generation")


class Metrics:
    """All metrics of the platform on one registry; each service updates the ones it owns."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        r = self.registry
        p = PREFIX

        self.http_requests = Counter(
            f"{p}_http_requests",
            "HTTP requests answered, by route template and status class.",
            ["method", "route", "status_class"],
            registry=r,
        )
        self.http_duration = Histogram(
            f"{p}_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.http_in_flight = Gauge(
            f"{p}_http_requests_in_flight", "HTTP requests being served.", registry=r
        )
        self.jobs = Counter(
            f"{p}_jobs", "Jobs finished, by queue and outcome.", ["queue", "outcome"], registry=r
        )
        self.job_duration = Histogram(
            f"{p}_job_duration_seconds",
            "Time a job ran, by queue.",
            ["queue"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_wait = Histogram(
            f"{p}_job_wait_seconds",
            "Time from enqueue to start, by queue.",
            ["queue"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_retries = Counter(
            f"{p}_job_retries",
            "Job attempts that will be retried, by queue.",
            ["queue"],
            registry=r,
        )
        self.queue_depth = Gauge(
            f"{p}_queue_depth",
            "Jobs waiting in each queue (read from Redis at scrape time).",
            ["queue"],
            registry=r,
        )
        self.queue_oldest_age = Gauge(
            f"{p}_queue_oldest_job_age_seconds",
            "Age of the oldest job waiting in each queue (read at scrape time).",
            ["queue"],
            registry=r,
        )
        self.dependency_up = Gauge(
            f"{p}_dependency_up",
            "1 when the dependency answered the last check.",
            ["dependency"],
            registry=r,
        )
        self.webhook_deliveries = Counter(
            f"{p}_webhook_deliveries",
            "Webhook deliveries answered by the api, by event and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.webhook_ingested = Counter(
            f"{p}_webhook_ingested",
            "Webhook deliveries processed by the ingest consumer, by event and outcome.",
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
        self.scheduler_leader = Gauge(
            f"{p}_scheduler_leader", "1 while this scheduler holds the leader lock.", registry=r
        )
        self.ai_calls = Counter(
            f"{p}_ai_calls",
            "Gemini generateContent calls, by model and outcome (ok, rate_limited, ...).",
            ["model", "outcome"],
            registry=r,
        )
        self.ai_tokens = Counter(
            f"{p}_ai_tokens",
            "Gemini tokens spent, by model and kind (prompt, output, thinking, total).",
            ["model", "kind"],
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
            "AI steps of analyses, by status (ok, off, quota_exceeded, failed, skipped).",
            ["status"],
            registry=r,
        )
        self.ai_dropped_recommendations = Counter(
            f"{p}_ai_dropped_recommendations",
            "AI recommendations dropped because they cited paths absent from the tree.",
            registry=r,
        )
        self.scheduler_ticks = Counter(
            f"{p}_scheduler_ticks", "Scheduler loop iterations.", registry=r
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
        self.maintenance_runs = Counter(
            f"{p}_maintenance_runs",
            "Maintenance runs finished by the worker, by task and outcome.",
            ["task", "outcome"],
            registry=r,
        )
        self.backup_last_success = Gauge(
            f"{p}_backup_last_success_timestamp_seconds",
            "When the newest successful backup finished (0: none yet).",
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

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def status_class(status: int) -> str:
    return f"{status // 100}xx"
