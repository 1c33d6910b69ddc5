"""A request's trace when nothing is exported: ids made on first use, the same for the
request's log lines, the payloads it writes and the spans it starts."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from libs.common.logging import add_trace_ids
from libs.common.telemetry import (
    ServerSpan,
    current_carrier,
    current_context,
    current_trace_id,
)

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_request_without_traceparent_starts_its_own_trace_shared_by_logs_and_spans() -> None:
    tracer = TracerProvider(sampler=ALWAYS_OFF).get_tracer("t")
    assert current_carrier() == {}
    with ServerSpan("POST /webhooks/github", {}):
        carrier = current_carrier()
        _, trace_id, span_id, flags = carrier["traceparent"].split("-")
        assert (len(trace_id), len(span_id), flags) == (32, 16, "00")
        assert current_trace_id() == trace_id
        line = add_trace_ids(None, "info", {"event": "x"})
        assert (line["trace_id"], line["span_id"]) == (trace_id, span_id)
        with tracer.start_as_current_span("submit sync", context=current_context()) as submit:
            assert format(submit.get_span_context().trace_id, "032x") == trace_id
            assert current_carrier()["traceparent"].split("-")[2] != span_id
        assert current_carrier() == carrier
    assert current_carrier() == {}
    assert current_trace_id() is None
    with ServerSpan("POST /webhooks/github", {}):
        assert current_trace_id() != trace_id


def test_a_request_continues_the_callers_trace_and_keeps_its_state() -> None:
    headers = {
        "traceparent": f"00-{CALLER_TRACE}-00f067aa0ba902b7-01",
        "tracestate": "vendor=value",
    }
    with ServerSpan("GET /v1/jobs", headers):
        carrier = current_carrier()
    _, trace_id, span_id, flags = carrier["traceparent"].split("-")
    assert (trace_id, flags) == (CALLER_TRACE, "01")
    assert span_id != "00f067aa0ba902b7"
    assert carrier["tracestate"] == "vendor=value"


def test_a_malformed_traceparent_starts_a_new_trace() -> None:
    with ServerSpan("GET /v1/jobs", {"traceparent": "00-not-a-trace-01"}):
        trace_id = current_trace_id()
    assert trace_id is not None
    assert len(trace_id) == 32
    assert trace_id != "0" * 32
