"""A local Gemini: the REST API the google-genai SDK speaks, with scripted answers and faults.

Point the SDK at it with `HttpOptions(base_url=fake.url)` (GEMINI_BASE_URL). Every request
is recorded, so tests can count calls and prove what was (and was not) sent.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Fault = Literal[
    "ok",
    "rate_limited",
    "server_error",
    "slow",
    "malformed_body",
    "malformed_json",
    "truncated",
    "schema_violation",
    "echo",
]


@dataclass
class Reply:
    """One scripted answer to a generateContent call."""

    fault: Fault = "ok"
    answer: dict[str, Any] | None = None  # the JSON the model "writes"; a default otherwise
    retry_after: float | None = None  # sent as Retry-After on rate_limited / server_error
    retry_delay: str | None = None  # sent as google.rpc.RetryInfo retryDelay ("7s") instead
    delay: float = 0.0  # seconds before answering (slow)
    thinking_tokens: int = 64


@dataclass
class Recorded:
    action: str  # "generateContent" or "countTokens"
    model: str
    api_version: str
    api_key: str | None
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """Every string the request carried, for "was this sent?" assertions."""
        return json.dumps(self.body, ensure_ascii=False)


DEFAULT_ANSWER: dict[str, Any] = {
    "summary": "The repository builds but lacks automated tests in CI.",
    "recommendations": [
        {
            "title": "Run the test suite in CI",
            "category": "testing",
            "severity": "high",
            "effort": "low",
            "priority": 1,
            "evidence": [{"path": "README.md"}],
            "fix": "Add a workflow step that runs the tests on every push.",
        }
    ],
}


def _estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _request_text(body: dict[str, Any]) -> str:
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    texts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body.get("contents", []))
    walk(body.get("systemInstruction", {}))
    return "\n".join(texts)


@dataclass
class FakeGemini:
    """Scripted replies are used in order; when none is left, `default` answers."""

    default: Reply = field(default_factory=Reply)
    api_keys: frozenset[str] | None = None  # None: any non-empty key is accepted
    requests: list[Recorded] = field(default_factory=list)
    _script: deque[Reply] = field(default_factory=deque)
    _runner: web.AppRunner | None = None
    url: str = ""

    def script(self, *replies: Reply) -> None:
        self._script.extend(replies)

    def calls(self, action: str = "generateContent") -> list[Recorded]:
        return [r for r in self.requests if r.action == action]

    def sent_text(self) -> str:
        return "\n".join(r.text for r in self.requests)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/{version}/models/{target}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        model, _, action = request.match_info["target"].rpartition(":")
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "INVALID_ARGUMENT", "request body is not JSON")
        self.requests.append(
            Recorded(
                action=action,
                model=model,
                api_version=request.match_info["version"],
                api_key=request.headers.get("x-goog-api-key"),
                body=body,
            )
        )
        key = request.headers.get("x-goog-api-key")
        if not key:
            return _error(403, "PERMISSION_DENIED", "API key missing")
        if self.api_keys is not None and key not in self.api_keys:
            return _error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid key.")
        if action == "countTokens":
            return web.json_response({"totalTokens": _estimate_tokens(_request_text(body))})
        if action != "generateContent":
            return _error(404, "NOT_FOUND", f"unknown method {action}")
        reply = self._script.popleft() if self._script else self.default
        return await self._generate(body, reply)

    async def _generate(self, body: dict[str, Any], reply: Reply) -> web.StreamResponse:
        headers = {} if reply.retry_after is None else {"Retry-After": f"{reply.retry_after:g}"}
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.fault == "rate_limited":
            details = []
            if reply.retry_delay is not None:
                details.append(
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": reply.retry_delay,
                    }
                )
            return _error(429, "RESOURCE_EXHAUSTED", "Resource exhausted", headers, details)
        if reply.fault == "server_error":
            return _error(500, "INTERNAL", "An internal error has occurred", headers)
        if reply.fault == "malformed_body":
            return web.Response(text='{"candidates": [', content_type="application/json")
        prompt = _request_text(body)
        answer = dict(reply.answer or DEFAULT_ANSWER)
        finish = "STOP"
        if reply.fault == "echo":
            answer["summary"] = prompt
        text = json.dumps(answer)
        if reply.fault == "malformed_json":
            text = "Sure! Here are my recommendations: " + text[:40]
        elif reply.fault == "truncated":
            text, finish = text[: len(text) // 2], "MAX_TOKENS"
        elif reply.fault == "schema_violation":
            text = json.dumps({"summary": 42, "recommendations": "none"})
        prompt_tokens = _estimate_tokens(prompt)
        output_tokens = _estimate_tokens(text)
        return web.json_response(
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": text}]},
                        "finishReason": finish,
                        "index": 0,
                    }
                ],
                "usageMetadata": {
                    "promptTokenCount": prompt_tokens,
                    "candidatesTokenCount": output_tokens,
                    "thoughtsTokenCount": reply.thinking_tokens,
                    "totalTokenCount": prompt_tokens + output_tokens + reply.thinking_tokens,
                },
                "modelVersion": "fake-gemini",
                "responseId": f"fake-{len(self.requests)}",
            }
        )


def _error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, str]] | None = None,
) -> web.Response:
    error: dict[str, Any] = {"code": status, "message": message, "status": code}
    if details:
        error["details"] = details
    payload = {"error": error}
    return web.json_response(payload, status=status, headers=headers)
