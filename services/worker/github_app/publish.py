"""After an analysis is stored: its history entry, the regression rule, and (in GitHub App
mode) the check run with annotations on the changed lines and the SARIF upload.

Nothing here fails the analysis: it is stored already. A job that runs twice writes one
history entry, emits one score.regressed event and updates the check run it created.
"""

from __future__ import annotations

from typing import Any

import structlog

from libs.analysis import Report
from libs.analysis.render.sarif import render_sarif
from libs.common.db import score_history
from libs.common.db.analyses import AnalysisRow
from libs.common.db.score_history import HistoryEntry
from libs.common.schemas import Repository
from libs.github.checks import (
    MAX_ANNOTATIONS,
    Changed,
    changed_between,
    changed_in_pull,
    on_changed_lines,
    publish_check_run,
    upload_sarif,
)
from libs.github.client import GitHubClient
from libs.github.errors import GitHubError, NotFound, NotInstalled, RateLimited
from services.worker.github_app import verdict
from services.worker.jobs.common import installation_of
from services.worker.runner import JobContext

log = structlog.get_logger(__name__)


async def report_back(
    jc: JobContext, repo: Repository, report: Report, row: AnalysisRow
) -> dict[str, Any]:
    job, deps = jc.job, jc.deps
    pull = job.params.get("pull_request")
    pull_number = pull if isinstance(pull, int) else None
    base_branch = repo.default_branch or row.branch
    async with deps.pool.acquire() as conn, conn.transaction():
        entry = await score_history.record(
            conn,
            job.organization_id,
            repo.id,
            analysis_id=row.id,
            commit_sha=row.commit_sha,
            branch=row.branch,
            pull_request=pull_number,
            score=report.score.overall,
            band=report.score.band,
            categories=verdict.categories(report),
            critical=verdict.critical_keys(report),
        )
        rule = await score_history.rule_for(conn, job.organization_id, repo.id)
        baseline = None
        if base_branch is not None:
            baseline = await score_history.baseline(
                conn, job.organization_id, repo.id, branch=base_branch, before=entry.id
            )
        regressed = verdict.regression(baseline, report, rule, deps.settings.regression_max_drop)
        first_time = regressed is not None and not entry.regressed
        if first_time:
            await score_history.mark_regressed(conn, job.organization_id, entry.id)
    result: dict[str, Any] = {"history_id": entry.id, "regressed": regressed is not None}
    if regressed is not None and first_time:
        reason = "critical_finding" if regressed.new_critical else "score_drop"
        deps.metrics.score_regressions.labels(reason).inc()
        await jc.emit(
            "score.regressed",
            stage="regression",
            message="; ".join(regressed.reasons),
            data={
                "analysis_id": str(row.id),
                "commit": row.commit_sha,
                "score": regressed.score,
                "previous_score": regressed.previous_score,
                "drop": regressed.drop,
                "new_critical": regressed.new_critical,
            },
        )
    app, installation = deps.github_app, await installation_of(jc, repo)
    if app is not None and installation is not None:
        client = app.client(installation)
        result["check_run"] = await _post(jc, client, repo, report, row, baseline, regressed)
        deps.metrics.github_check_runs.labels(result["check_run"]["status"]).inc()
    return result


async def _post(
    jc: JobContext,
    client: GitHubClient,
    repo: Repository,
    report: Report,
    row: AnalysisRow,
    baseline: HistoryEntry | None,
    regressed: verdict.Regression | None,
) -> dict[str, Any]:
    pull = jc.job.params.get("pull_request")
    try:
        changed = await _changed(client, repo.full_name, row.commit_sha, pull, baseline)
        found = verdict.finding_annotations(report)
        shown = on_changed_lines(found, changed)[:MAX_ANNOTATIONS]
        run_id = await publish_check_run(
            client,
            repo.full_name,
            head_sha=row.commit_sha,
            external_id=str(row.id),
            conclusion=verdict.conclusion(report, regressed),
            output=verdict.output(
                report, regressed, shown=len(shown), elsewhere=len(found) - len(shown)
            ),
            annotations=shown,
        )
        answer: dict[str, Any] = {"status": "posted", "id": run_id, "annotations": len(shown)}
        if jc.deps.settings.github_upload_sarif:
            ref = f"refs/pull/{pull}/head" if isinstance(pull, int) else f"refs/heads/{row.branch}"
            upload = await upload_sarif(
                client,
                repo.full_name,
                commit_sha=row.commit_sha,
                ref=ref,
                sarif=render_sarif(report),
            )
            answer["sarif"] = upload or "code scanning not enabled"
        return answer
    except NotInstalled as exc:
        return {"status": "not_installed", "error": exc.message}
    except RateLimited as exc:
        return {"status": "rate_limited", "retry_after": round(exc.retry_after)}
    except GitHubError as exc:
        log.warning("check run not posted", repository=repo.full_name, error=exc.message)
        return {"status": "failed", "error": exc.message[:300]}


async def _changed(
    client: GitHubClient, full_name: str, head: str, pull: object, baseline: HistoryEntry | None
) -> Changed | None:
    """The lines a pull request or push changed; None (annotate everything) for a first
    analysis, or when the previous commit is gone (a force push)."""
    if isinstance(pull, int):
        return await changed_in_pull(client, full_name, pull)
    if baseline is None or baseline.commit_sha == head:
        return None
    try:
        return await changed_between(client, full_name, baseline.commit_sha, head)
    except NotFound:
        return None
