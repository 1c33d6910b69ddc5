"""What the AI step may spend, read from Settings, and the versions that key the cache."""

from __future__ import annotations

from dataclasses import dataclass

from libs.common.config import ConfigError, SecretStr, Settings

# Bump when the system instruction, the context layout or the output schema changes:
# it is part of the analysis cache key, so old AI results are not reused for new prompts.
PROMPT_VERSION = "1"
# A Retry-After longer than this is not waited out inside the job: the job is handed back
# to the queue with that delay instead of holding a worker slot.
MAX_IN_JOB_WAIT_S = 30.0
MIN_CONTEXT_TOKENS = 1000


@dataclass(frozen=True)
class AiConfig:
    api_key: SecretStr
    model: str
    base_url: str | None
    timeout_s: int
    call_attempts: int  # HTTP attempts per request within one job attempt
    job_max_tries: int
    max_output_tokens: int  # on Gemini 2.5 this also bounds thinking tokens
    context_tokens: int
    daily_quota: int
    task_cap: int
    retry_wait_initial_s: float = 1.0
    max_in_job_wait_s: float = MAX_IN_JOB_WAIT_S

    @classmethod
    def from_settings(cls, settings: Settings) -> AiConfig | None:
        """None when GEMINI_API_KEY is unset: the AI step is off."""
        if settings.gemini_api_key is None or not settings.gemini_api_key.get():
            return None
        room = settings.ai_max_tokens_per_task - settings.ai_max_output_tokens
        if room < MIN_CONTEXT_TOKENS:
            raise ConfigError(
                f"AI_MAX_TOKENS_PER_TASK ({settings.ai_max_tokens_per_task}) must exceed "
                f"AI_MAX_OUTPUT_TOKENS ({settings.ai_max_output_tokens}) by at least "
                f"{MIN_CONTEXT_TOKENS} tokens, room for the repository context"
            )
        return cls(
            api_key=settings.gemini_api_key,
            model=settings.gemini_model,
            base_url=settings.gemini_base_url,
            timeout_s=settings.gemini_timeout_seconds,
            call_attempts=settings.ai_call_attempts,
            job_max_tries=settings.job_max_tries,
            max_output_tokens=settings.ai_max_output_tokens,
            context_tokens=min(settings.ai_context_tokens, room),
            daily_quota=settings.ai_daily_quota_per_user,
            task_cap=settings.ai_max_tokens_per_task,
        )

    @property
    def max_calls_per_job(self) -> int:
        """The most generateContent calls one analysis job makes over all its arq tries."""
        return self.call_attempts * self.job_max_tries


def max_calls_per_job(settings: Settings) -> int:
    """AI_CALL_ATTEMPTS x JOB_MAX_TRIES: the documented bound on Gemini calls per analysis."""
    return settings.ai_call_attempts * settings.job_max_tries


def cache_key_parts(settings: Settings) -> dict[str, str]:
    """What the AI contributes to the analysis cache key: prompt version and model (or off)."""
    config = AiConfig.from_settings(settings)
    return {"ai_prompt": PROMPT_VERSION, "ai_model": config.model if config else "off"}
