"""One repository's analysis against its labels: counts per field, and every miss.

The analysis report is first reduced to what the labels speak about (`Observed`), so
the comparison itself is plain set arithmetic that a test can check by hand. Names are
compared case-insensitively, through a small alias table where the same thing has two
spellings.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from bench.corpus.labels import RepoLabels, VersionLabel
from libs.analysis.report import Report

# A language is one of the repository's main languages from this share of counted bytes.
MAIN_SHARE = 5.0
# Runtimes whose reported versions are scored; build tools (gradle, pnpm, sbt...) are not.
SCORED_RUNTIMES = frozenset(
    {
        "python", "node", "go", "java", "kotlin", "ruby", "php", "elixir", "erlang",
        "dotnet", "rust", "rust-edition", "cmake", "c", "c++", "swift", "deno", "bun",
        "scala",
    }
)  # fmt: skip
ALIASES = {
    "junit": "junit4",
    "junit-jupiter": "junit5",
    "jupiter": "junit5",
    "kotlin.test": "kotlin-test",
    "htmlproofer": "html-proofer",
    "vue.js": "vue",
    "nuxt.js": "nuxt",
    "golang": "go",
    "cxx": "c++",
    "cpp": "c++",
    "github-actions": "github_actions",
    "azure-pipelines": "azure_pipelines",
    "gitlab-ci": "gitlab_ci",
}
SET_FIELDS = ("languages", "package_managers", "frameworks", "test_frameworks")
PATH_FIELDS = ("dockerfiles", "compose_files")
Line = tuple[str, int]  # (path, line) of a secret


def canon(name: str) -> str:
    lowered = name.strip().casefold()
    return ALIASES.get(lowered, lowered)


@dataclass(frozen=True)
class ReportedVersion:
    runtime: str
    version: str
    source: str
    field: str | None


@dataclass(frozen=True)
class Observed:
    """What the analysis said about one repository, in the labels' terms."""

    languages: tuple[tuple[str, float], ...]  # (name, percent), largest first
    package_managers: frozenset[str]
    frameworks: frozenset[str]
    test_frameworks: frozenset[str]
    versions: tuple[ReportedVersion, ...]
    dockerfiles: frozenset[str]
    compose_files: frozenset[str]
    ci: frozenset[tuple[str, str]]  # (system, path)
    secrets: frozenset[Line]  # findings above severity low
    low_secrets: frozenset[Line]  # findings the report lists as low ("for review")


def observe(report: Report) -> Observed:
    """The report reduced to the labelled fields: facts of every subproject together."""
    subs = report.stack.subprojects
    findings = report.secrets.findings
    return Observed(
        languages=tuple((share.name, share.percent) for share in report.stack.languages),
        package_managers=frozenset(f.name for s in subs for f in s.package_managers),
        frameworks=frozenset(f.name for s in subs for f in s.frameworks),
        test_frameworks=frozenset(f.name for s in subs for f in s.test_frameworks),
        versions=tuple(
            ReportedVersion(r.runtime, r.version, r.source, r.field)
            for s in subs
            for r in s.runtimes
        ),
        dockerfiles=frozenset(report.stack.dockerfiles),
        compose_files=frozenset(report.stack.compose_files),
        ci=frozenset((p.system, p.path) for p in report.ci.pipelines),
        secrets=frozenset((f.path, f.line) for f in findings if f.severity != "low"),
        low_secrets=frozenset((f.path, f.line) for f in findings if f.severity == "low"),
    )


@dataclass
class Count:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Count) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Miss:
    repo: str
    field: str
    kind: str  # "missing", "extra" or "wrong"
    expected: str
    got: str

    @property
    def text(self) -> str:
        if self.kind == "missing":
            return f"missing {self.expected}"
        if self.kind == "extra":
            return f"extra {self.got}"
        return f"expected {self.expected}, got {self.got}"


@dataclass
class RepoResult:
    name: str
    counts: dict[str, Count] = field(default_factory=dict)
    top_language_right: bool = False
    ci_right: bool = False
    versions_exact: int = 0
    versions_labelled: int = 0
    versions_reported: int = 0  # of scored runtimes, less those of optional labels
    versions_right: int = 0  # reported versions that are exactly a required label's
    misses: list[Miss] = field(default_factory=list)
    cpu_seconds: float = 0.0


def compare(labels: RepoLabels, seen: Observed) -> RepoResult:
    result = RepoResult(labels.name)
    main = frozenset(name for name, percent in seen.languages if percent >= MAIN_SHARE)
    got_sets = {
        "languages": main,
        "package_managers": seen.package_managers,
        "frameworks": seen.frameworks,
        "test_frameworks": seen.test_frameworks,
    }
    for name in SET_FIELDS:
        # compared by canonical name, shown as written
        shown = {canon(v): v for v in (*getattr(labels, name), *got_sets[name])}
        expected = {canon(v) for v in getattr(labels, name)}
        maybe = {canon(v) for v in getattr(labels.maybe, name)}
        got = {canon(v) for v in got_sets[name]} - maybe
        result.counts[name] = _tally(result, name, expected, got, shown)
    for name in PATH_FIELDS:
        result.counts[name] = _tally(result, name, set(getattr(labels, name)), getattr(seen, name))
    _top_language(result, labels, seen)
    _ci(result, labels, seen)
    _versions(result, labels.versions, seen.versions)
    secrets = {f"{s.path}:{s.line}" for s in labels.secrets}
    reported = {f"{path}:{line}" for path, line in seen.secrets}
    result.counts["secrets"] = _tally(result, "secrets", secrets, reported)
    with_low = reported | {f"{path}:{line}" for path, line in seen.low_secrets}
    result.counts["secrets_with_low"] = _count(secrets, with_low)
    return result


def _count(expected: AbstractSet[str], got: AbstractSet[str]) -> Count:
    return Count(tp=len(expected & got), fp=len(got - expected), fn=len(expected - got))


def _tally(
    result: RepoResult,
    name: str,
    expected: AbstractSet[str],
    got: AbstractSet[str],
    shown: dict[str, str] | None = None,
) -> Count:
    show = shown or {}
    for value in sorted(expected - got):
        result.misses.append(Miss(result.name, name, "missing", show.get(value, value), ""))
    for value in sorted(got - expected):
        result.misses.append(Miss(result.name, name, "extra", "", show.get(value, value)))
    return _count(expected, got)


def _top_language(result: RepoResult, labels: RepoLabels, seen: Observed) -> None:
    got = seen.languages[0][0] if seen.languages else ""
    result.top_language_right = canon(got) == canon(labels.top_language)
    if not result.top_language_right:
        result.misses.append(
            Miss(result.name, "top_language", "wrong", labels.top_language, got or "nothing")
        )


def _ci(result: RepoResult, labels: RepoLabels, seen: Observed) -> None:
    expected = {f"{canon(system)}:{path}" for system, paths in labels.ci.items() for path in paths}
    got = {f"{canon(system)}:{path}" for system, path in seen.ci}
    result.counts["ci_files"] = _tally(result, "ci_files", expected, got)
    result.ci_right = expected == got


_C_STANDARD = re.compile(r"^(?:gnu\+\+|c\+\+|gnu|c)(?=\d)")


def normalise(runtime: str, value: str) -> str:
    """Versions compare without whitespace and a leading `v`; C/C++ standards by number."""
    value = re.sub(r"\s+", "", value).casefold()
    if canon(runtime) in ("c", "c++"):
        value = _C_STANDARD.sub("", value)
    return re.sub(r"^v(?=\d)", "", value)


def _key_matches(label: VersionLabel, reported: ReportedVersion) -> bool:
    return (
        canon(reported.runtime) == canon(label.runtime)
        and reported.source == label.file
        and (label.field is None or reported.field == label.field)
    )


def _exact(label: VersionLabel, reported: ReportedVersion) -> bool:
    return label.value is not None and normalise(label.runtime, label.value) == normalise(
        reported.runtime, reported.version
    )


def _versions(
    result: RepoResult, labels: list[VersionLabel], reported: tuple[ReportedVersion, ...]
) -> None:
    """Each required label is exact, wrong or missing; each reported version of a scored
    runtime is right (exact for a required label), ignored (an optional label's key) or
    counted against precision, and listed when no label has its key."""
    scored = sorted({r for r in reported if canon(r.runtime) in SCORED_RUNTIMES}, key=str)
    required = [label for label in labels if not label.optional]
    for label in required:
        found = [r for r in scored if _key_matches(label, r)]
        where = f"{label.runtime} {label.value} ({label.file})"
        if any(_exact(label, r) for r in found):
            result.versions_exact += 1
        elif found:
            got = ", ".join(sorted({r.version for r in found}))
            result.misses.append(Miss(result.name, "versions", "wrong", where, got))
        else:
            result.misses.append(Miss(result.name, "versions", "missing", where, ""))
    result.versions_labelled = len(required)
    for r in scored:
        if any(_key_matches(label, r) for label in required):
            result.versions_reported += 1
            keyed = [label for label in required if _key_matches(label, r)]
            right = any(_exact(label, r) for label in keyed)
            result.versions_right += right
            if not right and any(_exact(label, o) for label in keyed for o in scored):
                # the label is met by another report: this one is a second, wrong value
                result.misses.append(Miss(result.name, "versions", "extra", "", _shown(r)))
        elif not any(_key_matches(label, r) for label in labels):
            result.versions_reported += 1
            result.misses.append(Miss(result.name, "versions", "extra", "", _shown(r)))


def _shown(r: ReportedVersion) -> str:
    return f"{r.runtime} {r.version} ({r.source}{f' {r.field}' if r.field else ''})"
