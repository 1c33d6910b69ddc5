"""What tracing costs the api: webhook intake with tracing off, as shipped, and exporting.

Three api processes on loopback get the same signed push deliveries in alternating rounds
(bench.webhooks' driver): with `OTEL_SDK_DISABLED=true` (the baseline: no spans at all),
as shipped without a collector (request spans only, so log lines carry trace ids), and
exporting every span (Redis and PostgreSQL calls included) over OTLP/HTTP to a local sink.
Prints throughput, p99 and server CPU per request, and each ratio against the baseline.

    python -m bench.tracing [--requests 3000] [--concurrency 32] [--rounds 6]

Target: as shipped, the api keeps at least 90 % of the baseline's throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiohttp import web

from bench.webhooks import (
    Result,
    Target,
    bench_stack,
    measure,
    push_payload,
    redis_port,
    running,
    start,
    valkey_pids,
    wait_healthy,
)
from libs.common.embedded import free_port

GUIDE_RATIO = 0.90


async def sink_main(port: int) -> None:
    """An OTLP/HTTP receiver that accepts and drops every export."""

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200, content_type="application/x-protobuf")

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


def report(results: list[Result], payload_bytes: int) -> bool:
    baseline = results[0]
    print(f"payload {payload_bytes} bytes, {baseline.requests} deliveries per api")
    for r in results:
        print(
            f"  {r.name:<30} {r.throughput:7.0f} req/s   p99 {r.p99_ms:7.2f} ms   "
            f"one at a time p50 {r.single_ms:5.2f} ms   CPU {r.cpu_us:4.0f} us/req   "
            f"throughput ratio {r.throughput / baseline.throughput:.2f}   "
            f"CPU ratio {r.cpu_us / baseline.cpu_us if baseline.cpu_us else 0:.2f}"
        )
    shipped = results[1]
    ratio = shipped.throughput / baseline.throughput
    # No issue sets a target here: the guide figure is printed, and only a delivery that
    # was not accepted fails the run.
    print(
        f"  as shipped / tracing off: {ratio:.2f} (guide >= {GUIDE_RATIO:.2f}: "
        f"{'within' if ratio >= GUIDE_RATIO else 'below'})"
    )
    return all(set(r.statuses) == {202} for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--single", type=int, default=200, help="sequential requests")
    parser.add_argument("--serve-sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_sink:
        asyncio.run(sink_main(args.serve_sink))
        return
    with bench_stack("bench-tracing-") as base, running() as procs:
        sink_port = free_port()
        procs.append(
            start([sys.executable, "-m", "bench.tracing", "--serve-sink", str(sink_port)], base)
        )
        variants = [
            ("tracing off (OTEL_SDK_DISABLED)", {"OTEL_SDK_DISABLED": "true"}),
            ("as shipped (no collector)", {}),
            (
                "exporting (OTLP)",
                {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}"},
            ),
        ]
        targets = []
        for name, extra in variants:
            port = free_port()
            proc = start(
                [sys.executable, "-m", "services.api"], base | extra | {"API_PORT": str(port)}
            )
            procs.append(proc)
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, proc)
            targets.append(Target(name, url, [proc.pid]))
        shared = redis_port(base["REDIS_URL"])
        print(
            f"(Redis at port {shared} is shared: {len(valkey_pids(shared))} "
            "process, not counted in CPU)"
        )
        results, _ = asyncio.run(measure(args, targets))
    sys.exit(0 if report(results, len(push_payload())) else 1)


if __name__ == "__main__":
    main()
