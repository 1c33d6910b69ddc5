"""The rehearsal: run a GitHub Actions workflow's jobs on this machine, against a
throwaway copy of a checkout, before anyone merges the workflow.

It executes the repository's code, so it runs only when asked (`autodevops ci rehearse`)
and never in the platform's worker. See docs/cigen.md, "Rehearsal".
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from libs.cigen.rehearse import account, mirrors
from libs.cigen.rehearse.dating import BadDate
from libs.cigen.rehearse.dating import parse as parse_as_of
from libs.cigen.rehearse.expressions import ExpressionError, Partial, Unevaluable, Unknown, resolve
from libs.cigen.rehearse.model import JobResult, Rehearsal, StepResult, matrix_of
from libs.cigen.rehearse.runner import JobRun, Options, Shared, event_payload, remove
from libs.cigen.rehearse.toolchains import ToolCache, default_tool_cache
from libs.cigen.rehearse.workflow import BadWorkflow, expand_matrix, load, needs, order
from libs.cigen.rehearse.workspace import inspect
from libs.common.installs import readable_by_all

__all__ = [
    "BadDate",
    "BadWorkflow",
    "JobResult",
    "Rehearsal",
    "StepResult",
    "rehearse",
]
DEFAULT_STEP_TIMEOUT = 900.0


def rehearse(
    root: Path,
    content: str,
    *,
    workflow: str = "generated",
    jobs: Sequence[str] = (),
    step_timeout: float = DEFAULT_STEP_TIMEOUT,
    keep: bool = False,
    allow_other_minor: bool = False,
    tool_cache: Path | None = None,
    on_step: Callable[[str, StepResult], None] | None = None,
    as_of: str | None = None,
    as_root: bool = False,
    git_mirrors: Path | None = None,
) -> Rehearsal:
    """Rehearse the workflow `content` on a copy of the checkout at `root`.

    `jobs` limits the run to those job ids (and the jobs they need). `as_of` (an ISO
    date or date-time, or `commit`: the checkout's committer date) makes the package
    managers that can resolve as of that date. Raises BadWorkflow for a file that is not
    a workflow or names a job it does not define, BadDate for an `as_of` that is neither.
    Run as root, the steps run as the runner's unprivileged user unless `as_root`.
    `git_mirrors`: a folder of bare mirrors (OWNER+NAME) git fetches github.com from.
    """
    document = load(content)
    all_jobs: dict[str, Any] = {str(k): v for k, v in document["jobs"].items()}
    wanted = _with_needs(all_jobs, jobs)
    checkout = inspect(root.resolve())
    commit_date = str(checkout.head_commit["timestamp"]) if checkout.head_commit else None
    dated = parse_as_of(as_of, commit_date, checkout.sha) if as_of else None
    user = account.choose(as_root)
    base = Path(tempfile.mkdtemp(prefix="autodevops-rehearse."))
    if user.dropped:
        base.chmod(0o711)  # the job directories beneath are the user's
        tool_cache = tool_cache or _user_tool_cache()
    cache = ToolCache(tool_cache or default_tool_cache())
    # download caches the steps write: the user's (root-owned entries would make npm fail)
    user.own(cache.root / "cache", recursive=True)
    event = _event(document)
    github = _github(document, checkout, event, base)
    shared = Shared(
        checkout=checkout,
        base=base,
        workflow=document,
        github=github,
        options=Options(
            step_timeout,
            cache,
            allow_other_minor,
            on_step,
            dated,
            user,
            mirrors.prepare(git_mirrors, base / "git-mirrors") if git_mirrors else None,
        ),
    )
    rehearsal = Rehearsal(
        workflow=workflow,
        root=str(checkout.root),
        event=event,
        as_of=dated.iso if dated else None,
        as_of_origin=dated.origin if dated else "",
    )
    try:
        for job_id in order(all_jobs):
            if job_id in wanted:
                rehearsal.jobs += _job(shared, job_id, all_jobs[job_id])
    finally:
        if keep:
            rehearsal.kept = str(base)
        else:
            remove(base)
    return rehearsal


def _user_tool_cache() -> Path:
    """The unprivileged user's tool cache, outside root's home: toolchains already in
    root's cache are hard-linked in (no download, no space), its download caches are not
    (they become the user's)."""
    target = account.USER_TOOL_CACHE
    target.mkdir(parents=True, exist_ok=True)
    for part in (target.parent, target):  # ours: readable by the user, whatever the umask
        part.chmod(0o755)
    source = default_tool_cache()
    if source.is_dir() and source.resolve() != target.resolve():
        for entry in source.iterdir():
            if (
                entry.name == "cache"
                or entry.name.startswith(".")
                # a copied pyenv Python names its own folder (sysconfig): made here anew
                or entry.name.startswith("pyenv-")
                or (target / entry.name).exists()
            ):
                continue
            staging = target / f".seed-{entry.name}"
            shutil.rmtree(staging, ignore_errors=True)  # left by a rehearsal that was killed
            done = subprocess.run(
                ["cp", "-al", str(entry), str(staging)], capture_output=True, check=False
            )
            if done.returncode == 0:
                readable_by_all(staging)
                staging.rename(target / entry.name)
            else:
                shutil.rmtree(staging, ignore_errors=True)
    for name in ("pip", "uv", "npm", "yarn"):
        (target / "cache" / name).mkdir(parents=True, exist_ok=True)
    return target


def _with_needs(all_jobs: dict[str, Any], jobs: Sequence[str]) -> set[str]:
    if not jobs:
        return set(all_jobs)
    unknown = [j for j in jobs if j not in all_jobs]
    if unknown:
        raise BadWorkflow(f"no job {', '.join(map(repr, unknown))} (jobs: {', '.join(all_jobs)})")
    wanted: set[str] = set()
    pending = list(jobs)
    while pending:
        job_id = pending.pop()
        if job_id not in wanted:
            wanted.add(job_id)
            pending += [n for n in needs(all_jobs[job_id]) if n in all_jobs]
    return wanted


def _event(document: dict[str, Any]) -> str:
    """The event a rehearsal pretends to be: a push to the default branch when the workflow
    runs on push (every job runs then), else a manual run, else its first trigger."""
    triggers = document.get("on")
    names = [triggers] if isinstance(triggers, str) else list(triggers or [])
    for preferred in ("push", "workflow_dispatch"):
        if preferred in names:
            return preferred
    return str(names[0]) if names else "push"


def _github(document: dict[str, Any], checkout: Any, event: str, base: Path) -> dict[str, Any]:
    triggers = document.get("on")
    inputs: dict[str, Any] = {}
    if event == "workflow_dispatch" and isinstance(triggers, dict):
        spec = (triggers.get("workflow_dispatch") or {}).get("inputs") or {}
        inputs = {k: (v or {}).get("default") for k, v in spec.items()}
    known_event: dict[str, Any] = {"ref": f"refs/heads/{checkout.branch}", "after": checkout.sha}
    if event == "push":
        known_event |= {"pull_request": None, "inputs": None, "release": None}
        if checkout.head_commit is not None:
            known_event["head_commit"] = checkout.head_commit
        known_event["repository"] = Partial(
            {"default_branch": checkout.branch, "full_name": checkout.repository}
            if checkout.repository
            else {"default_branch": checkout.branch},
            "the repository's details in the event payload are not known to a rehearsal",
        )
    event_path = base / "event.json"
    github: dict[str, Any] = {
        "workflow": str(document.get("name") or "workflow"),
        "event_name": event,
        "event": Partial(known_event, f"the {event} event's payload is not known to a rehearsal"),
        "event_path": str(event_path),
        "ref": f"refs/heads/{checkout.branch}",
        "ref_name": checkout.branch,
        "ref_type": "branch",
        "ref_protected": False,
        "head_ref": "",
        "base_ref": "",
        "sha": checkout.sha,
        "repository": checkout.repository
        or Unknown("the repository's GitHub name (no github.com remote named origin)"),
        "repository_owner": checkout.repository.split("/")[0]
        if checkout.repository
        else Unknown("the repository's owner"),
        "actor": Unknown("the actor of a run"),
        "triggering_actor": Unknown("the actor of a run"),
        "token": Unknown("secrets are not available to a rehearsal"),
        "run_id": "1",
        "run_number": "1",
        "run_attempt": "1",
        "retention_days": "90",
        "server_url": "https://github.com",
        "api_url": "https://api.github.com",
        "graphql_url": "https://api.github.com/graphql",
        "action": "",
        "__vars": Unknown("repository variables (vars) are not known to a rehearsal"),
        "__secrets": Unknown("secrets are not available to a rehearsal"),
        "__inputs": inputs,
    }
    event_payload(event_path, github, checkout.head_commit)
    return github


def _job(shared: Shared, job_id: str, job: dict[str, Any]) -> list[JobResult]:
    display = str(job.get("name") or job_id)
    if "uses" in job:
        return _unrehearsed(shared, job_id, display, f"calls the reusable workflow {job['uses']}")
    blocked = _blocked_by_needs(shared, job)
    if blocked is not None:
        return _unrehearsed(shared, job_id, display, blocked)
    probe = JobRun(shared, job_id, job, {}, display, 0, 1)
    try:
        runs = _when(shared, job, probe)
        combos = expand_matrix(resolve((job.get("strategy") or {}).get("matrix"), probe.contexts()))
        runs_on = _runs_on(job, combos, probe)
    except (Unevaluable, ExpressionError, BadWorkflow) as exc:
        return _unrehearsed(shared, job_id, display, f"cannot evaluate the job: {exc}")
    if not runs:
        shared.needs[job_id] = {"result": "skipped", "outputs": {}}
        return [JobResult(id=job_id, name=display, status="skipped", reason="its `if:` is false")]
    results = []
    outputs: dict[str, Any] = {}
    for index, combo in enumerate(combos):
        run = JobRun(
            shared, job_id, job, combo, _name(job, job_id, combo, probe), index, len(combos)
        )
        if runs_on[index] is not None:
            results.append(
                JobResult(
                    id=job_id,
                    name=run.result.name,
                    status="not_rehearsed",
                    matrix=matrix_of(combo),
                    reason=runs_on[index] or "",
                )
            )
            continue
        results.append(run.run())
        outputs.update(run.outputs())
    worst = {r.status for r in results}
    result = "failure" if "failed" in worst else "success"
    if worst <= {"not_rehearsed"}:
        result = "not_rehearsed"
    shared.needs[job_id] = {"result": result, "outputs": outputs}
    return results


def _unrehearsed(shared: Shared, job_id: str, display: str, reason: str) -> list[JobResult]:
    # Jobs that need this one are then not rehearsed either: its outputs are unknown.
    shared.needs[job_id] = {"result": "not_rehearsed", "outputs": {}}
    return [JobResult(id=job_id, name=display, status="not_rehearsed", reason=reason)]


def _blocked_by_needs(shared: Shared, job: dict[str, Any]) -> str | None:
    for needed in needs(job):
        if shared.needs.get(needed, {}).get("result") == "not_rehearsed":
            return f"it needs {needed}, which was not rehearsed"
    return None


def _when(shared: Shared, job: dict[str, Any], probe: JobRun) -> bool:
    from libs.cigen.rehearse.expressions import Functions, condition

    failed = any(shared.needs.get(n, {}).get("result") != "success" for n in needs(job))
    return condition(job.get("if"), probe.contexts(), Functions(failed=failed))


def _runs_on(job: dict[str, Any], combos: list[dict[str, Any]], probe: JobRun) -> list[str | None]:
    """For each combination, None when it runs on a Linux runner, else why not."""
    reasons: list[str | None] = []
    for combo in combos:
        probe.matrix = combo
        labels = resolve(job.get("runs-on", ""), probe.contexts())
        if isinstance(labels, dict):
            labels = labels.get("labels", "")
        names = [str(x).lower() for x in (labels if isinstance(labels, list) else [labels])]
        linux = any(n.startswith("ubuntu") or n == "linux" for n in names)
        reasons.append(None if linux else f"runs on {', '.join(names)}; only Linux is rehearsed")
    probe.matrix = {}
    return reasons


def _name(job: dict[str, Any], job_id: str, combo: dict[str, Any], probe: JobRun) -> str:
    probe.matrix = combo
    try:
        if job.get("name"):
            from libs.cigen.rehearse.expressions import interpolate

            return interpolate(str(job["name"]), probe.contexts())
    except (Unevaluable, ExpressionError):
        return str(job["name"])
    finally:
        probe.matrix = {}
    if combo:
        return f"{job_id} ({', '.join(str(v) for v in combo.values())})"
    return job_id
