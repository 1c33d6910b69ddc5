"""Every registered metric follows the naming rules and is in docs/metrics.md, as exported."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families

from libs.common.config import load_settings
from libs.common.metrics import ROLES, Metrics, Role
from libs.common.pricing import parse_prices

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = ROOT / "docs" / "metrics.md"

# Standard collectors keep their standard names (docs/metrics.md, "Naming rules").
STANDARD = ("process_", "python_")
# Label names that would carry ids: unbounded series, and tenant data in Prometheus.
ID_LABELS = re.compile(
    r"(^|_)(id|ids|user|users|login|email|org|orgs|organization|organizations|tenant"
    r"|repo|repos|repository|repositories|delivery|commit|sha|path|url|token)($|_)"
)
NON_BASE_UNITS = re.compile(
    r"_(milliseconds|microseconds|ms|us|minutes|hours|days|kilobytes|megabytes|gigabytes"
    r"|kb|mb|gb|percent|ratio_percent)(_|$)"
)
TIME_WORDS = re.compile(r"(duration|latency|_age|_wait|timestamp|_time)(_|$)")


@dataclass(frozen=True)
class Family:
    name: str  # as exposed: counters with `_total`
    type: str
    labels: tuple[str, ...]
    help: str


def families(metrics: Metrics) -> dict[str, Family]:
    """What `metrics` exports: its own metric objects and the standard collectors."""
    found: dict[str, Family] = {}
    for family in metrics.registry.collect():
        exposed = family.name + "_total" if family.type == "counter" else family.name
        labels = {k for s in family.samples for k in s.labels if k not in ("le", "quantile")}
        found[exposed] = Family(exposed, family.type, tuple(sorted(labels)), family.documentation)
    # Labelled metrics without children have no samples: take their declared label names.
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            exposed = value._name + ("_total" if value._type == "counter" else "")
            if exposed in found:
                known = found[exposed]
                found[exposed] = Family(
                    exposed, known.type, tuple(sorted(value._labelnames)), known.help
                )
    return found


@dataclass(frozen=True)
class Row:
    name: str
    type: str
    labels: tuple[str, ...]
    exported_by: frozenset[str]


def catalogue() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for line in CATALOGUE.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5 or not re.fullmatch(r"`[a-z_]+`", cells[0]):
            continue
        name = cells[0].strip("`")
        labels = tuple(sorted(x.strip() for x in cells[2].split(",") if x.strip()))
        by = frozenset(x.strip() for x in cells[3].split(","))
        assert name not in rows, f"{name} is listed twice in docs/metrics.md"
        rows[name] = Row(name, cells[1], labels, by)
    return rows


def all_families() -> dict[str, Family]:
    metrics = Metrics(prices=parse_prices("m=1:1"))
    metrics.zero_model("m")
    return families(metrics)


FAMILIES = sorted(all_families().values(), key=lambda f: f.name)


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_metric_follows_the_naming_rules(family: Family) -> None:
    name = family.name
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
    assert name.startswith("autodevops_") or name.startswith(STANDARD), name
    assert family.help.strip(), f"{name} has no help text"
    if family.type == "counter":
        assert name.endswith("_total"), name
        assert not name.endswith("_total_total"), name
    else:
        assert not name.endswith(("_total", "_count", "_sum", "_bucket")), name
    assert not NON_BASE_UNITS.search(name), f"{name}: use base units (seconds, bytes)"
    if family.type == "histogram":
        assert name.endswith(("_seconds", "_bytes")), f"{name}: a histogram needs a unit"
    if TIME_WORDS.search(name):
        assert name.endswith("_seconds"), f"{name}: times are in seconds"
    for label in family.labels:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", label), (name, label)
        assert not ID_LABELS.search(label), f"{name}: label {label!r} would carry ids"


def test_every_metric_is_in_the_catalogue_with_its_type_and_labels() -> None:
    rows = catalogue()
    exported = all_families()
    missing = sorted(set(exported) - set(rows))
    assert missing == [], f"add these to docs/metrics.md: {missing}"
    stale = sorted(set(rows) - set(exported))
    assert stale == [], f"docs/metrics.md lists metrics that do not exist: {stale}"
    for name, family in exported.items():
        row = rows[name]
        assert row.type == family.type, name
        if not name.startswith(STANDARD):
            assert row.labels == family.labels, name


@pytest.mark.parametrize("role", ROLES)
def test_each_service_exports_what_the_catalogue_says(role: Role) -> None:
    exported = set(families(Metrics(roles=(role,))))
    said = {name for name, row in catalogue().items() if role in row.exported_by}
    assert exported == said


def test_known_series_exist_at_zero_before_any_event() -> None:
    """Rates and ratios (and the alerts on them) need series before the first event."""
    settings = load_settings(
        {"DATABASE_URL": "postgresql://h/d", "REDIS_URL": "redis://h", "GEMINI_MODEL": "g-1"}
    )
    metrics = Metrics.for_service(settings, "worker")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.render()[0].decode())
        for s in family.samples
    }
    for queue in ("sync", "analysis", "ci_generation"):
        for outcome in ("succeeded", "failed", "retried"):
            key = ("autodevops_jobs_total", (("outcome", outcome), ("queue", queue)))
            assert samples[key] == 0.0
    assert samples[("autodevops_ai_calls_total", (("model", "g-1"), ("outcome", "ok")))] == 0.0
    assert ("autodevops_http_requests_total", ()) not in samples  # the api's, not here
