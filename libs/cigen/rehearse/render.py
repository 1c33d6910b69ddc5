"""The rehearsal report as text (the JSON form is the `Rehearsal` struct itself)."""

from __future__ import annotations

from collections import Counter

from libs.cigen.rehearse.model import JobResult, Rehearsal, StepResult

_STEP = {
    "passed": "passed",
    "failed": "FAILED",
    "skipped": "skipped",
    "not_rehearsed": "NOT REHEARSED",
}
_JOB = {
    "passed": "passed",
    "failed": "FAILED",
    "partial": "passed in part",
    "skipped": "skipped",
    "not_rehearsed": "NOT REHEARSED",
}


def step_line(step: StepResult) -> str:
    timing = f", {step.seconds:.1f} s" if step.seconds is not None else ""
    reason = f": {step.reason}" if step.reason else ""
    tolerated = " (continue-on-error)" if step.continue_on_error and step.status == "failed" else ""
    return f"  {_STEP[step.status]:<13} {step.name}{tolerated}{reason}{timing}"


def render_text(rehearsal: Rehearsal) -> str:
    lines = [f"Rehearsal of {rehearsal.workflow} on {rehearsal.root} (as a {rehearsal.event})"]
    if rehearsal.as_of:
        lines.append(
            f"AS OF {rehearsal.as_of} ({rehearsal.as_of_origin}): package managers resolve "
            "as of that date where they can; each step says which were dated"
        )
    lines.append("")
    for job in rehearsal.jobs:
        lines += _job(job)
    counts: Counter[str] = Counter(job.status for job in rehearsal.jobs)
    summary = ", ".join(f"{counts[s]} {_JOB[s]}" for s in _JOB if counts[s])
    lines.append(f"{len(rehearsal.jobs)} job(s): {summary or 'none'}")
    if rehearsal.as_of:
        lines.append(f"dependencies resolved as of {rehearsal.as_of}, not today (--as-of)")
    if rehearsal.kept:
        lines.append(f"kept: {rehearsal.kept}")
    return "\n".join(lines) + "\n"


def _job(job: JobResult) -> list[str]:
    title = f"{job.name} [{job.id}]" if job.name != job.id else job.id
    reason = f": {job.reason}" if job.reason and job.status != "failed" else ""
    lines = [
        f"{_JOB[job.status].upper() if job.status == 'failed' else _JOB[job.status]}"
        f" - {title}{reason} ({job.seconds:.1f} s)"
    ]
    lines += [f"  stood in: {note}" for note in job.substitutions]
    for step in job.steps:
        lines.append(step_line(step))
        if step.dating:
            lines.append(f"      resolution: {step.dating}")
        if step.output_tail:
            lines += [f"      | {line}" for line in step.output_tail.splitlines()]
    lines.append("")
    return lines
