"""Webhook intake throughput: one api process against a bare aiohttp handler, same run.

Both servers run as their own processes on loopback and get the same signed push
deliveries (a realistic ~7 KB payload, each a push of its own commit with its own
delivery id, as GitHub sends them) from the same client at the same concurrency. The
api verifies the signature, deduplicates and XADDs every delivery to Redis (embedded
Valkey with AOF, as production runs Redis); the bare handler only answers 202; both run
on the api's event loop (uvloop where installed).
Five runs, each alternating rounds of both servers; prints each run's ratio, then both
throughputs, p99 latencies and CPU over all runs, and the median ratio.

    python -m bench.webhooks [--runs 5] [--requests 3000] [--concurrency 32] [--rounds 3]

Target: the median run's api throughput is at least 60 % of the bare handler's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from libs.common.crypto import generate_key
from libs.common.db.migrate import migrate
from libs.common.db.pool import connect
from libs.common.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from libs.github.signatures import sign
from services.api.__main__ import new_event_loop

SECRET = b"bench webhook secret"
TARGET_RATIO = 0.60


def push_payload(n: int = 0) -> bytes:
    """Push number `n`: a commit of its own, so no two deliveries are the same body."""
    commits = [
        {
            "id": f"{n:08x}" + uuid.uuid4().hex,
            "message": f"Commit {i}: refactor the module and update its tests",
            "timestamp": "2026-01-01T00:00:00Z",
            "author": {"name": "Octo Cat", "email": "octo@example.com", "username": "octo"},
            "added": [f"src/new_{i}.py"],
            "removed": [],
            "modified": [f"src/module_{j}.py" for j in range(8)],
        }
        for i in range(12)
    ]
    repository = {
        "id": 4242,
        "full_name": "octo/app",
        "default_branch": "main",
        "clone_url": "https://github.com/octo/app.git",
        "private": False,
        "owner": {"login": "octo", "id": 1},
        "description": "An application",
    }
    body = {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": f"{n:040x}",
        "deleted": False,
        "commits": commits,
        "head_commit": commits[-1],
        "repository": repository,
        "pusher": {"name": "octo", "email": "octo@example.com"},
        "sender": {"login": "octo", "id": 1},
    }
    return json.dumps(body).encode()


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]
    cpu_seconds: float = 0.0  # the server's CPU (and Redis's, for the api) over the run
    single_ms: float = 0.0  # median latency with one request at a time

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def p99_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / self.requests * 1e6


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes so far (Linux /proc; 0 elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def valkey_pids(port: int) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if b"valkey-server" in text and f":{port}".encode() in text:
            found.append(int(cmdline.parent.name))
    return found


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


Signed = tuple[bytes, str]  # a body and its X-Hub-Signature-256


class Pushes:
    """Signed push bodies made ahead of time, each handed out once."""

    def __init__(self) -> None:
        self.made = 0

    def take(self, count: int) -> list[Signed]:
        bodies = [push_payload(self.made + i) for i in range(count)]
        self.made += count
        return [(body, sign(SECRET, body)) for body in bodies]


async def drive(name: str, url: str, signed: list[Signed], concurrency: int) -> Result:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[Signed] = asyncio.Queue()
    for item in signed:
        queue.put_nowait(item)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            while not queue.empty():
                body, signature = queue.get_nowait()
                headers = {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "push",
                    "X-GitHub-Delivery": str(uuid.uuid4()),
                    "X-GitHub-Hook-ID": "1",
                    "X-Hub-Signature-256": signature,
                }
                started = time.perf_counter()
                async with session.post(f"{url}/webhooks/github", data=body, headers=headers) as r:
                    await r.read()
                    statuses[r.status] = statuses.get(r.status, 0) + 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return Result(name, len(signed), elapsed, latencies, statuses)


async def bare_app_main(port: int) -> None:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "accepted"}, status=202)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=25 * 1024 * 1024)
    app.router.add_post("/webhooks/github", accept)
    app.router.add_get("/health", health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def migrate_database(url: str) -> None:
    conn = await connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def bench_stack(prefix: str) -> Iterator[dict[str, str]]:
    """The api's environment on a migrated PostgreSQL and a Valkey with AOF (as production
    runs Redis): embedded ones in a temporary directory unless DATABASE_URL / REDIS_URL
    are set."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        pg = EmbeddedPostgres(Path(tmp) / "pg", delete_on_exit=True)
        redis = EmbeddedRedis(Path(tmp) / "redis")
        try:
            database_url = os.environ.get("DATABASE_URL") or pg.start("bench")
            redis_url = os.environ.get("REDIS_URL") or redis.start()
            asyncio.run(migrate_database(database_url))
            yield dict(os.environ) | {
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "GITHUB_WEBHOOK_SECRET": SECRET.decode(),
                # As in production: repository secrets are looked up (and cached) too.
                "ENCRYPTION_KEY": generate_key(),
                "LOG_LEVEL": "warning",
                "LOG_FORMAT": "json",
            }
        finally:
            redis.stop()
            pg.stop()


@contextlib.contextmanager
def running() -> Iterator[list[subprocess.Popen[bytes]]]:
    """A list to start processes into; every one is stopped when the block ends."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        yield procs
    finally:
        for proc in procs:
            stop(proc)


def redis_port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@dataclass
class Target:
    name: str
    url: str
    pids: list[int]  # whose CPU the requests cost


async def measure(
    args: argparse.Namespace, targets: list[Target]
) -> tuple[list[Result], list[list[Result]]]:
    """`args.runs` runs of alternating rounds, so load from anything else on the machine
    hits every target alike; returns the results over all runs, and each run's."""
    pushes = Pushes()
    for target in targets:  # warm every one: connections, caches
        await drive("warmup", target.url, pushes.take(200), args.concurrency)
    per_round = max(1, args.requests // args.rounds)
    rounds: dict[str, list[Result]] = {t.name: [] for t in targets}
    runs = []
    for _ in range(args.runs):
        this_run: dict[str, list[Result]] = {t.name: [] for t in targets}
        for _ in range(args.rounds):
            for target in targets:
                signed = pushes.take(per_round)
                before = cpu_seconds(target.pids)
                result = await drive(target.name, target.url, signed, args.concurrency)
                result.cpu_seconds = cpu_seconds(target.pids) - before
                this_run[target.name].append(result)
                rounds[target.name].append(result)
        runs.append([merge(name, results) for name, results in this_run.items()])
    merged = [merge(name, results) for name, results in rounds.items()]
    for target, result in zip(targets, merged, strict=True):
        # Latency of one delivery at a time: what GitHub sees from an idle server.
        single = await drive(target.name, target.url, pushes.take(args.single), 1)
        result.single_ms = sorted(single.latencies)[len(single.latencies) // 2] * 1000
    return merged, runs


def merge(name: str, results: list[Result]) -> Result:
    statuses: dict[int, int] = {}
    for r in results:
        for status, count in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Result(
        name,
        sum(r.requests for r in results),
        sum(r.seconds for r in results),
        [latency for r in results for latency in r.latencies],
        statuses,
        sum(r.cpu_seconds for r in results),
    )


def report(results: list[Result], runs: list[list[Result]], payload_bytes: int) -> bool:
    bare, api = results
    ratios = [api.throughput / bare.throughput for bare, api in runs]
    print(f"payload {payload_bytes} bytes, {api.requests} deliveries per server")
    for i, (run_bare, run_api) in enumerate(runs, 1):
        print(
            f"  run {i}: api {run_api.throughput:.0f} req/s, "
            f"bare {run_bare.throughput:.0f} req/s, ratio {ratios[i - 1]:.2f}"
        )
    for r in results:
        print(
            f"  {r.name:<22} {r.throughput:8.0f} req/s   p99 {r.p99_ms:7.2f} ms   "
            f"one at a time p50 {r.single_ms:5.2f} ms   server CPU {r.cpu_us:4.0f} us/req   "
            f"statuses {dict(sorted(r.statuses.items()))}"
        )
    ratio = statistics.median(ratios)
    ok = ratio >= TARGET_RATIO and set(api.statuses) == {202}
    verdict = "OK" if ok else "MISSED"
    each = ", ".join(f"{r:.2f}" for r in ratios)
    print(
        f"  ratio api/bare, median of {len(ratios)} runs ({each}): {ratio:.2f} "
        f"(target >= {TARGET_RATIO:.2f}) {verdict}"
    )
    if api.cpu_seconds and bare.cpu_seconds:
        # Throughput on a shared machine follows its load; CPU per request does not.
        print(f"  CPU per request, bare/api (api includes Redis): {bare.cpu_us / api.cpu_us:.2f}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="per server and run")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="per run")
    parser.add_argument("--single", type=int, default=300, help="sequential requests")
    parser.add_argument("--serve-bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        # The api's own event loop, so the ratio measures our code, not the loop.
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(bare_app_main(args.serve_bare))
        return
    with bench_stack("bench-webhooks-") as base, running() as procs:
        api_port, bare_port = free_port(), free_port()
        env = base | {"API_PORT": str(api_port)}
        procs.append(start([sys.executable, "-m", "services.api"], env))
        procs.append(
            start([sys.executable, "-m", "bench.webhooks", "--serve-bare", str(bare_port)], env)
        )
        api_url, bare_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{bare_port}"
        wait_healthy(api_url, procs[0])
        wait_healthy(bare_url, procs[1])
        targets = [
            Target("bare aiohttp 202", bare_url, [procs[1].pid]),
            Target(
                "api /webhooks/github",
                api_url,
                [procs[0].pid, *valkey_pids(redis_port(base["REDIS_URL"]))],
            ),
        ]
        results, runs = asyncio.run(measure(args, targets))
    ok = report(results, runs, len(push_payload()))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
