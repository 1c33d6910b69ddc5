"""The CI generation job: a hardened, validated workflow from a stored analysis, and on
request a pull request that adds it."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import msgspec
from opentelemetry import trace

from libs.analysis import Report, rescore
from libs.cigen import Generation, NothingToGenerate, generate, in_tree_copy
from libs.cigen.generate import foreign_pipelines
from libs.common.db import analyses as analyses_db
from libs.common.schemas import Repository
from libs.github.errors import GitHubError
from services.worker.errors import PermanentJobError
from services.worker.fetch import fetch_tree, github_error
from services.worker.jobs.common import (
    ci_platform,
    github_client,
    github_token,
    load_repository,
)
from services.worker.runner import JobContext
from services.worker.trees import TreeCache

BRANCH_PREFIX = "autodevops/ci-"
tracer = trace.get_tracer("autodevops.worker.ci_generation")


async def ci_generation(jc: JobContext) -> dict[str, Any]:
    job, deps = jc.job, jc.deps
    repo = await load_repository(jc)
    analysis_id = _uuid(job.params.get("analysis_id"))
    async with deps.pool.acquire() as conn:
        found = await analyses_db.get_analysis(conn, job.organization_id, analysis_id)
    if found is None:
        raise PermanentJobError("the analysis was removed", "analysis_not_found")
    row, report_json = found
    report = msgspec.json.decode(report_json, type=Report)
    platform = ci_platform(job)
    token = await github_token(jc, repo)

    async with jc.scratch() as tree:
        await jc.progress("fetching", f"fetching {repo.full_name} at {row.commit_sha[:12]}")
        await fetch_tree(
            deps.settings,
            deps.http,
            repo,
            row.commit_sha,
            tree,
            token=token,
            trees=TreeCache.in_workdir(deps.workdir),
            client=await github_client(jc, repo),
        )
        await jc.progress("generating", f"generating {platform} CI and validating it")
        with tracer.start_as_current_span("generate ci", attributes={"cigen.platform": platform}):
            generation = await asyncio.to_thread(_generate, report, tree, platform, repo)
        existing = _existing_workflow(tree, generation.path, report)

    validation = msgspec.to_builtins(generation.validation)
    async with deps.pool.acquire() as conn:
        config = await analyses_db.store_ci_config(
            conn,
            job.organization_id,
            analysis_id=row.id,
            job_id=job.id,
            platform=platform,
            path=generation.path,
            content=generation.content,
            valid=generation.valid,
            validation={
                **validation,
                "proposal": generation.proposal,
                "explanation": generation.explanation,
                "notes": generation.notes,
                # what the dashboard diffs the proposal against
                "existing": existing,
            },
            score_before=generation.score.before if generation.score else None,
            score_after=generation.score.after if generation.score else None,
        )
    result: dict[str, Any] = {
        "ci_config_id": str(config.id),
        "path": generation.path,
        "valid": generation.valid,
        "score_before": config.score_before,
        "score_after": config.score_after,
        "pull_request_url": config.pull_request_url,
    }
    if job.params.get("open_pull_request"):
        result["pull_request_url"] = await _pull_request(
            jc, repo, generation, row, config.id, token
        )
    return result


# The existing workflow kept beside a proposal, for its diff; larger files are left out.
EXISTING_MAX_BYTES = 256 * 1024


def _existing_workflow(tree: Path, path: str, report: Report) -> dict[str, str] | None:
    """The repository's workflow at the generated file's path, else its first pipeline
    of the same system: what a reviewer compares the proposal with."""
    candidates = [path] + [
        p.path for p in report.ci.pipelines if p.system == "github_actions" and p.path != path
    ]
    root = tree.resolve()
    for candidate in candidates:
        file = (tree / candidate).resolve()
        if not file.is_relative_to(root):
            continue  # a symlink out of the tree
        if file.is_file() and file.stat().st_size <= EXISTING_MAX_BYTES:
            content = file.read_text(encoding="utf-8", errors="replace")
            return {"path": candidate, "content": content}
    return None


def _generate(report: Report, tree: Path, platform: str, repo: Repository) -> Generation:
    try:
        return generate(
            report,
            platform=platform,
            default_branch=repo.default_branch,
            # A workflow we generated earlier is replaced, not proposed against.
            existing=foreign_pipelines(report.ci.pipelines, tree),
            rescore=in_tree_copy(tree, lambda copy: rescore(copy, report)),
            # Code scanning uploads fail on private repositories without GitHub Advanced
            # Security; only public ones get the CodeQL job by default.
            code_scanning=repo.visibility in (None, "public"),
        )
    except NothingToGenerate as exc:
        raise PermanentJobError(str(exc), "nothing_to_generate") from exc


async def _pull_request(
    jc: JobContext,
    repo: Repository,
    generation: Generation,
    row: analyses_db.AnalysisRow,
    config_id: uuid.UUID,
    token: str | None,
) -> str:
    if repo.provider != "github":
        raise PermanentJobError(
            "pull requests can be opened on GitHub repositories only", "not_github"
        )
    if token is None:
        raise PermanentJobError(
            "opening a pull request needs the owner's GitHub sign-in", "no_token"
        )
    if not generation.valid:
        raise PermanentJobError(
            "the generated workflow did not pass validation; no pull request opened",
            "invalid_generation",
        )
    await jc.progress("pull_request", "opening a pull request")
    # The installation's client where the app is installed: the app opens the PR.
    client = await github_client(jc, repo)
    branch = f"{BRANCH_PREFIX}{row.commit_sha[:12]}"
    base = repo.default_branch or "main"
    try:
        await client.ensure_branch(repo.full_name, branch, row.commit_sha)
        await client.commit_file(
            repo.full_name,
            generation.path,
            generation.content.encode(),
            message="ci: add a hardened, validated CI workflow (AutoDevOps)",
            branch=branch,
        )
        pull = await client.open_pull_request(
            repo.full_name,
            head=branch,
            base=base,
            title="Add a hardened CI workflow",
            body=_body(generation),
        )
    except GitHubError as exc:
        raise github_error(exc) from exc
    async with jc.deps.pool.acquire() as conn:
        await analyses_db.record_pull_request(
            conn, jc.job.organization_id, config_id, pull.html_url
        )
    return pull.html_url


def _body(generation: Generation) -> str:
    lines = ["Generated by AutoDevOps from an analysis of this repository.", ""]
    lines += [f"- {line}" for line in generation.explanation]
    if generation.score is not None:
        lines += ["", f"Health score: {generation.score.before} → {generation.score.after}."]
    lines += [
        "",
        "Every action is pinned to a commit SHA; the workflow passed the GitHub "
        "workflow schema and a zizmor audit.",
    ]
    return "\n".join(lines)


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise PermanentJobError("the job names no analysis", "bad_job") from None
