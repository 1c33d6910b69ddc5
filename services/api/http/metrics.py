"""Request and webhook metrics with their label children looked up once, not on every
request."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from libs.common.metrics import Metrics, status_class


class HttpMetrics:
    """The per-route metric children, looked up once: every request records two."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._deliveries: dict[tuple[str, str], Counter] = {}

    def record(self, method: str, route: str, status: int, seconds: float | None) -> None:
        """Count a request; `seconds` None leaves it out of the latency histogram (an event
        stream's duration is how long the client listened, not how fast we answered)."""
        key = (method, route, status // 100)
        children = self._children.get(key)
        if children is None:
            children = (
                self.metrics.http_requests.labels(method, route, status_class(status)),
                self.metrics.http_duration.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        if seconds is not None:
            children[1].observe(seconds)

    def count_delivery(self, event: str, outcome: str) -> None:
        """Count a webhook delivery; `event` is already bounded (deliveries.metric_label)."""
        child = self._deliveries.get((event, outcome))
        if child is None:
            child = self.metrics.webhook_deliveries.labels(event, outcome)
            self._deliveries[(event, outcome)] = child
        child.inc()
