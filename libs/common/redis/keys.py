"""Every Redis key and stream name the platform uses, in one place (DESIGN.md §4)."""

from __future__ import annotations

# arq keeps its own keys (arq:job:<id>, arq:in-progress:<id>, arq:retry:<id>); the
# queues are sorted sets of job ids scored by the time they become due.
QUEUE_PREFIX = "arq:queue:"
ARQ_JOB_PREFIX = "arq:job:"
ARQ_IN_PROGRESS_PREFIX = "arq:in-progress:"

WEBHOOKS_STREAM = "webhooks"
WEBHOOKS_GROUP = "ingest"
WEBHOOKS_DEAD_LETTER = "webhooks:dead"
SCHEDULE_STREAM = "schedule"
SCHEDULE_GROUP = "maintenance"

SCHEDULER_LEADER = "scheduler:leader"


def queue(name: str) -> str:
    return f"{QUEUE_PREFIX}{name}"


def health_check(queue_name: str) -> str:
    return f"{queue(queue_name)}:health-check"


# SCAN patterns for retention cleanup.
JOB_EVENTS_MATCH = "events:job:*"
ORG_EVENTS_MATCH = "events:org:*"
OAUTH_STATE_MATCH = "oauth:state:*"


def job_events(job_id: str) -> str:
    return f"events:job:{job_id}"


def org_events(organization_id: str) -> str:
    return f"events:org:{organization_id}"


def rate_limit(scope: str, subject: str) -> str:
    return f"ratelimit:{scope}:{subject}"


def webhook_dedup(hook_id: int, body_sha256: str) -> str:
    return f"webhook:seen:{hook_id}:{body_sha256}"


def oauth_state(state: str) -> str:
    return f"oauth:state:{state}"


def schedule_slot(task: str, slot: str) -> str:
    return f"schedule:emitted:{task}:{slot}"


def schedule_last(task: str) -> str:
    """The newest slot of `task` ever emitted, to tell a missed slot from a handled one."""
    return f"schedule:last:{task}"


def metrics_targets(service: str) -> str:
    """Sorted set of the `host:port` /metrics addresses of live `service` processes,
    scored by when each registration expires (the api lists them for Prometheus)."""
    return f"metrics:targets:{service}"


def github_wait(principal: str) -> str:
    """Until when GitHub asked `principal` (an installation, a user) to stop calling."""
    return f"github:wait:{principal}"


def event_stream_leases(credential_digest: str) -> str:
    """The open event streams of one API token or session (a sorted set of leases)."""
    return f"sse:streams:{credential_digest}"
