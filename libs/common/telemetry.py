"""OpenTelemetry setup and the trace context that travels in job payloads and stream entries."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from libs.common.config import Settings

_configured = False


def setup_tracing(
    settings: Settings, service: str, extra_processor: SpanProcessor | None = None
) -> TracerProvider | None:
    """Install a tracer provider; export over OTLP only when an endpoint is configured.

    Without an endpoint (and without `extra_processor`, which tests use to capture spans in
    memory) the no-op provider stays in place, so tracing costs nothing.
    """
    global _configured
    if _configured:
        return None
    if not settings.otel_exporter_otlp_endpoint and extra_processor is None:
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name or service})
    )
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _configured = True
    return provider


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    AioHttpClientInstrumentor().instrument()
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument()


def current_carrier() -> dict[str, str]:
    """The current trace context as W3C headers, to put in a job payload or stream entry."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(carrier: Mapping[str, str] | None) -> object:
    return propagate.extract(dict(carrier or {}))


def current_trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
