"""The whole platform as real processes: register a repository, sync it, follow it live."""

from __future__ import annotations

import signal
from pathlib import Path

import aiohttp

from tests.e2e.conftest import Stack
from tests.helpers import make_repo, parse_sse


async def test_register_sync_and_follow_over_sse(stack: Stack, tmp_path: Path) -> None:
    token = stack.cli("token", "create", "--login", "e2e", "--org", "e2e-org")
    assert token.startswith("ado_")
    headers = {"Authorization": f"Bearer {token}"}
    sha = make_repo(tmp_path / "project", {"README.md": "# project\n"}, branch="develop")

    async with aiohttp.ClientSession(stack.url, headers=headers) as http:
        created = await http.post("/v1/repos", json={"path": str(tmp_path / "project")})
        assert created.status == 201
        repo = await created.json()
        sync = await http.post(f"/v1/repos/{repo['id']}/sync")
        assert sync.status == 202
        job = await sync.json()

        # The stream ends by itself after the terminal event.
        async with http.get(job["events_url"], timeout=aiohttp.ClientTimeout(total=60)) as sse:
            assert sse.headers["Content-Type"].startswith("text/event-stream")
            events = parse_sse(await sse.text())
        assert [e.event for e in events][-1] == "succeeded"
        assert sha in events[-1].data
        assert all(e.id for e in events)

        shown = await (await http.get(f"/v1/jobs/{job['id']}")).json()
        assert shown["status"] == "succeeded"
        assert shown["attempts"] == 1
        assert shown["result"] == {"default_branch": "develop", "commit": sha}
        assert shown["started_at"]
        assert shown["finished_at"]
        repo_now = await (await http.get(f"/v1/repos/{repo['id']}")).json()
        assert (repo_now["default_branch"], repo_now["last_commit"]) == ("develop", sha)

        # Resuming after the first event replays exactly the rest.
        resume = {"Last-Event-ID": events[0].id or ""}
        async with http.get(job["events_url"], headers=resume) as again:
            rest = parse_sse(await again.text())
        assert [(e.id, e.event) for e in rest] == [(e.id, e.event) for e in events[1:]]

    # Every process stops cleanly on SIGTERM.
    for proc in stack.procs.values():
        proc.send_signal(signal.SIGTERM)
    for name, proc in stack.procs.items():
        assert proc.wait(timeout=15) == 0, (stack.logs / f"{name}.log").read_text()[-2000:]
