"""SSE fan-out: many open event streams on one api process, one event delivered to all.

Starts the api as its own process (on embedded PostgreSQL and Valkey unless DATABASE_URL
/ REDIS_URL are set), opens `--clients` streams of one organization's events at once
(GET /v1/events, each its own connection), then publishes `--events` job events as the
worker does and times each event from its XADD to its arrival on every stream (the
event carries its publication time). The clients live in a process of their own, on
uvloop, and only note each read's arrival time while events come (they parse afterwards),
so what is timed is the server's fan-out, not a client process busy with its other 999
streams or with publishing. Prints the time to open the streams,
the delivery p50/p99 and lost events, the api's RSS and its CPU per delivered event.

    python -m bench.sse_fanout [--clients 1000] [--events 20]

Targets (issue 17): p99 <= 100 ms with 1,000 streams, no event lost, api RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import cast

from bench.webhooks import bench_stack, cpu_seconds, running, wait_healthy
from libs.common.config import load_settings
from libs.common.db import orgs, tokens
from libs.common.db.pool import connect
from libs.common.embedded import free_port
from libs.common.redis import events
from libs.common.redis.client import create_redis
from services.api.__main__ import new_event_loop

TARGET_P99_MS = 100.0
TARGET_RSS_MB = 300.0


async def make_token(database_url: str) -> tuple[str, str]:
    conn = await connect(database_url)
    try:
        user_id, org_id = await orgs.bootstrap_admin(
            conn, login="bench", org_slug=f"bench-sse-{uuid.uuid4().hex[:8]}"
        )
        token, _ = await tokens.create_token(conn, org_id, user_id, "bench")
    finally:
        await conn.close()
    return token, str(org_id)


class Stream(asyncio.Protocol):
    """One event stream as the client process sees it: every read kept with its arrival
    time, parsed only after the run, so a read costs one callback and no parsing."""

    def __init__(self, request: bytes, answered: asyncio.Future[None]) -> None:
        self.request, self.answered = request, answered
        self.reads: list[tuple[float, bytes]] = []
        self.events = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        cast(asyncio.Transport, transport).write(self.request)  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        self.reads.append((time.time(), data))
        if not self.answered.done():
            head = b"".join(chunk for _, chunk in self.reads)
            if b"\r\n\r\n" in head:
                ok = head.startswith(b"HTTP/1.1 200")
                error = RuntimeError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
                self.answered.set_result(None) if ok else self.answered.set_exception(error)
        self.events += data.count(b"data: {")

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_exception(exc or ConnectionError("closed before answering"))

    def latencies(self) -> list[float]:
        """Each event's delay from its publication (`at`) to the read that completed it."""
        found, buffer = [], b""
        for arrived, chunk in self.reads:
            buffer += chunk
            *events, buffer = buffer.split(b"\n\n")
            for event in events:
                for line in event.split(b"\n"):
                    if line.startswith(b"data: {"):
                        found.append(arrived - json.loads(line[6:])["at"])
        return found


async def follow(port: int, token: str, clients: int, expected: int, deadline_s: float) -> None:
    """The client process: open every stream at once, say so on stdout, take events until
    each stream has `expected` or the deadline passes, print the measurements as JSON."""
    loop = asyncio.get_running_loop()
    request = (
        "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()

    async def open_stream() -> Stream:
        answered = loop.create_future()
        _, stream = await loop.create_connection(
            lambda: Stream(request, answered), "127.0.0.1", port
        )
        await answered
        return stream

    began = time.perf_counter()
    streams = await asyncio.gather(*(open_stream() for _ in range(clients)))
    print(json.dumps({"opened_s": time.perf_counter() - began}), flush=True)
    until = time.monotonic() + deadline_s
    while time.monotonic() < until and any(s.events < expected for s in streams):
        await asyncio.sleep(0.05)
    latencies = [x for s in streams for x in s.latencies()]
    print(json.dumps({"latencies": latencies}), flush=True)


def client_process(args: argparse.Namespace, port: int, token: str) -> subprocess.Popen[str]:
    deadline_s = args.events * args.interval + 15
    return subprocess.Popen(
        [sys.executable, "-m", "bench.sse_fanout", "--client-of", str(port), "--token", token]
        + ["--clients", str(args.clients), "--events", str(args.events)]
        + ["--deadline", str(deadline_s)],
        stdout=subprocess.PIPE,
        text=True,
    )


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


async def run(args: argparse.Namespace, port: int, token: str, org_id: str, pid: int) -> bool:
    settings = load_settings()
    redis = create_redis(settings)
    client = client_process(args, port, token)
    assert client.stdout is not None
    opened = json.loads(await asyncio.to_thread(client.stdout.readline))
    await asyncio.sleep(1.0)  # every stream past its catch-up and subscribed
    cpu_before = cpu_seconds([pid])
    for i in range(args.events):
        event = events.JobEvent(type="progress", job_id="bench", kind="sync", message=f"e{i}")
        await events.publish(redis, settings, org_id, event)
        await asyncio.sleep(args.interval)
    measured = json.loads(await asyncio.to_thread(client.stdout.readline))
    cpu = cpu_seconds([pid]) - cpu_before
    rss = rss_mb(pid)
    client.wait()
    await redis.aclose()
    latencies = [x * 1000 for x in measured["latencies"]]
    delivered, expected = len(latencies), args.clients * args.events
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"{args.clients} streams opened at once in {opened['opened_s']:.2f} s")
    print(
        f"  {args.events} events to every stream: delivered {delivered}/{expected}, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms (target <= {TARGET_P99_MS:.0f})"
    )
    print(f"  api RSS {rss:.0f} MB (target <= {TARGET_RSS_MB:.0f})")
    if delivered:
        print(f"  api CPU per delivered event: {cpu / delivered * 1e6:.1f} us")
    ok = delivered == expected and p99 <= TARGET_P99_MS and rss <= TARGET_RSS_MB
    print(f"  {'OK' if ok else 'MISSED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between events")
    parser.add_argument(
        "--api-root",
        default=None,
        help="run the api of another checkout (e.g. an older commit's) to compare",
    )
    parser.add_argument("--client-of", type=int, help=argparse.SUPPRESS)  # the client process
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--deadline", type=float, default=30.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, args.clients * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the api inherits it
    if args.client_of:
        loop = new_event_loop()
        loop.run_until_complete(
            follow(args.client_of, args.token, args.clients, args.events, args.deadline)
        )
        return
    with bench_stack("bench-sse-") as env, running() as procs:
        port = free_port()
        env |= {
            "API_PORT": str(port),
            "RATE_LIMIT_REQUESTS": "100000",
            # every stream here is opened with one token
            "SSE_MAX_STREAMS_PER_CREDENTIAL": str(args.clients),
        }
        profile = os.environ.get("BENCH_PROFILE")  # a cProfile output path, to see the costs
        command = ["-m", "cProfile", "-o", profile] if profile else []
        procs.append(
            subprocess.Popen(
                [sys.executable, *command, "-m", "services.api"],
                env=env,
                cwd=args.api_root,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        wait_healthy(f"http://127.0.0.1:{port}", procs[0])
        token, org_id = asyncio.run(make_token(env["DATABASE_URL"]))
        os.environ.update(env)  # load_settings() in run() reads the same servers
        ok = asyncio.run(run(args, port, token, org_id, procs[0].pid))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
