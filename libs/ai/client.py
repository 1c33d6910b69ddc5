"""Gemini through google-genai (`client.aio`): one HTTP attempt per method, typed errors.

The SDK is told to make exactly one attempt (`HttpRetryOptions(attempts=1)`; left unset it
would instead retry connection errors on its own after random 1-10 s sleeps). Retries
belong to `retrying()`, which honours Retry-After, so that every attempt is seen, checked
against the quota and recorded by the caller.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import stamina
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from libs.ai.config import AiConfig
from libs.ai.errors import (
    AiBadOutput,
    AiError,
    AiRateLimited,
    AiRejected,
    AiServerError,
    AiTimeout,
    AiUnreachable,
)
from libs.common.config import Settings
from libs.common.schemas import Usage

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@dataclass(frozen=True)
class Generation:
    text: str
    usage: Usage


class Gemini:
    """One client per worker process; `aclose()` on shutdown."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Gemini | None:
        """The client, or None when GEMINI_API_KEY is unset (the AI step is then off)."""
        config = AiConfig.from_settings(settings)
        return None if config is None else cls(config)

    def __init__(self, config: AiConfig) -> None:
        """Create inside a running event loop (the worker's startup): it opens a session."""
        self.config = config
        # Our own session: the SDK's would subclass aiohttp.ClientSession, which aiohttp
        # deprecates with a warning, and this one we close ourselves.
        self._session = aiohttp.ClientSession(trust_env=True)
        options = types.HttpOptions(
            base_url=config.base_url,
            # Structured output (responseJsonSchema) is served under v1beta; the SDK would
            # pick v1 whenever base_url is set.
            api_version="v1beta",
            timeout=config.timeout_s * 1000,  # the SDK counts milliseconds
            retry_options=types.HttpRetryOptions(attempts=1),
            aiohttp_client=self._session,
        )
        self._client = genai.Client(
            api_key=config.api_key.get(), vertexai=False, http_options=options
        )

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def attempts(self) -> int:
        """HTTP attempts per request within one job attempt (AI_CALL_ATTEMPTS)."""
        return self.config.call_attempts

    async def aclose(self) -> None:
        await self._client.aio.aclose()
        await self._session.close()

    async def count_tokens(self, texts: Sequence[str]) -> int:
        """Tokens the texts make for this model (countTokens; free of charge)."""
        try:
            response = await self._client.aio.models.count_tokens(
                model=self.model, contents=list(texts)
            )
        except Exception as exc:
            raise map_error(exc) from exc
        if response.total_tokens is None:
            raise AiBadOutput("countTokens answered without a count", outcome="malformed_response")
        return response.total_tokens

    async def generate(self, *, system: str, prompt: str, schema: dict[str, Any]) -> Generation:
        """One generateContent call asking for JSON that follows `schema`. No tools."""
        config = types.GenerateContentConfig(
            system_instruction=system,
            response_mime_type="application/json",
            response_json_schema=schema,
            max_output_tokens=self.config.max_output_tokens,
            temperature=0.2,
            candidate_count=1,
        )
        try:
            response = await self._client.aio.models.generate_content(
                model=self.model, contents=prompt, config=config
            )
        except Exception as exc:
            raise map_error(exc) from exc
        return _read(response)


def _usage(response: types.GenerateContentResponse) -> Usage:
    meta = response.usage_metadata
    if meta is None:
        return Usage()
    prompt = meta.prompt_token_count or 0
    output = meta.candidates_token_count or 0
    thinking = meta.thoughts_token_count or 0
    # total_token_count already includes thinking tokens; add them up only when it is missing.
    total = meta.total_token_count or prompt + output + thinking
    return Usage(prompt=prompt, output=output, thinking=thinking, total=total)


def _read(response: types.GenerateContentResponse) -> Generation:
    usage = _usage(response)
    if not response.candidates:
        feedback = response.prompt_feedback
        reason = feedback.block_reason if feedback and feedback.block_reason else "no candidate"
        raise AiBadOutput(f"Gemini returned no answer ({reason})", outcome="blocked", usage=usage)
    candidate = response.candidates[0]
    finish = candidate.finish_reason
    if finish == types.FinishReason.MAX_TOKENS:
        raise AiBadOutput(
            "Gemini's answer was cut off at the output token limit",
            outcome="truncated",
            usage=usage,
        )
    if finish not in (None, types.FinishReason.STOP):
        raise AiBadOutput(f"Gemini stopped early ({finish})", outcome="blocked", usage=usage)
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    text = "".join(p.text for p in parts if p.text and not p.thought)
    if not text:
        raise AiBadOutput("Gemini's answer was empty", outcome="invalid_json", usage=usage)
    return Generation(text=text, usage=usage)


def map_error(exc: BaseException) -> AiError:
    """The SDK's and aiohttp's exceptions as our typed errors, with any Retry-After."""
    if isinstance(exc, AiError):
        return exc
    if isinstance(exc, genai_errors.APIError):
        code = exc.code
        detail = f"Gemini answered {code} {exc.status or ''}".strip()
        if code == 429:
            return AiRateLimited(detail, retry_after=retry_after_of(exc))
        if code in (408, 504):
            return AiTimeout(detail, retry_after=retry_after_of(exc))
        if code >= 500:
            return AiServerError(detail, retry_after=retry_after_of(exc))
        return AiRejected(f"{detail}: {exc.message or 'request rejected'}")
    if isinstance(exc, TimeoutError):
        return AiTimeout("Gemini did not answer in time")
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return AiUnreachable(f"could not reach Gemini ({type(exc).__name__})")
    if isinstance(exc, ValueError):  # the body was not JSON (the SDK raises JSONDecodeError)
        return AiBadOutput("Gemini's response could not be read", outcome="malformed_response")
    return AiError(f"unexpected error calling Gemini ({type(exc).__name__})")


def retry_after_of(exc: genai_errors.APIError) -> float | None:
    """Seconds to wait: the Retry-After header, else google.rpc.RetryInfo's retryDelay."""
    headers = getattr(exc.response, "headers", None)
    value = headers.get("Retry-After") if headers is not None else None
    if value:
        parsed = parse_retry_after(value)
        if parsed is not None:
            return parsed
    details = (
        exc.details.get("error", {}).get("details", []) if isinstance(exc.details, dict) else []
    )
    for detail in details if isinstance(details, list) else []:
        delay = detail.get("retryDelay") if isinstance(detail, dict) else None
        match = _DURATION.match(delay) if isinstance(delay, str) else None
        if match:
            return float(match.group(1))
    return None


def parse_retry_after(value: str) -> float | None:
    """Retry-After as delta-seconds or an HTTP date; None when it is neither."""
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


def backoff_for(config: AiConfig) -> Callable[[Exception], bool | float]:
    """stamina's retry hook: retry transient errors, waiting what the server asked for."""

    def hook(exc: Exception) -> bool | float:
        if not isinstance(exc, AiError) or not exc.retryable:
            return False
        if exc.retry_after is None:
            return True
        # A long wait is not spent holding a worker: the job is deferred by that much.
        return exc.retry_after if exc.retry_after <= config.max_in_job_wait_s else False

    return hook


def retrying(config: AiConfig) -> AsyncIterable[stamina.Attempt]:
    """`async for attempt in retrying(config): with attempt: ...` - at most call_attempts."""
    return stamina.retry_context(
        on=backoff_for(config),
        attempts=config.call_attempts,
        timeout=None,
        wait_initial=config.retry_wait_initial_s,
        wait_max=config.max_in_job_wait_s,
    )
