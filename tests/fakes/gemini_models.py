"""A stand-in for Gemini's `GET /v1beta/models`: enough to tell a valid API key from not.

Answers as the real API does: the model list for a known key (sent in `x-goog-api-key`
or `?key=`), HTTP 400 `API_KEY_INVALID` for an unknown one, 403 when none is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

MODELS = [
    {
        "name": "models/gemini-2.5-flash",
        "displayName": "Gemini 2.5 Flash",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
    {
        "name": "models/gemini-2.5-pro",
        "displayName": "Gemini 2.5 Pro",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
    },
]


@dataclass
class FakeGeminiModels:
    valid_keys: set[str]
    seen: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1beta/models", self.list_models)
        return app

    async def list_models(self, request: web.Request) -> web.Response:
        header = request.headers.get("x-goog-api-key")
        self.seen.append({"header": header or "", "query": request.query.get("key", "")})
        key = header or request.query.get("key")
        if not key:
            return _error(
                403,
                "PERMISSION_DENIED",
                "Method doesn't allow unregistered callers (callers without established "
                "identity). Please use API Key or other form of API consumer identity to "
                "call this API.",
            )
        if key not in self.valid_keys:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "API key not valid. Please pass a valid API key.",
                reason="API_KEY_INVALID",
            )
        return web.json_response({"models": MODELS})


def _error(code: int, status: str, message: str, *, reason: str | None = None) -> web.Response:
    body: dict[str, object] = {"code": code, "message": message, "status": status}
    if reason:
        body["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ]
    return web.json_response({"error": body}, status=code)
