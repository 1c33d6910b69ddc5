"""Checks only GitHub's API can answer, added to an analysis's report before it is scored.

Each is assessed only with a token that can read what it needs; otherwise it is
`unknown` ("not assessed"), which earns and costs no points. The evidence of each is the
API fact (the endpoint and what it said), like a file and line for the offline checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from libs.analysis.report import Category, Check, CheckStatus, Evidence
from libs.github.client import GitHubClient, split_name
from libs.github.errors import Forbidden, GitHubError, NotFound, RateLimited

RECENT_PULLS = 10
RECENT_COMMITS = 5
ACTIVITY_DAYS = 90
SIGNATURES = (".sig", ".asc", ".sigstore", ".sigstore.json", ".intoto.jsonl", ".minisig", ".pem")
OUR_CHECK = "AutoDevOps health"


class NotAssessed(Exception):
    """The token cannot read what the check needs (403/404), or GitHub asked us to wait."""


def _check(
    id: str,
    category: Category,
    weight: int,
    status: CheckStatus,
    message: str,
    evidence: list[Evidence],
    *,
    score: float | None = None,
    fix: str | None = None,
) -> Check:
    earned = score if score is not None else {"pass": 1.0}.get(status, 0.0)
    return Check(
        id=id,
        category=category,
        status=status,
        weight=weight,
        score=earned,
        message=message,
        evidence=evidence,
        fix=fix if status in ("fail", "partial") else None,
    )


def _graded(share: float) -> CheckStatus:
    return "pass" if share == 1 else "partial" if share else "fail"


def _fact(path: str, detail: str) -> Evidence:
    return Evidence(path=f"github-api:{path}", detail=detail)


class _Reader:
    """One repository's API reads; a refusal becomes NotAssessed for the check asking."""

    def __init__(self, client: GitHubClient, full_name: str) -> None:
        self.client = client
        self.owner, self.name = split_name(full_name)
        self.base = f"/repos/{self.owner}/{self.name}"

    async def get(self, path: str, *, missing: Any = NotAssessed) -> Any:
        try:
            return await self.client.call(self.client.api.getitem(self.base + path))
        except NotFound:
            if missing is NotAssessed:
                raise NotAssessed(f"{self.base}{path} is not visible to this token") from None
            return missing
        except (Forbidden, RateLimited) as exc:
            raise NotAssessed(f"{self.base}{path}: {exc.message}") from None

    async def page(self, path: str) -> list[Any]:
        """The first page only: the checks look at what is recent."""
        found = await self.get(path)
        return found if isinstance(found, list) else []


async def branch_protection(r: _Reader, branch: str) -> Check:
    facets = {
        "reviews": False,
        "status_checks": False,
        "no_force_push": False,
        "no_deletion": False,
    }
    evidence: list[Evidence] = []
    readable = False
    try:
        rules = await r.page(f"/rules/branches/{branch}")
        readable = True
        kinds = {rule.get("type") for rule in rules}
        for rule in rules:
            if rule.get("type") == "pull_request":
                count = (rule.get("parameters") or {}).get("required_approving_review_count", 0)
                facets["reviews"] |= count >= 1
        facets["status_checks"] |= "required_status_checks" in kinds
        facets["no_force_push"] |= "non_fast_forward" in kinds
        facets["no_deletion"] |= "deletion" in kinds
        evidence.append(
            _fact(
                f"{r.base}/rules/branches/{branch}", f"rules: {sorted(map(str, kinds)) or 'none'}"
            )
        )
    except NotAssessed:
        pass
    try:
        protection = await r.get(f"/branches/{branch}/protection", missing={})
        readable = True
        reviews = protection.get("required_pull_request_reviews") or {}
        facets["reviews"] |= reviews.get("required_approving_review_count", 0) >= 1
        facets["status_checks"] |= bool(protection.get("required_status_checks"))
        if protection:
            facets["no_force_push"] |= not (protection.get("allow_force_pushes") or {}).get(
                "enabled", False
            )
            facets["no_deletion"] |= not (protection.get("allow_deletions") or {}).get(
                "enabled", False
            )
        detail = "not protected" if not protection else "protected"
        evidence.append(_fact(f"{r.base}/branches/{branch}/protection", detail))
    except NotAssessed:
        if not readable or not any(facets.values()):
            raise
    held = [name for name, on in facets.items() if on]
    detail = ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in facets.items())
    evidence.append(_fact(f"{r.base}/branches/{branch}", detail))
    status: CheckStatus = "pass" if len(held) == 4 else "partial" if held else "fail"
    return _check(
        "Branch-Protection",
        "security",
        6,
        status,
        f"{branch}: {len(held)} of 4 protections ({', '.join(held) or 'none'})",
        evidence,
        score=len(held) / 4,
        fix=(
            f"Protect {branch} with a ruleset: an approving review, required status checks,"
            " no force pushes, no deletion."
        ),
    )


async def code_review(r: _Reader) -> Check:
    pulls = await r.page("/pulls?state=closed&sort=updated&direction=desc&per_page=30")
    merged = [p for p in pulls if p.get("merged_at")][:RECENT_PULLS]
    if not merged:
        return _check(
            "Code-Review", "security", 5, "unknown", "no recently merged pull requests", []
        )
    reviews = await asyncio.gather(
        *(r.page(f"/pulls/{p['number']}/reviews?per_page=100") for p in merged)
    )
    evidence, reviewed = [], 0
    for pull, found in zip(merged, reviews, strict=True):
        author = (pull.get("user") or {}).get("login")
        approved = any(
            v.get("state") == "APPROVED" and (v.get("user") or {}).get("login") != author
            for v in found
        )
        reviewed += approved
        detail = "approved by a reviewer" if approved else "merged without an approving review"
        evidence.append(_fact(f"{r.base}/pulls/{pull['number']}", detail))
    share = reviewed / len(merged)
    status = _graded(share)
    return _check(
        "Code-Review",
        "security",
        5,
        status,
        f"{reviewed} of the last {len(merged)} merged pull requests approved by someone else",
        evidence,
        score=share,
        fix="Require an approving review before merging (a ruleset's pull_request rule).",
    )


async def ci_status(r: _Reader, branch: str) -> Check:
    commits = (await r.page(f"/commits?sha={branch}&per_page={RECENT_COMMITS}"))[:RECENT_COMMITS]
    if not commits:
        return _check("CI-Status", "ci_cd", 4, "unknown", "no commits", [])
    shas = [str(c["sha"]) for c in commits]
    answers = await asyncio.gather(
        *(r.get(f"/commits/{sha}/status") for sha in shas),
        *(r.get(f"/commits/{sha}/check-runs?per_page=100") for sha in shas),
    )
    evidence, green, seen = [], 0, 0
    for sha, combined, runs in zip(shas, answers[: len(shas)], answers[len(shas) :], strict=True):
        conclusions = [
            c.get("conclusion") for c in runs.get("check_runs", []) if c.get("name") != OUR_CHECK
        ]
        states = ([combined.get("state")] if combined.get("total_count") else []) + conclusions
        if not states:
            evidence.append(_fact(f"{r.base}/commits/{sha[:12]}", "no CI status"))
            continue
        seen += 1
        ok = all(s in ("success", "neutral", "skipped") for s in states)
        green += ok
        evidence.append(
            _fact(
                f"{r.base}/commits/{sha[:12]}",
                "green" if ok else f"not green: {sorted(set(map(str, states)))}",
            )
        )
    if not seen:
        return _check(
            "CI-Status",
            "ci_cd",
            4,
            "fail",
            f"no CI status on the last {len(commits)} commits",
            evidence,
            fix="Run CI on every push to the default branch.",
        )
    share = green / seen
    status = _graded(share)
    return _check(
        "CI-Status",
        "ci_cd",
        4,
        status,
        f"{green} of {seen} recent commits with CI passed",
        evidence,
        score=share,
        fix="Keep the default branch green: fix or quarantine failing jobs.",
    )


async def dependabot(r: _Reader) -> Check:
    alerts = await r.get("/vulnerability-alerts", missing=False)
    fixes = await r.get("/automated-security-fixes", missing={})
    on = [alerts is not False, bool(fixes.get("enabled"))]
    evidence = [
        _fact(f"{r.base}/vulnerability-alerts", "enabled" if on[0] else "disabled"),
        _fact(f"{r.base}/automated-security-fixes", "enabled" if on[1] else "disabled"),
    ]
    status: CheckStatus = "pass" if all(on) else "partial" if any(on) else "fail"
    return _check(
        "Dependabot-Security-Updates",
        "dependencies",
        3,
        status,
        "Dependabot alerts and security updates" + (" on" if all(on) else " not both on"),
        evidence,
        score=sum(on) / 2,
        fix="Turn on Dependabot alerts and security updates in the repository's settings.",
    )


async def vulnerability_reporting(r: _Reader) -> Check:
    found = await r.get("/private-vulnerability-reporting")
    on = bool(found.get("enabled"))
    return _check(
        "Private-Vulnerability-Reporting",
        "security",
        2,
        "pass" if on else "fail",
        "private vulnerability reporting " + ("enabled" if on else "disabled"),
        [_fact(f"{r.base}/private-vulnerability-reporting", f"enabled={on}")],
        fix="Enable private vulnerability reporting so reports reach you privately.",
    )


async def signed_releases(r: _Reader) -> Check:
    releases = (await r.page("/releases?per_page=5"))[:5]
    if not releases:
        return _check("Signed-Releases", "security", 3, "unknown", "no releases", [])
    evidence, signed = [], 0
    for release in releases:
        names = [a.get("name", "") for a in release.get("assets", [])]
        sig = [n for n in names if n.endswith(SIGNATURES)]
        signed += bool(sig)
        detail = f"signed ({', '.join(sig[:3])})" if sig else f"{len(names)} assets, no signature"
        evidence.append(_fact(f"{r.base}/releases/tags/{release.get('tag_name')}", detail))
    share = signed / len(releases)
    status = _graded(share)
    return _check(
        "Signed-Releases",
        "security",
        3,
        status,
        f"{signed} of the last {len(releases)} releases signed",
        evidence,
        score=share,
        fix="Sign release artifacts (Sigstore cosign, SLSA provenance) and attach the signatures.",
    )


async def recent_activity(r: _Reader, branch: str, archived: bool) -> Check:
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=ACTIVITY_DAYS)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    commits = await r.page(f"/commits?sha={branch}&since={since}&per_page=30")
    evidence = [
        _fact(
            f"{r.base}/commits?since={since[:10]}",
            f"{len(commits)} commits in {ACTIVITY_DAYS} days",
        )
    ]
    if archived:
        return _check(
            "Maintained",
            "security",
            2,
            "fail",
            "the repository is archived",
            evidence,
            fix="Unarchive it, or mark it unmaintained in the README.",
        )
    n = len(commits)
    status: CheckStatus = "pass" if n >= 10 else "partial" if n else "fail"
    return _check(
        "Maintained",
        "security",
        2,
        status,
        f"{n} commits on {branch} in the last {ACTIVITY_DAYS} days",
        evidence,
        score=min(n / 10, 1.0),
        fix="Keep the project maintained, or say it is not.",
    )


async def api_checks(
    client: GitHubClient | None, full_name: str, branch: str, *, archived: bool = False
) -> list[Check]:
    """Every API check for the repository, each assessed or `unknown` with the reason."""
    steps: list[tuple[str, Category, int, Callable[[_Reader], Awaitable[Check]]]] = [
        ("Branch-Protection", "security", 6, lambda r: branch_protection(r, branch)),
        ("Code-Review", "security", 5, code_review),
        ("CI-Status", "ci_cd", 4, lambda r: ci_status(r, branch)),
        ("Dependabot-Security-Updates", "dependencies", 3, dependabot),
        ("Private-Vulnerability-Reporting", "security", 2, vulnerability_reporting),
        ("Signed-Releases", "security", 3, signed_releases),
        ("Maintained", "security", 2, lambda r: recent_activity(r, branch, archived)),
    ]
    branch = quote(branch, safe="")
    if client is None:
        return [
            _check(
                id,
                category,
                weight,
                "unknown",
                "not assessed: no GitHub token for this repository",
                [],
            )
            for id, category, weight, _ in steps
        ]
    reader = _Reader(client, full_name)

    async def one(
        id: str, category: Category, weight: int, step: Callable[[_Reader], Awaitable[Check]]
    ) -> Check:
        try:
            return await step(reader)
        except NotAssessed as exc:
            return _check(id, category, weight, "unknown", f"not assessed: {exc}", [])
        except GitHubError as exc:
            return _check(id, category, weight, "unknown", f"not assessed: {exc.message[:200]}", [])

    return list(await asyncio.gather(*(one(*step) for step in steps)))
