from __future__ import annotations

import datetime as dt
import email.utils

import pytest

from libs.ai.client import parse_retry_after
from libs.ai.config import PROMPT_VERSION, AiConfig, cache_key_parts, max_calls_per_job
from libs.ai.step import as_cached, reusable
from libs.analysis.report import AiResult
from libs.common.config import ConfigError, load_settings

BASE = {"database_url": "postgresql://x/y", "redis_url": "redis://x"}


def test_no_key_means_ai_off_in_config_and_cache_key() -> None:
    settings = load_settings({}, **BASE)
    assert AiConfig.from_settings(settings) is None
    assert cache_key_parts(settings) == {"ai_prompt": PROMPT_VERSION, "ai_model": "off"}


def test_calls_per_job_are_attempts_times_job_tries() -> None:
    settings = load_settings(
        {"GEMINI_API_KEY": "k", "AI_CALL_ATTEMPTS": "3", "JOB_MAX_TRIES": "4"}, **BASE
    )
    config = AiConfig.from_settings(settings)
    assert config is not None
    assert config.max_calls_per_job == max_calls_per_job(settings) == 12
    assert cache_key_parts(settings)["ai_model"] == "gemini-2.5-flash"


def test_the_context_never_exceeds_the_task_cap_minus_the_output() -> None:
    settings = load_settings(
        {"GEMINI_API_KEY": "k", "AI_MAX_TOKENS_PER_TASK": "10000", "AI_MAX_OUTPUT_TOKENS": "4000"},
        **BASE,
    )
    config = AiConfig.from_settings(settings)
    assert config is not None
    assert config.context_tokens == 6000


def test_a_task_cap_below_the_output_limit_is_a_config_error() -> None:
    settings = load_settings({"GEMINI_API_KEY": "k", "AI_MAX_TOKENS_PER_TASK": "5000"}, **BASE)
    with pytest.raises(ConfigError, match="AI_MAX_TOKENS_PER_TASK"):
        AiConfig.from_settings(settings)


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("soon") is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    seconds = parse_retry_after(email.utils.format_datetime(later, usegmt=True))
    assert seconds is not None
    assert 25 <= seconds <= 30


def test_only_usable_ai_results_are_reused_and_they_cost_nothing() -> None:
    ok = AiResult(status="ok", model="m", summary="s", prompt_tokens=10, total_tokens=30)
    assert reusable(ok)
    assert reusable(AiResult(status="off"))
    for status in ("failed", "quota_exceeded", "skipped"):
        assert not reusable(AiResult(status=status))
    cached = as_cached(ok)
    assert cached.status == "cached"
    assert cached.summary == "s"
    assert cached.total_tokens == 0
    assert cached.prompt_tokens == 0
    assert as_cached(AiResult(status="off", reason="GEMINI_API_KEY is not set")).status == "off"
