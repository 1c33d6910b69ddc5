"""SSE fan-out: many open event streams on one api process, one event delivered to all.

Starts the api as its own process (on embedded PostgreSQL and Valkey unless DATABASE_URL
/ REDIS_URL are set), opens `--clients` streams of one organization's events at once
(GET /v1/events, each its own connection), then publishes `--events` job events as the
worker does and times each event from its XADD to its arrival on every stream (the
event carries its publication time). Clients are plain sockets with minimal parsing, so
the client side costs little next to the server. Prints the time to open the streams,
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
from dataclasses import dataclass, field
from pathlib import Path

from bench.webhooks import bench_stack, cpu_seconds, running, wait_healthy
from libs.common.config import load_settings
from libs.common.db import orgs, tokens
from libs.common.db.pool import connect
from libs.common.embedded import free_port
from libs.common.redis import events
from libs.common.redis.client import create_redis

TARGET_P99_MS = 100.0
TARGET_RSS_MB = 300.0


@dataclass
class Client:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    latencies: list[float] = field(default_factory=list)


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


async def open_stream(port: int, token: str) -> Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace").splitlines()[0])
    return Client(reader, writer)


async def listen(client: Client, expected: int) -> None:
    """Record each event's delay from its publication (`at`) to its arrival here."""
    buffer = b""
    while len(client.latencies) < expected:
        chunk = await client.reader.read(65536)
        if not chunk:
            return
        now = time.time()
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            for line in event.split(b"\n"):
                if line.startswith(b"data: {"):
                    client.latencies.append(now - json.loads(line[6:])["at"])


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
    began = time.perf_counter()
    clients = await asyncio.gather(*(open_stream(port, token) for _ in range(args.clients)))
    opened_s = time.perf_counter() - began
    await asyncio.sleep(1.0)  # every stream past its catch-up and subscribed
    listeners = [asyncio.create_task(listen(c, args.events)) for c in clients]
    cpu_before = cpu_seconds([pid])
    for i in range(args.events):
        event = events.JobEvent(type="progress", job_id="bench", kind="sync", message=f"e{i}")
        await events.publish(redis, settings, org_id, event)
        await asyncio.sleep(args.interval)
    _, pending = await asyncio.wait(listeners, timeout=10)
    cpu = cpu_seconds([pid]) - cpu_before
    rss = rss_mb(pid)
    for task in pending:
        task.cancel()
    for c in clients:
        c.writer.close()
    await redis.aclose()
    latencies = [x * 1000 for c in clients for x in c.latencies]
    delivered, expected = len(latencies), args.clients * args.events
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"{args.clients} streams opened at once in {opened_s:.2f} s")
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
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, args.clients * 2 + 256))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))  # the api inherits it
    with bench_stack("bench-sse-") as env, running() as procs:
        port = free_port()
        env |= {"API_PORT": str(port), "RATE_LIMIT_REQUESTS": "100000"}
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
