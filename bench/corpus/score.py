"""`python -m bench.corpus.score DIR [--only NAME ...] [--json]`: the analysis against the labels.

Runs `libs.analysis.analyze` in this process on each checkout `DIR/owner+name` that the
manifest names, compares the report with `labels.toml`, and prints per field precision,
recall and F1 (micro-averaged over repositories), the top language and the existing CI
as x/N, declared runtime versions as the share of labelled versions reported exactly,
secrets (findings above severity low, and with the low ones too), the CPU each analysis
took, then every miss. A repository missing from DIR is listed and left out of the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.corpus import MANIFEST, Repo, load
from bench.corpus import labels as labels_file
from bench.corpus.compare import SET_FIELDS, Count, RepoResult, compare, observe
from bench.corpus.labels import RepoLabels
from libs.analysis import analyze

ROWS = (*SET_FIELDS, "dockerfiles", "compose_files", "ci_files", "secrets", "secrets_with_low")


def cpu_seconds() -> float:
    """CPU of this process and its finished children (zizmor runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def checked_out(repo: Repo, root: Path) -> str | None:
    """Why `root/owner+name` cannot be scored, or None when it can."""
    path = root / repo.slug
    if not path.is_dir() or not any(p.name != ".git" for p in path.iterdir()):
        return "not checked out"
    if (path / ".git").exists():
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path, capture_output=True, text=True, check=False
        ).stdout.strip()
        if head != repo.commit:
            return f"at {head[:12] or 'no commit'}, not {repo.commit[:12]}"
    return None


def score(
    root: Path, repos: Sequence[Repo], labels: Sequence[RepoLabels]
) -> tuple[list[RepoResult], dict[str, str]]:
    by_name = {label.name: label for label in labels}
    results: list[RepoResult] = []
    skipped: dict[str, str] = {}
    for repo in repos:
        label = by_name.get(repo.name)
        reason = "no labels" if label is None else checked_out(repo, root)
        if label is None or reason is not None:
            skipped[repo.name] = reason or "no labels"
            continue
        started = cpu_seconds()
        report = analyze(root / repo.slug, commit=repo.commit)
        result = compare(label, observe(report))
        result.cpu_seconds = cpu_seconds() - started
        results.append(result)
    return results, skipped


@dataclass
class Totals:
    repositories: int
    fields: dict[str, Count]
    top_language: int  # repositories whose top language is right
    ci_exact: int  # repositories whose CI files are all found, and nothing else
    versions_exact: int
    versions_labelled: int
    versions_right: int  # reported versions that are a labelled one exactly
    versions_reported: int
    cpu_seconds: float

    @property
    def versions_rate(self) -> float | None:
        return self.versions_exact / self.versions_labelled if self.versions_labelled else None

    @property
    def versions_precision(self) -> float | None:
        return self.versions_right / self.versions_reported if self.versions_reported else None

    def as_json(self) -> dict[str, object]:
        return {
            "repositories": self.repositories,
            "fields": {
                row: {
                    "tp": c.tp,
                    "fp": c.fp,
                    "fn": c.fn,
                    "precision": c.precision,
                    "recall": c.recall,
                    "f1": c.f1,
                }
                for row, c in self.fields.items()
            },  # fmt: skip
            "top_language": self.top_language,
            "ci_exact": self.ci_exact,
            "versions": {
                "exact": self.versions_exact,
                "labelled": self.versions_labelled,
                "rate": self.versions_rate,
                "reported": self.versions_reported,
                "precision": self.versions_precision,
            },
            "cpu_seconds": self.cpu_seconds,
        }


def summary(results: Sequence[RepoResult]) -> Totals:
    fields = {row: Count() for row in ROWS}
    for result in results:
        for row in ROWS:
            fields[row].add(result.counts[row])
    return Totals(
        repositories=len(results),
        fields=fields,
        top_language=sum(r.top_language_right for r in results),
        ci_exact=sum(r.ci_right for r in results),
        versions_exact=sum(r.versions_exact for r in results),
        versions_labelled=sum(r.versions_labelled for r in results),
        versions_right=sum(r.versions_right for r in results),
        versions_reported=sum(r.versions_reported for r in results),
        cpu_seconds=sum(r.cpu_seconds for r in results),
    )


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(results: Sequence[RepoResult], skipped: dict[str, str], totals: Totals) -> str:
    n = totals.repositories
    lines = [
        f"{n} repositories scored",
        "",
        f"{'field':18} {'TP':>5} {'FP':>5} {'FN':>5} {'prec':>6} {'recall':>6} {'F1':>6}",
    ]
    for row, c in totals.fields.items():
        lines.append(
            f"{row:18} {c.tp:5} {c.fp:5} {c.fn:5} {_figure(c.precision):>6} "
            f"{_figure(c.recall):>6} {_figure(c.f1):>6}"
        )
    slowest = sorted(results, key=lambda r: -r.cpu_seconds)[:3]
    lines += [
        "",
        f"top language       {totals.top_language}/{n}",
        f"existing CI exact  {totals.ci_exact}/{n} (every workflow file, by system)",
        f"versions exact     {totals.versions_exact}/{totals.versions_labelled} "
        f"({_figure(totals.versions_rate)}); precision {_figure(totals.versions_precision)} "
        f"over {totals.versions_reported} reported",
        f"analysis CPU       {totals.cpu_seconds:.2f} s in all; slowest "
        + ", ".join(f"{r.name} {r.cpu_seconds:.2f} s" for r in slowest),
    ]
    if skipped:
        lines += ["", "not scored:"] + [f"  {name}: {why}" for name, why in skipped.items()]
    lines += ["", "misses:"]
    for result in results:
        lines += [f"  {miss.repo}  {miss.field}: {miss.text}" for miss in result.misses]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus.score", description=__doc__)
    parser.add_argument("dir", type=Path, help="folder of owner+name checkouts")
    parser.add_argument("--only", nargs="*", default=(), help="these owner/name only")
    parser.add_argument("--json", action="store_true", help="figures and misses as JSON")
    parser.add_argument("--labels", type=Path, default=labels_file.LABELS, help=argparse.SUPPRESS)
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.dir.is_dir():
        print(f"{args.dir}: not a directory", file=sys.stderr)
        return 2
    repos = [r for r in load(args.manifest) if not args.only or r.name in args.only]
    results, skipped = score(args.dir, repos, labels_file.load(args.labels))
    totals = summary(results)
    if args.json:
        payload = {
            **totals.as_json(),
            "skipped": skipped,
            "repos": [
                {
                    "name": r.name,
                    "cpu_seconds": r.cpu_seconds,
                    "misses": [asdict(m) for m in r.misses],
                }
                for r in results
            ],
        }
        print(json.dumps(payload, indent=2))
    else:
        print(render(results, skipped, totals))
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
