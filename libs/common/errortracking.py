"""Error tracking with Sentry: on when SENTRY_DSN is set, in the api, workers and scheduler.

What reaches Sentry: errors logged at ERROR (an api request's unhandled error, a job that
failed for a reason other than its input, a dead-lettered delivery) and exceptions nobody
caught, each tagged with the service, the request or job id and the OpenTelemetry trace id
the log lines carry, and with the release and environment.

What never does: secrets and tokens (every string passes the log redactor, which knows
this process's secret values and the token shapes we issue or hold), request bodies
(webhook payloads), cookies, query strings and all but a few request headers, local
variables of stack frames (where file contents and credentials live), and breadcrumbs of
Redis or SQL commands (their integrations stay off). Strings are cut at MAX_STRING so no
repository file travels whole inside an exception message.
"""

from __future__ import annotations

import logging
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Any

import structlog

from libs.common.config import Settings
from libs.common.logging import SecretRedactor
from libs.common.telemetry import current_span_context

if TYPE_CHECKING:  # the SDK itself is imported only when a DSN is set
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

MAX_STRING = 1024
# Request headers worth seeing on an error; every other one is dropped.
SAFE_HEADERS = frozenset(
    {
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "x-github-delivery",
        "x-github-event",
        "x-github-hook-id",
        "x-request-id",
    }
)
# Context bound to log lines that also tells which request or job an error belongs to.
TAGGED_CONTEXT = ("service", "request_id", "job_id", "queue", "delivery", "task")


def release_name() -> str:
    try:
        return f"autodevops@{metadata.version('autodevops')}"
    except metadata.PackageNotFoundError:
        return "autodevops@unknown"


def init_error_tracking(settings: Settings, service: str) -> bool:
    """Start the Sentry SDK when SENTRY_DSN is set; whether it was started."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.aiohttp import AioHttpIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    scrubber = Scrubber(settings)
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get(),
        release=settings.sentry_release or release_name(),
        environment=settings.sentry_environment or settings.environment,
        server_name=service,
        # What integrations collect: no identities, cookies, bodies, query strings or
        # stack-frame variables; only the request headers of SAFE_HEADERS.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(SAFE_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        include_local_variables=False,
        max_request_body_size="never",
        # Only the integrations named here: redis and asyncpg would record commands
        # (webhook bodies, SQL parameters) as breadcrumbs.
        auto_enabling_integrations=False,
        integrations=[
            AioHttpIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        before_send=scrubber.event,
        before_breadcrumb=scrubber.breadcrumb,
        # Traces are OpenTelemetry's job; Sentry only takes the trace id of each error.
        traces_sample_rate=None,
    )
    sentry_sdk.set_tag("service", service)
    return True


class Scrubber:
    """Sentry's before_send/before_breadcrumb: tags from the log context, then the
    scrubbing described in the module docstring."""

    def __init__(self, settings: Settings) -> None:
        self._redactor = SecretRedactor(settings.secret_values())

    def event(self, sentry_event: Event, hint: Hint) -> Event:
        event: dict[str, Any] = dict(sentry_event)
        _tag(event)
        record = hint.get("log_record")
        if isinstance(record, logging.LogRecord) and isinstance(record.msg, dict):
            _from_structlog(event, record.msg)
        request = event.get("request")
        if isinstance(request, dict):
            for key in ("data", "cookies", "query_string", "env"):
                request.pop(key, None)
            url = request.get("url")
            if isinstance(url, str):
                request["url"] = url.split("?", 1)[0]
            headers = request.get("headers")
            if isinstance(headers, dict):
                request["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
        cleaned: Event = self._clean(event)
        return cleaned

    def breadcrumb(self, sentry_crumb: Breadcrumb, hint: BreadcrumbHint) -> Breadcrumb:
        crumb: dict[str, Any] = dict(sentry_crumb)
        crumb.pop("data", None)  # structured fields of log lines: the event name is enough
        record = hint.get("log_record")
        if isinstance(record, logging.LogRecord) and isinstance(record.msg, dict):
            crumb["message"] = str(record.msg.get("event", ""))
        cleaned: Breadcrumb = self._clean(crumb)
        return cleaned

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            text = self._redactor.redact(value)
            return text if len(text) <= MAX_STRING else text[:MAX_STRING] + "…[truncated]"
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value


def _from_structlog(event: dict[str, Any], fields: dict[str, Any]) -> None:
    """A structlog line reaches the stdlib as a dict, its exception inside it: make the
    event read like the log line, with the exception's stack trace."""
    event["logentry"] = {"message": str(fields.get("event", "")), "params": []}
    event["extra"] = {
        k: v if isinstance(v, int | float | bool) or v is None else str(v)
        for k, v in fields.items()
        if k not in ("event", "exc_info", "level", "timestamp") and not k.startswith("_")
    }
    exc_info = fields.get("exc_info")
    error: BaseException | None = None
    if isinstance(exc_info, BaseException):
        error = exc_info
    elif exc_info is True:
        error = sys.exc_info()[1]  # before_send runs inside the logging call
    if error is not None:
        import sentry_sdk
        from sentry_sdk.utils import event_from_exception

        built, _ = event_from_exception(error, client_options=sentry_sdk.get_client().options)
        event["exception"] = built["exception"]


def _tag(event: dict[str, Any]) -> None:
    """The request or job id and the trace id of the code that reported the error (the
    SDK calls before_send in that code's context)."""
    tags = event.setdefault("tags", {})
    bound = structlog.contextvars.get_contextvars()
    for name in TAGGED_CONTEXT:
        if bound.get(name) is not None:
            tags.setdefault(name, str(bound[name]))
    span = current_span_context()
    if span.is_valid:
        trace_id = format(span.trace_id, "032x")
        tags["trace_id"] = trace_id
        contexts = event.setdefault("contexts", {})
        trace = contexts.setdefault("trace", {})
        # One id everywhere: Sentry's trace view, the log lines and the OTLP traces.
        trace["trace_id"] = trace_id
        trace["span_id"] = format(span.span_id, "016x")
