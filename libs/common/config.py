"""Settings: one frozen struct, read once from the environment and passed down."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from libs.common.crypto import Keyring
from libs.common.pricing import DEFAULT_PRICES, parse_prices

Port = Annotated[int, msgspec.Meta(ge=0, le=65535)]
Positive = Annotated[int, msgspec.Meta(ge=1)]
HttpUrl = Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/]+(/\S*)?$")]
# A bucket name (3-63 of a-z 0-9 . -) and an optional key prefix.
S3Url = Annotated[str, msgspec.Meta(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")]


class ConfigError(Exception):
    """A variable is missing or malformed; the message names it."""


class SecretStr:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Every knob of every service. The environment variable is the field name in capitals."""

    database_url: Annotated[str, msgspec.Meta(pattern=r"^postgres(ql)?://")]
    redis_url: Annotated[str, msgspec.Meta(pattern=r"^(redis|rediss|unix)://")]
    environment: Literal["development", "test", "production"] = "development"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "console", "json"] = "auto"

    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    public_url: str | None = None
    db_pool_min_size: Annotated[int, msgspec.Meta(ge=0)] = 1
    db_pool_max_size: Positive = 10
    # Worker and scheduler serve /metrics here; a taken port (another replica on this
    # host) or 0 picks a free one. Each registers its address in Redis, and the api lists
    # them for Prometheus at /metrics/targets (docs/metrics.md).
    metrics_host: str = "127.0.0.1"
    worker_metrics_port: Port = 9101
    scheduler_metrics_port: Port = 9102
    # The host Prometheus reaches this process's metrics on (default: METRICS_HOST, or
    # this machine's hostname when METRICS_HOST is a wildcard address).
    metrics_advertise_host: str | None = None
    worker_concurrency: Positive = 10
    # How often an idle worker looks for due jobs: the floor of a job's queue latency.
    worker_poll_delay_seconds: Annotated[float, msgspec.Meta(gt=0, le=10)] = 0.2
    # Run the `maintenance` consumer (backups, cleanup) in this worker process; give it
    # to the replicas that can reach BACKUP_DIR and have pg_dump.
    worker_maintenance: bool = True

    allow_local_repos: bool = False
    # https repository URLs on loopback, private or link-local addresses (an internal
    # git server); off, so tenants cannot make workers probe the internal network.
    allow_private_repo_hosts: bool = False
    encryption_key: SecretStr | None = None
    encryption_old_keys: SecretStr | None = None

    github_api_url: str = "https://api.github.com"
    github_oauth_url: str = "https://github.com"
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    github_webhook_secret: SecretStr | None = None
    # GitHub App mode (docs/github-app.md): the app's id and its private key (PEM, `\n`
    # escapes allowed), or a file holding the key. Unset: every call uses a user's token.
    github_app_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    github_app_private_key: SecretStr | None = None
    github_app_private_key_file: str | None = None
    # The app uploads each analysis's SARIF to code scanning where the repository has it.
    github_upload_sarif: bool = True
    # A push whose score drops by more than this (or that adds a critical finding) is a
    # regression: a failing check run, a score.regressed event; repositories may override.
    regression_max_drop: Annotated[int, msgspec.Meta(ge=0, le=100)] = 5

    gemini_api_key: SecretStr | None = None
    gemini_model: str = "gemini-2.5-flash"
    gemini_base_url: str | None = None
    gemini_timeout_seconds: Positive = 60
    ai_daily_quota_per_user: Annotated[int, msgspec.Meta(ge=0)] = 100_000
    ai_max_tokens_per_task: Positive = 30_000
    # HTTP attempts per Gemini request within one job attempt; times JOB_MAX_TRIES it bounds
    # the calls one analysis can make (docs/ai.md).
    ai_call_attempts: Annotated[int, msgspec.Meta(ge=1, le=5)] = 2
    ai_max_output_tokens: Annotated[int, msgspec.Meta(ge=256)] = 8192
    ai_context_tokens: Annotated[int, msgspec.Meta(ge=1000)] = 12_000
    # US dollars per million tokens, `model=input:output,...`: the cost estimate metric.
    ai_prices: str = DEFAULT_PRICES
    # Tokens the whole platform may spend per UTC day before the budget alerts fire (0: none).
    ai_daily_budget_tokens: Annotated[int, msgspec.Meta(ge=0)] = 0

    # What one fetched repository may weigh: the download, and the tree once extracted.
    repo_download_max_bytes: Positive = 200 * 1024 * 1024
    repo_max_bytes: Positive = 1024 * 1024 * 1024
    repo_max_files: Positive = 100_000

    rate_limit_requests: Positive = 100
    rate_limit_window_seconds: Positive = 60
    # Stricter budgets, per window: sign-in per client IP, job starts per user.
    rate_limit_auth_requests: Positive = 10
    rate_limit_expensive_requests: Positive = 10
    # Proxies in front of the api that append to X-Forwarded-For (0: use the peer address).
    trusted_proxy_count: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0

    webhook_max_body_bytes: Positive = 25 * 1024 * 1024
    # GitHub lets deliveries be redelivered for 3 days; remember ids a little longer.
    webhook_dedup_ttl_seconds: Positive = 7 * 24 * 3600
    # Past this many undelivered entries the api answers 503 instead of growing Redis.
    webhook_stream_max_entries: Positive = 100_000
    ingest_max_deliveries: Positive = 5
    ingest_claim_idle_seconds: Positive = 60

    session_ttl_seconds: Positive = 14 * 24 * 3600
    oauth_state_ttl_seconds: Positive = 600
    sse_keepalive_seconds: Annotated[float, msgspec.Meta(gt=0)] = 15.0
    # Open event streams one API token or session may hold at once, across replicas (a
    # dashboard tab holds one or two; a browser opens at most six per host anyway).
    sse_max_streams_per_credential: Positive = 20
    # Owners and admins of this organization may use /v1/admin routes.
    admin_organization: str = "default"

    sync_timeout_seconds: Positive = 60
    analysis_timeout_seconds: Positive = 300
    ci_generation_timeout_seconds: Positive = 120
    job_max_tries: Positive = 3

    event_stream_maxlen: Positive = 1000
    event_retention_seconds: Positive = 7 * 24 * 3600

    otel_exporter_otlp_endpoint: str | None = None
    otel_service_name: str | None = None
    # Share of new traces (requests, deliveries, scheduled events) exported; the work
    # they cause follows its trace's decision across services.
    trace_sample_ratio: Annotated[float, msgspec.Meta(ge=0, le=1)] = 1.0

    # Sentry error tracking (docs/deploy.md#error-tracking): off unless the DSN is set;
    # release defaults to autodevops@<version>, environment to ENVIRONMENT.
    sentry_dsn: SecretStr | None = None
    sentry_release: str | None = None
    sentry_environment: str | None = None

    data_dir: str = ".data"
    workdir: str | None = None

    # Scheduler: cron expressions in UTC; a slot missed while no scheduler ran is emitted
    # once on start if it is younger than schedule_catchup_seconds.
    schedule_backup_cron: str = "0 2 * * *"
    schedule_cleanup_cron: str = "30 3 * * *"
    schedule_catchup_seconds: Positive = 6 * 3600

    # Backups: pg_dump custom format under backup_dir (default <data_dir>/backups).
    backup_dir: str | None = None
    backup_verify: bool = True
    backup_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 7
    backup_retention_weeks: Annotated[int, msgspec.Meta(ge=0)] = 4
    backup_timeout_seconds: Positive = 3600
    # An S3-compatible target (s3://bucket/prefix): each dump is uploaded there and the
    # object is the backup; BACKUP_DIR only stages it. Credentials come from the AWS
    # chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role).
    backup_s3_url: S3Url | None = None
    backup_s3_endpoint_url: HttpUrl | None = None  # MinIO, Ceph, R2…; unset is AWS
    backup_s3_region: str | None = None
    # Where pg_dump/pg_restore live; unset picks binaries matching the server's version.
    pg_bin_dir: str | None = None

    # Cleanup: how long each kind of data is kept.
    retention_jobs_days: Positive = 30
    retention_analyses_per_repo: Positive = 20
    retention_webhook_deliveries_days: Positive = 14
    retention_tokens_days: Positive = 30
    retention_maintenance_runs_days: Positive = 90

    def __post_init__(self) -> None:
        parse_prices(self.ai_prices)  # a malformed table fails at start, naming the entry
        has_key = self.github_app_private_key or self.github_app_private_key_file
        if self.github_app_id is not None and not has_key:
            raise ValueError(
                "GITHUB_APP_ID needs GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE"
            )
        if has_key and self.github_app_id is None:
            raise ValueError("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={_masked(name, getattr(self, name))!r}" for name in self.__struct_fields__
        )
        return f"Settings({shown})"

    def secret_values(self) -> list[str]:
        """Every secret's plain value, for the log redactor."""
        values: list[str] = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, SecretStr) and value.get():
                values.extend(v for v in value.get().split(",") if v)
            elif name in ("database_url", "redis_url"):
                password = _url_password(value)
                if password:
                    values.append(password)
        return values


_URL_PASSWORD = re.compile(r"^[a-z0-9+.-]+://[^:/@]*:([^@/]+)@", re.IGNORECASE)


def _url_password(url: str) -> str | None:
    match = _URL_PASSWORD.match(url)
    return match.group(1) if match else None


def _masked(name: str, value: Any) -> Any:
    if isinstance(value, str) and name.endswith("_url"):
        password = _url_password(value)
        if password:
            return value.replace(f":{password}@", ":****@", 1)
    return value


def _dec_hook(type_: type, obj: Any) -> Any:
    if type_ is SecretStr:
        if isinstance(obj, SecretStr):
            return obj
        if isinstance(obj, str):
            return SecretStr(obj)
    raise NotImplementedError


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from the environment; a bad or missing variable raises ConfigError."""
    env = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    for name in Settings.__struct_fields__:
        value = env.get(name.upper())
        if value is not None and value != "":
            raw[name] = value
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


_AT_FIELD = re.compile(r"^(?P<what>.*?)(?: - at `\$\.(?P<field>\w+)`)?$")


def _explain(exc: msgspec.ValidationError) -> str:
    message = str(exc)
    missing = re.match(r"Object missing required field `(\w+)`", message)
    if missing:
        return f"{missing.group(1).upper()} is required but not set"
    match = _AT_FIELD.match(message)
    if match and match.group("field"):
        return f"{match.group('field').upper()} is invalid: {match.group('what')}"
    return f"invalid configuration: {message}"


def keyring(settings: Settings) -> Keyring | None:
    """The encryption keyring from ENCRYPTION_KEY / ENCRYPTION_OLD_KEYS, or None if unset."""
    if settings.encryption_key is None:
        return None
    old = settings.encryption_old_keys.get() if settings.encryption_old_keys else None
    return Keyring(settings.encryption_key.get(), old)


def github_app_key(settings: Settings) -> str | None:
    """The GitHub App's private key (PEM) from GITHUB_APP_PRIVATE_KEY(_FILE), or None."""
    if settings.github_app_private_key:
        return settings.github_app_private_key.get().replace("\\n", "\n")
    if settings.github_app_private_key_file:
        try:
            with open(settings.github_app_private_key_file, encoding="ascii") as key_file:
                return key_file.read()
        except OSError as exc:
            raise ConfigError(f"GITHUB_APP_PRIVATE_KEY_FILE cannot be read: {exc}") from None
    return None
