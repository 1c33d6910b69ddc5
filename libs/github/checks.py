"""What the GitHub App posts about an analysis: a Check Run with annotations, and SARIF.

GitHub takes at most 50 annotations per create/update request and appends those of each
update, so the first batch goes with the create and the rest in updates. Annotations are
kept to the lines a push or pull request changed: a finding nobody touched is in the
report, not on the diff.
"""

from __future__ import annotations

import base64
import gzip
import re
from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from libs.github.client import GitHubClient, split_name
from libs.github.errors import Forbidden, NotFound

CHECK_NAME = "AutoDevOps health"
PER_REQUEST = 50  # GitHub's annotation limit per request
MAX_ANNOTATIONS = 500  # beyond this, the summary says how many more there are
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")

Level = Literal["notice", "warning", "failure"]
Conclusion = Literal["success", "neutral", "failure"]
Changed = dict[str, set[int] | None]  # path -> changed lines (None: the whole file)


class Annotation(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    start_line: int
    end_line: int
    annotation_level: Level
    message: str
    title: str


class CheckOutput(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    summary: str
    text: str | None = None


def added_lines(patch: str) -> set[int]:
    """The new file's line numbers a unified diff adds or changes."""
    lines: set[int] = set()
    number = 0
    for row in patch.splitlines():
        hunk = _HUNK.match(row)
        if hunk:
            number = int(hunk.group(1))
        elif row.startswith("+"):
            lines.add(number)
            number += 1
        elif not row.startswith("-") and not row.startswith("\\"):
            number += 1
    return lines


def changed_from_files(files: Iterable[dict[str, Any]]) -> Changed:
    """{path: lines} from GitHub's file list (pull request files, a comparison's files);
    a file without a patch (binary, or a diff too large to show) counts as changed whole."""
    changed: Changed = {}
    for item in files:
        if item.get("status") == "removed":
            continue
        patch = item.get("patch")
        changed[str(item["filename"])] = added_lines(patch) if isinstance(patch, str) else None
    return changed


def on_changed_lines(
    annotations: Iterable[Annotation], changed: Changed | None
) -> list[Annotation]:
    """The annotations on changed lines (all of them when nothing says what changed)."""
    if changed is None:
        return list(annotations)
    kept = []
    for note in annotations:
        if note.path not in changed:
            continue
        lines = changed[note.path]
        if lines is None or note.start_line in lines:
            kept.append(note)
    return kept


async def changed_in_pull(client: GitHubClient, full_name: str, number: int) -> Changed:
    owner, repo = split_name(full_name)
    files = await client.collect(
        client.api.getiter(
            "/repos/{owner}/{repo}/pulls/{number}/files{?per_page}",
            {"owner": owner, "repo": repo, "number": str(number), "per_page": "100"},
        )
    )
    return changed_from_files(files)


async def changed_between(client: GitHubClient, full_name: str, base: str, head: str) -> Changed:
    owner, repo = split_name(full_name)
    data = await client.call(
        client.api.getitem(
            "/repos/{owner}/{repo}/compare/{basehead}",
            {"owner": owner, "repo": repo, "basehead": f"{base}...{head}"},
        )
    )
    return changed_from_files(data.get("files") or [])


async def publish_check_run(
    client: GitHubClient,
    full_name: str,
    *,
    head_sha: str,
    external_id: str,
    conclusion: Conclusion,
    output: CheckOutput,
    annotations: list[Annotation],
    details_url: str | None = None,
) -> int:
    """Create the completed check run (or update the one this analysis already created:
    jobs run at least once) and attach its annotations in batches; the check run's id."""
    owner, repo = split_name(full_name)
    names = {"owner": owner, "repo": repo}
    existing = await client.collect(
        client.api.getiter(
            "/repos/{owner}/{repo}/commits/{ref}/check-runs{?check_name,filter}",
            {**names, "ref": head_sha, "check_name": CHECK_NAME, "filter": "latest"},
            iterable_key="check_runs",
        )
    )
    batches = [annotations[i : i + PER_REQUEST] for i in range(0, len(annotations), PER_REQUEST)]
    first = batches[0] if batches else []
    body: dict[str, Any] = {
        "name": CHECK_NAME,
        "head_sha": head_sha,
        "external_id": external_id,
        "status": "completed",
        "conclusion": conclusion,
        "output": {**msgspec.to_builtins(output), "annotations": msgspec.to_builtins(first)},
    }
    if details_url:
        body["details_url"] = details_url
    ours = [run for run in existing if run.get("external_id") == external_id]
    if ours:
        run_id = int(ours[0]["id"])
        url = "/repos/{owner}/{repo}/check-runs/{run_id}"
        await client.call(client.api.patch(url, {**names, "run_id": str(run_id)}, data=body))
    else:
        created = await client.call(
            client.api.post("/repos/{owner}/{repo}/check-runs", names, data=body)
        )
        run_id = int(created["id"])
    for batch in batches[1:]:
        await client.call(
            client.api.patch(
                "/repos/{owner}/{repo}/check-runs/{run_id}",
                {**names, "run_id": str(run_id)},
                data={
                    "output": {
                        **msgspec.to_builtins(output),
                        "annotations": msgspec.to_builtins(batch),
                    }
                },
            )
        )
    return run_id


async def upload_sarif(
    client: GitHubClient, full_name: str, *, commit_sha: str, ref: str, sarif: str
) -> str | None:
    """Upload SARIF to code scanning; its upload id, or None where code scanning is off
    (GitHub answers 404, or 403 when Advanced Security is not enabled)."""
    owner, repo = split_name(full_name)
    payload = base64.b64encode(gzip.compress(sarif.encode())).decode()
    try:
        data = await client.call(
            client.api.post(
                "/repos/{owner}/{repo}/code-scanning/sarifs",
                {"owner": owner, "repo": repo},
                data={
                    "commit_sha": commit_sha,
                    "ref": ref,
                    "sarif": payload,
                    "tool_name": "autodevops",
                },
            )
        )
    except (NotFound, Forbidden):
        return None
    return str(data.get("id")) if isinstance(data, dict) else None
