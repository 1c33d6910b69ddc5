"""The Gemini client alone: one HTTP attempt per method, errors typed, Retry-After read."""

from __future__ import annotations

import pytest

from libs.ai.client import Gemini
from libs.ai.errors import AiBadOutput, AiRateLimited, AiRejected, AiServerError, AiTimeout
from libs.ai.schema import response_schema
from tests.fakes.gemini import FakeGemini, Reply


async def generate(gemini: Gemini) -> None:
    await gemini.generate(system="s", prompt="p", schema=response_schema())


async def test_usage_includes_thinking_tokens(gemini: Gemini, fake_gemini: FakeGemini) -> None:
    fake_gemini.script(Reply(thinking_tokens=300))
    result = await gemini.generate(system="sys", prompt="hello there", schema=response_schema())
    usage = result.usage
    assert usage.thinking == 300
    assert usage.total == usage.prompt + usage.output + 300
    assert '"summary"' in result.text


@pytest.mark.parametrize(
    ("reply", "error", "retry_after"),
    [
        (Reply(fault="rate_limited", retry_after=7), AiRateLimited, 7.0),
        (Reply(fault="rate_limited", retry_delay="12.5s"), AiRateLimited, 12.5),
        (Reply(fault="rate_limited"), AiRateLimited, None),
        (Reply(fault="server_error", retry_after=3), AiServerError, 3.0),
        (Reply(fault="slow", delay=1.5), AiTimeout, None),
        (Reply(fault="truncated"), AiBadOutput, None),
        (Reply(fault="malformed_body"), AiBadOutput, None),
    ],
)
async def test_one_attempt_each_and_a_typed_error(
    gemini: Gemini,
    fake_gemini: FakeGemini,
    reply: Reply,
    error: type[Exception],
    retry_after: float | None,
) -> None:
    fake_gemini.script(reply)
    with pytest.raises(error) as caught:
        await generate(gemini)
    assert len(fake_gemini.calls()) == 1  # the SDK itself never retries
    assert getattr(caught.value, "retry_after", None) == retry_after


async def test_a_bad_key_is_rejected_not_retried(fake_gemini: FakeGemini, gemini: Gemini) -> None:
    fake_gemini.api_keys = frozenset({"the-right-key"})
    with pytest.raises(AiRejected, match="400"):
        await gemini.count_tokens(["x"])
    assert len(fake_gemini.requests) == 1
