"""OpenTelemetry setup and the trace context that travels in job payloads and stream entries.

One trace follows a piece of work across services: the api's request span (from the
aiohttp-server instrumentation), the context it writes into the `webhooks` stream entry
or the job payload, the ingest consumer's and the job's spans in the worker, and their
fetch, analysis, Gemini and database spans. Every process keeps an SDK tracer provider,
so log lines and job rows carry trace ids even when nothing is exported.
"""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from libs.common.config import Settings

# Probes and scrapes every few seconds would bury the traces worth reading.
EXCLUDED_URLS = "^/health$,^/ready$,^/metrics"
_tracer = trace.get_tracer("autodevops.api")


class NoOrphanClientCalls(Sampler):
    """Sample `ratio` of the root spans, but never one that is an outbound call (Redis,
    PostgreSQL, HTTP) made outside any request or job: arq's queue polling and the
    consumers' blocking reads would otherwise each start a trace, many times a second."""

    def __init__(self, ratio: float = 1.0) -> None:
        self.roots: Sampler = ALWAYS_ON if ratio >= 1.0 else TraceIdRatioBased(ratio)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self.roots.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"NoOrphanClientCalls({self.roots.get_description()})"


@dataclass
class Tracing:
    """What setup_tracing installed; `shutdown` flushes the exporter and uninstruments."""

    provider: TracerProvider
    instrumentors: list[BaseInstrumentor] = field(default_factory=list)

    def shutdown(self) -> None:
        global _active, _exporting
        for instrumentor in self.instrumentors:
            instrumentor.uninstrument()
        self.provider.shutdown()
        _active = None
        _exporting = False


_active: Tracing | None = None
_exporting = False


def setup_tracing(
    settings: Settings, service: str, extra_processor: SpanProcessor | None = None
) -> Tracing | None:
    """Install the tracer provider and instrumentation, once per process (None after that).

    Spans are exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and handed
    to `extra_processor` (tests capture them in memory); then the maintained aiohttp
    (server and client), asyncpg and Redis instrumentations are installed. Without either,
    nothing is instrumented or sampled: our own spans only give log lines and jobs their
    trace ids.
    """
    global _active, _exporting
    if _active is not None:
        return None
    exporting = bool(settings.otel_exporter_otlp_endpoint) or extra_processor is not None
    _exporting = exporting
    # Not exporting, no span is sampled: a non-recording span still has its ids (for the
    # logs and the context handed on) at a fraction of a recorded span's cost.
    sampler = (
        ParentBased(root=NoOrphanClientCalls(settings.trace_sample_ratio))
        if exporting
        else ALWAYS_OFF
    )
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name or service}),
        sampler=sampler,
    )
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    _active = Tracing(provider, _instrument(exporting))
    return _active


def _instrument(exporting: bool) -> list[BaseInstrumentor]:
    if not exporting:
        return []  # the api's own request span (ServerSpan) gives the ids
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.aiohttp_server import AioHttpServerInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # Read by the instrumentation when it is installed; an operator's value wins.
    os.environ.setdefault("OTEL_PYTHON_AIOHTTP_SERVER_EXCLUDED_URLS", EXCLUDED_URLS)
    done: list[BaseInstrumentor] = [
        AioHttpServerInstrumentor(),
        AioHttpClientInstrumentor(),
        AsyncPGInstrumentor(),  # type: ignore[no-untyped-call]
        RedisInstrumentor(),
    ]
    with warnings.catch_warnings():
        # The aiohttp-server instrumentation installs its middleware by subclassing
        # web.Application, which aiohttp discourages with a DeprecationWarning.
        warnings.filterwarnings("ignore", "Inheritance class", DeprecationWarning)
        for instrumentor in done:
            instrumentor.instrument()
    return done


class RequestTrace:
    """The trace a request runs in when nothing is exported, its ids made on first use.

    Most requests never log or submit anything, so the ids (and the caller's traceparent,
    if it sent one) are only worked out when a log line or a payload asks for them.
    """

    __slots__ = ("_headers", "_span_context")

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers
        self._span_context: SpanContext | None = None

    @property
    def span_context(self) -> SpanContext:
        if self._span_context is None:
            parent = trace.INVALID_SPAN_CONTEXT
            if "traceparent" in self._headers:
                extracted = propagate.extract(self._headers)
                parent = trace.get_current_span(extracted).get_span_context()
            self._span_context = _child_ids(parent)
        return self._span_context


# The request being served, when its trace is a RequestTrace. A ContextVar of our own, not
# an attached OpenTelemetry context: attaching one per request cost the webhook intake
# ~10 us of CPU a delivery (bench.webhooks), ten times what the ids cost.
_request_trace: ContextVar[RequestTrace | None] = ContextVar("request_trace", default=None)


class ServerSpan:
    """The span a request runs in when the aiohttp-server instrumentation made none.

    Exporting, that is a real server span; otherwise a RequestTrace: non-recording,
    continuing the caller's trace id if it sent one, so the request's log lines and the
    jobs it submits carry ids.

    A plain class, not `start_as_current_span`: that generator-based context manager,
    held across the request's awaits, tripled the webhook intake's p99 (bench.webhooks).
    """

    __slots__ = ("_headers", "_name", "_span", "_token")

    def __init__(self, name: str, headers: Mapping[str, str]) -> None:
        self._name, self._headers = name, headers
        self._span: trace.Span | None = None
        self._token: Token[Any] | None = None

    def __enter__(self) -> None:
        if not _exporting:
            self._token = _request_trace.set(RequestTrace(self._headers))
            return
        if trace.get_current_span().get_span_context().is_valid:
            return  # the instrumentation's span
        context = propagate.extract(self._headers)
        self._span = _tracer.start_span(self._name, context=context, kind=SpanKind.SERVER)
        self._token = otel_context.attach(trace.set_span_in_context(self._span, context))

    def __exit__(self, *exc: object) -> None:
        if self._span is not None:
            self._span.end()
            otel_context.detach(self._token)  # type: ignore[arg-type]
        elif self._token is not None:
            _request_trace.reset(self._token)


_DEFAULT_FLAGS = TraceFlags(TraceFlags.DEFAULT)


def _child_ids(parent: SpanContext) -> SpanContext:
    """A span id of our own in `parent`'s trace, or in a new trace when it has none."""
    trace_id = parent.trace_id if parent.is_valid else random.getrandbits(128)
    flags = parent.trace_flags if parent.is_valid else _DEFAULT_FLAGS
    state = parent.trace_state if parent.is_valid else None
    return SpanContext(
        trace_id, random.getrandbits(64), is_remote=False, trace_flags=flags, trace_state=state
    )


def current_span_context() -> SpanContext:
    """The current span's context: an OpenTelemetry span's, else the request's trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        request = _request_trace.get()
        if request is not None:
            return request.span_context
    return context


def current_context() -> otel_context.Context:
    """The context to start a span in, so it joins the request's trace when that is a
    RequestTrace (which lives outside OpenTelemetry's context)."""
    request = _request_trace.get()
    if request is None or trace.get_current_span().get_span_context().is_valid:
        return otel_context.get_current()
    return trace.set_span_in_context(trace.NonRecordingSpan(request.span_context))


def current_carrier() -> dict[str, str]:
    """The current trace context as W3C headers, to put in a job payload or stream entry.

    Written directly rather than through the propagators (which also handle baggage, unused
    here): this runs for every webhook delivery, and the generic path cost ~25 us.
    """
    span_context = current_span_context()
    if not span_context.is_valid:
        return {}
    carrier = {
        "traceparent": f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
        f"-{span_context.trace_flags:02x}"
    }
    if span_context.trace_state:
        carrier["tracestate"] = span_context.trace_state.to_header()
    return carrier


def context_from(carrier: Mapping[str, str] | None) -> otel_context.Context:
    return propagate.extract(dict(carrier or {}))


def current_trace_id() -> str | None:
    context = current_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
