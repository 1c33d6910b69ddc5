"""`autodevops verify-deployment URL`: the runbook's checks of a deployment, as a command.

Each step prints one line, `ok`, `FAIL` or `skip` with what it saw; the exit code is 1 when
any step failed. Only the standard library: it runs from a laptop against any deployment.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

USER_AGENT = "autodevops-verify-deployment"


@dataclass
class Reply:
    status: int
    body: bytes
    ms: float


class Verdict(Exception):
    """A step's outcome other than ok; the message is its one line."""

    def __init__(self, word: str, message: str) -> None:
        super().__init__(message)
        self.word = word


def request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float
) -> Reply:
    started = time.perf_counter()
    req = urllib.request.Request(
        url, data=data, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Verdict("FAIL", f"no answer: {reason}") from None
    return Reply(status, body, (time.perf_counter() - started) * 1000)


def _expect(reply: Reply, status: int, what: str) -> str:
    if reply.status != status:
        detail = reply.body[:200].decode(errors="replace").strip()
        raise Verdict("FAIL", f"{what}: expected {status}, got {reply.status} {detail}")
    return f"{what} {reply.status} in {reply.ms:.0f} ms"


@dataclass
class Checks:
    url: str
    token: str | None
    webhook_secret: str | None
    timeout: float

    def health(self) -> str:
        return _expect(request(f"{self.url}/health", timeout=self.timeout), 200, "/health")

    def readiness(self) -> str:
        # A 503 names the dependency that does not answer: shown as the failure.
        return _expect(request(f"{self.url}/ready", timeout=self.timeout), 200, "/ready")

    def metrics(self) -> str:
        reply = request(f"{self.url}/metrics", timeout=self.timeout)
        line = _expect(reply, 200, "/metrics")
        count = sum(1 for ln in reply.body.decode().splitlines() if ln.startswith("autodevops_"))
        if "autodevops_build_info" not in reply.body.decode():
            raise Verdict("FAIL", "/metrics answers but exports no autodevops_build_info")
        return f"{line}, {count} autodevops_ samples"

    def webhook(self) -> str:
        if not self.webhook_secret:
            raise Verdict("skip", "no GITHUB_WEBHOOK_SECRET (or --webhook-secret) to sign with")
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 0}).encode()
        delivery = str(uuid.uuid4())

        def send(secret: str) -> Reply:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "Content-Type": "application/json",
                "X-GitHub-Event": "ping",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": f"sha256={digest}",
            }
            return request(
                f"{self.url}/webhooks/github", data=body, headers=headers, timeout=self.timeout
            )

        forged = send(self.webhook_secret + "-wrong")
        _expect(forged, 401, "a wrongly signed ping")
        accepted = send(self.webhook_secret)
        _expect(accepted, 202, "the signed ping")
        again = send(self.webhook_secret)
        _expect(again, 200, "the same delivery again")
        if json.loads(again.body).get("status") != "duplicate":
            raise Verdict("FAIL", f"the same delivery was not recognised: {again.body[:200]!r}")
        return (
            f"signed ping 202 in {accepted.ms:.0f} ms, stored (redelivery: duplicate), "
            "wrong signature: 401"
        )

    def token_read(self) -> str:
        if not self.token:
            raise Verdict("skip", "no AUTODEVOPS_TOKEN (or --token) to read with")
        anonymous = request(f"{self.url}/v1/me", timeout=self.timeout)
        _expect(anonymous, 401, "/v1/me without a token")
        headers = {"Authorization": f"Bearer {self.token}"}
        reply = request(f"{self.url}/v1/me", headers=headers, timeout=self.timeout)
        line = _expect(reply, 200, "/v1/me")
        who: dict[str, Any] = json.loads(reply.body)
        user = who.get("user", who)
        login = user.get("login") if isinstance(user, dict) else None
        return f"{line} as {login or 'the token user'}; without a token: 401"


def run_checks(checks: Checks, out: Callable[[str], None] = print) -> int:
    steps: list[tuple[str, Callable[[], str]]] = [
        ("health", checks.health),
        ("readiness", checks.readiness),
        ("metrics", checks.metrics),
        ("webhook", checks.webhook),
        ("token-read", checks.token_read),
    ]
    failed = 0
    for name, step in steps:
        try:
            word, message = "ok", step()
        except Verdict as verdict:
            word, message = verdict.word, str(verdict)
        failed += word == "FAIL"
        out(f"{word:<4}  {name:<10}  {message}")
    out(f"{'FAILED' if failed else 'PASSED'}: {checks.url} ({failed} of {len(steps)} failed)")
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    checks = Checks(
        url=args.url.rstrip("/"),
        token=args.token or os.environ.get("AUTODEVOPS_TOKEN"),
        webhook_secret=args.webhook_secret or os.environ.get("GITHUB_WEBHOOK_SECRET"),
        timeout=args.timeout,
    )
    return run_checks(checks)


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "verify-deployment",
        help="check a running deployment: health, readiness, metrics, a signed webhook "
        "round trip and a token-authenticated read (exit 1 if a step fails)",
    )
    parser.add_argument("url", help="the api's base URL, e.g. https://autodevops.example.com")
    parser.add_argument("--token", help="an API token (default: AUTODEVOPS_TOKEN)")
    parser.add_argument(
        "--webhook-secret", help="the webhook secret (default: GITHUB_WEBHOOK_SECRET)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.set_defaults(run=_run)
