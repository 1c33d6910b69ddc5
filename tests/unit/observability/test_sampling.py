"""Which spans are exported: requests and jobs, not Redis or PostgreSQL calls made outside
them (arq's polling), and `TRACE_SAMPLE_RATIO` of new traces."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace import SpanKind

from libs.common.telemetry import NoOrphanClientCalls


def test_a_client_call_outside_any_span_starts_no_trace_but_one_inside_does_record() -> None:
    tracer = TracerProvider(sampler=ParentBased(root=NoOrphanClientCalls())).get_tracer("t")
    with tracer.start_as_current_span("ZRANGEBYSCORE", kind=SpanKind.CLIENT) as polling:
        assert not polling.is_recording()
    with tracer.start_as_current_span("POST /webhooks/github", kind=SpanKind.SERVER) as request:
        assert request.is_recording()
        with tracer.start_as_current_span("XADD", kind=SpanKind.CLIENT) as call:
            assert call.is_recording()
            assert call.get_span_context().trace_id == request.get_span_context().trace_id


def test_the_ratio_samples_new_traces_and_children_follow() -> None:
    tracer = TracerProvider(sampler=ParentBased(root=NoOrphanClientCalls(0.0))).get_tracer("t")
    with tracer.start_as_current_span("job analysis", kind=SpanKind.CONSUMER) as job:
        assert not job.is_recording()
        with tracer.start_as_current_span("fetch") as child:
            assert not child.is_recording()


def test_without_a_collector_spans_record_nothing_but_still_have_ids() -> None:
    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("t")
    with tracer.start_as_current_span("POST /webhooks/github", kind=SpanKind.SERVER) as span:
        assert not span.is_recording()
        assert span.get_span_context().is_valid  # log lines get trace_id and span_id
