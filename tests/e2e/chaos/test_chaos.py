"""Chaos on the platform `make run` starts: `kill -9` the worker mid-job, then Valkey, then
PostgreSQL, and watch it heal by itself.

The system under test is `autodevops dev` with its embedded servers: the test only kills
processes; the supervisor brings them back and the services reconnect. Measured and
printed (run with -s): the time from a worker being back to the killed job's result, the
time from each server being back to /ready 200, and the rate at which the webhook backlog
built during the PostgreSQL outage drains.

Checked: the killed job finishes once (two attempts, one analysis) within 60 s of a worker
being back, and the killed attempt's scratch tree is gone; /ready is 503 during each outage
and 200 within 10 s of the server answering again, on the api and on the worker; the api,
worker and scheduler are the same processes throughout the outages; every delivery
accepted before and during the outages is recorded once, processed, none dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from redis.asyncio import Redis

from bench.webhooks import cpu_seconds
from libs.common.embedded import free_port
from libs.github.signatures import sign
from tests.fakes.gemini import FakeGemini, Reply
from tests.helpers import ROOT, make_repo

# Never beside another test that starts a whole platform or times a worker's calls: on
# two cores, a chaos or crash test beside the pipeline's Gemini-fault tests stalled the
# embedded PostgreSQL past those tests' bounds (`make test` runs pytest with --dist loadgroup).
pytestmark = pytest.mark.xdist_group("whole-platform")

SECRET = "chaos webhook secret"
HOOK_ID = "77"
REPOS = 3
BEFORE = 60  # deliveries before the outages
DURING_REDIS = 30  # tried while Valkey is down (most are refused with 503)
BACKLOG = 800  # tried while PostgreSQL is down: accepted, and drained once it is back
IN_FLIGHT = 32


@dataclass
class Dev:
    """`autodevops dev` running, with what it printed."""

    proc: subprocess.Popen[bytes]
    log: Path
    data: Path
    url: str
    worker_url: str
    redis_port: int
    workdir: Path
    token: str = ""
    database_url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> dict[int, str]:
        """pid → command line of every process `autodevops dev` started itself."""
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                found[int(entry.name)] = command
        return found

    def pid_of(self, needle: str) -> int:
        (pid,) = [p for p, command in self.children().items() if needle in command]
        return pid

    def services(self) -> dict[str, int]:
        return {name: self.pid_of(f"services.{name}") for name in ("api", "worker", "scheduler")}

    def postgres_pid(self) -> int:
        return int((self.data / "postgres" / "postmaster.pid").read_text().split()[0])

    def postgres_pids(self) -> list[int]:
        """The postmaster and its backends."""
        postmaster = self.postgres_pid()
        pids = [postmaster]
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == postmaster:
                    pids.append(int(entry.name))
        return pids


@pytest.fixture
def dev(tmp_path: Path, fake_gemini: FakeGemini) -> Iterator[Dev]:
    port, worker_port, redis_port = free_port(), free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DATA_DIR")
    }
    env |= {
        "API_PORT": str(port),
        "WORKER_METRICS_PORT": str(worker_port),
        "SCHEDULER_METRICS_PORT": "0",
        "GITHUB_WEBHOOK_SECRET": SECRET,
        # Nothing may reach the real GitHub: the pushes' jobs fail fast on a closed port.
        "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}",
        "GEMINI_API_KEY": "test-key",
        "GEMINI_BASE_URL": fake_gemini.url,
        "GEMINI_TIMEOUT_SECONDS": "60",
        "WORKDIR": str(tmp_path / "work"),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "warning",
        "ENVIRONMENT": "test",
        # The test polls job states several times a second.
        "RATE_LIMIT_REQUESTS": "100000",
    }
    log = tmp_path / "dev.log"
    # The embedded PostgreSQL's data lives in RAM where it can: initdb and the crash
    # recovery after the kill are then not at the mercy of a shared disk.
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    data = base / f"autodevops-chaos-{uuid.uuid4().hex[:12]}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "dev", "--data-dir", str(data)]
            + ["--redis-port", str(redis_port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Dev(
        proc,
        log,
        data,
        f"http://127.0.0.1:{port}",
        f"http://127.0.0.1:{worker_port}",
        redis_port,
        tmp_path / "work",
    )
    try:
        deadline = time.monotonic() + 120
        while "AutoDevOps is ready" not in running.output():
            assert proc.poll() is None, running.output()[-3000:]
            assert time.monotonic() < deadline, running.output()[-3000:]
            time.sleep(0.3)
        text = running.output()
        running.token = re.findall(r"admin API token \(shown once[^)]*\): (\S+)", text)[0]
        running.database_url = re.findall(r"DATABASE_URL=(\S+)", text)[0]
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(data, ignore_errors=True)


async def _until(check: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> float:
    """Poll `check` until true; the monotonic time it first was."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await check():
            return time.monotonic()
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _status(http: aiohttp.ClientSession, url: str) -> int:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=3)) as answer:
            return answer.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def _ready(http: aiohttp.ClientSession, dev: Dev) -> tuple[int, int]:
    return await _status(http, f"{dev.url}/ready"), await _status(http, f"{dev.worker_url}/ready")


@dataclass
class Deliveries:
    accepted: list[str] = field(default_factory=list)
    refused: int = 0
    sent: int = 0  # numbers every body, so no two are alike


def _push(index: int) -> bytes:
    repo = index % REPOS
    body = {
        "ref": "refs/heads/main",
        # Each body differs (the intake treats the same body again as a replay), while
        # `after` is one commit per repository: the deliveries' jobs are reused.
        "before": hashlib.sha1(f"{index}".encode()).hexdigest(),
        "after": f"{repo + 1:x}" * 40,
        "repository": {
            "id": 7000 + repo,
            "full_name": f"octo/chaos-{repo}",
            "default_branch": "main",
        },
    }
    return json.dumps(body).encode()


async def _deliver(http: aiohttp.ClientSession, dev: Dev, count: int, into: Deliveries) -> None:
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(index: int) -> None:
        guid, body = str(uuid.uuid4()), _push(index)
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": guid,
            "X-GitHub-Hook-ID": HOOK_ID,
            "X-Hub-Signature-256": sign(SECRET, body),
        }
        async with gate:
            try:
                async with http.post(
                    f"{dev.url}/webhooks/github", data=body, headers=headers
                ) as answer:
                    status = answer.status
            except aiohttp.ClientError:
                status = 0
        if status == 202:
            into.accepted.append(guid)
        else:
            into.refused += 1

    first, into.sent = into.sent, into.sent + count
    await asyncio.gather(*(one(i) for i in range(first, first + count)))


async def _processed(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM webhook_deliveries WHERE hook_id = $1 AND status = 'processed'",
        int(HOOK_ID),
    )
    return count


async def _postgres_answers(dev: Dev) -> bool:
    try:
        conn = await asyncpg.connect(dev.database_url, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _kill_worker_mid_job(
    http: aiohttp.ClientSession, dev: Dev, fake_gemini: FakeGemini, tmp_path: Path
) -> tuple[dict[str, float], str]:
    """Figures, and the repository it analysed."""
    commit = make_repo(tmp_path / "project", {"README.md": "# app\n", "main.py": "print(1)\n"})
    async with http.post("/v1/repos", json={"path": str(tmp_path / "project")}) as created:
        assert created.status == 201, await created.text()
        repo = await created.json()
    fake_gemini.script(Reply(delay=60))  # the first call hangs: the worker dies in it
    async with http.post(f"/v1/repos/{repo['id']}/analyze", json={"commit": commit}) as answer:
        assert answer.status == 202, await answer.text()
        job = await answer.json()

    async def calling() -> bool:
        return len(fake_gemini.calls()) == 1

    await _until(calling, 60, "the analysis to call Gemini")
    left = list(dev.workdir.glob("autodevops-*"))
    assert left, "the attempt unpacks its tree in the workdir"
    victim = dev.pid_of("services.worker")
    os.kill(victim, signal.SIGKILL)
    killed = time.monotonic()

    async def worker_back() -> bool:
        pids = [p for p, c in dev.children().items() if "services.worker" in c]
        return bool(pids) and pids != [victim]

    back = await _until(worker_back, 60, "the supervisor to restart the worker")

    async def swept() -> bool:
        return not any(path.exists() for path in left)

    swept_at = await _until(swept, 60, "the killed attempt's tree to be removed")

    async def finished() -> bool:
        async with http.get(f"/v1/jobs/{job['id']}") as answer:
            return (await answer.json())["status"] in ("succeeded", "failed")

    done = await _until(finished, 90, "the killed job to finish")
    async with http.get(f"/v1/jobs/{job['id']}") as answer:
        shown = await answer.json()
    assert shown["status"] == "succeeded", shown
    assert shown["attempts"] == 2
    assert len(fake_gemini.calls()) == 2
    conn = await asyncpg.connect(dev.database_url)
    try:
        analyses = await conn.fetchval(
            "SELECT count(*) FROM analyses WHERE job_id = $1", uuid.UUID(job["id"])
        )
    finally:
        await conn.close()
    assert analyses == 1
    assert done - back < 60
    figures = {
        "worker back after kill": back - killed,
        "re-run done after worker back": done - back,
        "tree removed after worker back": swept_at - back,
    }
    return figures, repo["id"]


async def _analysis_runs(http: aiohttp.ClientSession, repo_id: str, tmp_path: Path) -> None:
    """A new commit is analysed to the end: the worker's queue loop survived the outages."""
    commit = make_repo(tmp_path / "project", {"CHANGELOG.md": "# after the outages\n"})
    async with http.post(f"/v1/repos/{repo_id}/analyze", json={"commit": commit}) as answer:
        assert answer.status == 202, await answer.text()
        job = await answer.json()

    async def finished() -> bool:
        async with http.get(f"/v1/jobs/{job['id']}") as answer:
            return (await answer.json())["status"] in ("succeeded", "failed")

    await _until(finished, 60, "an analysis after the outages")
    async with http.get(f"/v1/jobs/{job['id']}") as answer:
        shown = await answer.json()
    assert (shown["status"], shown["attempts"]) == ("succeeded", 1), shown


async def _outage(
    http: aiohttp.ClientSession,
    dev: Dev,
    kill: Callable[[], None],
    answers: Callable[[], Awaitable[bool]],
    during: Callable[[], Awaitable[None]],
) -> tuple[float, float, float]:
    """Kill a server, see 503, do `during`, wait for it to answer again and for /ready
    200 on the api and the worker; (down for, ready after back, back at)."""
    kill()
    killed = time.monotonic()

    # The supervisor restarts a server after a second: each /ready is polled on its own
    # until it has said 503 once.
    seen: set[str] = set()

    async def refused() -> bool:
        for name, url in (("api", dev.url), ("worker", dev.worker_url)):
            if name not in seen and await _status(http, f"{url}/ready") == 503:
                seen.add(name)
        return len(seen) == 2

    await _until(refused, 15, "/ready to say 503 on the api and the worker")
    await during()
    back = await _until(answers, 60, "the supervisor to restart the server")

    async def ready() -> bool:
        return await _ready(http, dev) == (200, 200)

    ready_at = await _until(ready, 30, "/ready 200 on the api and the worker")
    return back - killed, ready_at - back, back


@pytest.mark.timeout(420)
async def test_the_platform_heals_itself(dev: Dev, fake_gemini: FakeGemini, tmp_path: Path) -> None:
    figures: dict[str, float] = {}
    headers = {"Authorization": f"Bearer {dev.token}"}
    async with aiohttp.ClientSession(dev.url, headers=headers) as http:
        for repo in range(REPOS):
            url = f"https://github.com/octo/chaos-{repo}"
            async with http.post("/v1/repos", json={"url": url}) as created:
                assert created.status == 201, await created.text()
        killed, local_repo = await _kill_worker_mid_job(http, dev, fake_gemini, tmp_path)
        figures |= killed

    services = dev.services()
    sent = Deliveries()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        await _deliver(http, dev, BEFORE, sent)
        assert sent.refused == 0

        redis = Redis(port=dev.redis_port, socket_connect_timeout=1)

        async def redis_answers() -> bool:
            try:
                return bool(await redis.ping())
            except Exception:
                return False

        async def while_redis_down() -> None:
            await _deliver(http, dev, DURING_REDIS, sent)

        valkey = dev.pid_of("valkey-server")
        down, ready, _ = await _outage(
            http, dev, lambda: os.kill(valkey, signal.SIGKILL), redis_answers, while_redis_down
        )
        await redis.aclose()
        figures |= {"Valkey down": down, "ready after Valkey back": ready}
        assert ready < 10

        before_pg = len(sent.accepted)
        sending: list[float] = []

        async def postgres_answers() -> bool:
            return await _postgres_answers(dev)

        async def while_postgres_down() -> None:
            await _deliver(http, dev, BACKLOG, sent)
            sending.append(time.monotonic())

        postgres = dev.postgres_pid()
        down, ready, back = await _outage(
            http,
            dev,
            lambda: os.kill(postgres, signal.SIGKILL),
            postgres_answers,
            while_postgres_down,
        )
        figures |= {"PostgreSQL down": down, "ready after PostgreSQL back": ready}
        assert ready < 10
        backlog_accepted = len(sent.accepted) - before_pg
        # The drain counts from when the database answered and every delivery was in.
        start = max(back, sending[0])
        conn = await asyncpg.connect(dev.database_url)
        try:
            at_start = await _processed(conn)
            cpu_start = cpu_seconds([services["worker"], *dev.postgres_pids()])

            async def drained() -> bool:
                return await _processed(conn) >= len(sent.accepted)

            drained_at = await _until(drained, 120, "every accepted delivery to be processed")
        finally:
            await conn.close()
        cpu = cpu_seconds([services["worker"], *dev.postgres_pids()]) - cpu_start
        drained_count = len(sent.accepted) - at_start
        figures["drain (deliveries/s)"] = drained_count / max(drained_at - start, 0.001)
        # The machine is shared: the rate per CPU-second of the worker and PostgreSQL says
        # what one free core would drain.
        figures["drain per CPU-second (worker + PostgreSQL)"] = drained_count / max(cpu, 0.001)

    assert dev.services() == services, "no service process was restarted"
    async with aiohttp.ClientSession(dev.url, headers=headers) as http:
        await _analysis_runs(http, local_repo, tmp_path)
    conn = await asyncpg.connect(dev.database_url)
    try:
        rows = await conn.fetch(
            "SELECT delivery_id, status FROM webhook_deliveries WHERE hook_id = $1",
            int(HOOK_ID),
        )
    finally:
        await conn.close()
    redis = Redis(port=dev.redis_port)
    try:
        dead = await redis.xlen("webhooks:dead")
    finally:
        await redis.aclose()
    recorded = [r["delivery_id"] for r in rows]
    assert sorted(recorded) == sorted(sent.accepted)  # each accepted one, once
    assert {r["status"] for r in rows} == {"processed"}
    assert dead == 0
    assert backlog_accepted >= BACKLOG // 2
    print(  # noqa: T201 (the figures, shown with -s)
        "\nchaos: "
        + "; ".join(f"{name} {value:.1f}" for name, value in figures.items())
        + f"; accepted {len(sent.accepted)} deliveries ({backlog_accepted} during the"
        f" PostgreSQL outage, {drained_count} drained), refused {sent.refused} while Valkey"
        " was down"
    )
