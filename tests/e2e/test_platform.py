"""The whole platform as real processes: register a repository, sync it, follow it live."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.conftest import Stack
from tests.helpers import make_repo, parse_sse


async def follow(http: aiohttp.ClientSession, job_url: str) -> dict[str, Any]:
    """Wait for a job through its event stream; return it, asserting it succeeded."""
    async with http.get(f"{job_url}/events", timeout=aiohttp.ClientTimeout(total=120)) as sse:
        events = parse_sse(await sse.text())
    job = await (await http.get(job_url)).json()
    assert events[-1].event == "succeeded", job
    assert isinstance(job, dict)
    return job


async def test_register_sync_and_follow_over_sse(stack: Stack, tmp_path: Path) -> None:
    token = stack.cli("token", "create", "--login", "e2e", "--org", "e2e-org")
    assert token.startswith("ado_")
    headers = {"Authorization": f"Bearer {token}"}
    sha = make_repo(
        tmp_path / "project",
        {
            "README.md": "# project\n",
            "pyproject.toml": '[project]\nname = "p"\n',
            "tests/test_p.py": "def test_p():\n    pass\n",
        },
        branch="develop",
    )

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
        assert (shown["result"]["default_branch"], shown["result"]["commit"]) == ("develop", sha)
        assert shown["started_at"]
        assert shown["finished_at"]
        repo_now = await (await http.get(f"/v1/repos/{repo['id']}")).json()
        assert (repo_now["default_branch"], repo_now["last_commit"]) == ("develop", sha)

        # Resuming after the first event replays exactly the rest.
        resume = {"Last-Event-ID": events[0].id or ""}
        async with http.get(job["events_url"], headers=resume) as again:
            rest = parse_sse(await again.text())
        assert [(e.id, e.event) for e in rest] == [(e.id, e.event) for e in events[1:]]

        # The sync enqueued an analysis of HEAD, which enqueues CI generation.
        analysis_job = await follow(http, f"/v1/jobs/{shown['result']['analysis_job_id']}")
        assert analysis_job["commit_sha"] == sha
        analysis_id = analysis_job["result"]["analysis_id"]
        found = await (await http.get(f"/v1/analyses/{analysis_id}")).json()
        assert found["analysis"]["commit_sha"] == sha
        assert found["report"]["ai"]["status"] == "off"  # no GEMINI_API_KEY here
        assert found["report"]["score"]["overall"] == found["analysis"]["health_score"]
        listed = await (await http.get(f"/v1/repos/{repo['id']}/analyses")).json()
        assert [a["id"] for a in listed["items"]] == [analysis_id]
        await follow(http, f"/v1/jobs/{analysis_job['result']['ci_generation_job_id']}")
        (config,) = (await (await http.get(f"/v1/analyses/{analysis_id}/ci")).json())["items"]
        assert config["valid"] is True
        assert config["path"] == ".github/workflows/ci.yml"
        assert "permissions:" in config["content"]

    # Every process stops cleanly on SIGTERM.
    for proc in stack.procs.values():
        proc.send_signal(signal.SIGTERM)
    for name, proc in stack.procs.items():
        assert proc.wait(timeout=15) == 0, (stack.logs / f"{name}.log").read_text()[-2000:]


async def test_stopping_the_api_process_ends_open_streams(stack: Stack) -> None:
    """The api process (on its production event loop) closes a live stream on SIGTERM."""
    token = stack.cli("token", "create", "--login", "e2e-stop", "--org", "e2e-stop-org")
    headers = {"Authorization": f"Bearer {token}", "X-Request-ID": "e2e-stop-1"}
    api = stack.procs["api"]
    async with (
        aiohttp.ClientSession(stack.url, headers=headers) as http,
        http.get("/v1/events", timeout=aiohttp.ClientTimeout(total=30)) as sse,
    ):
        assert sse.status == 200
        assert sse.headers["X-Request-ID"] == "e2e-stop-1"
        assert (await sse.content.readuntil(b"\n\n")).startswith(b"retry:")
        api.send_signal(signal.SIGTERM)
        rest = await sse.content.read()  # returns once the server closes the stream
    assert b"server shutting down" in rest
    assert api.wait(timeout=15) == 0, (stack.logs / "api.log").read_text()[-2000:]
