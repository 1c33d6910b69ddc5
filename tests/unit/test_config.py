from __future__ import annotations

import pytest

from libs.common.config import ConfigError, SecretStr, load_settings

BASE = {"DATABASE_URL": "postgresql://app:s3cretpw@db/app", "REDIS_URL": "redis://r:6379/0"}


def test_reads_the_environment_and_converts_types() -> None:
    settings = load_settings({**BASE, "API_PORT": "9000", "ALLOW_LOCAL_REPOS": "true"})
    assert settings.api_port == 9000
    assert settings.allow_local_repos is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"REDIS_URL": "redis://x"}, "DATABASE_URL is required but not set"),
        ({**BASE, "API_PORT": "eighty"}, "API_PORT is invalid"),
        ({**BASE, "API_PORT": "70000"}, "API_PORT is invalid"),
        ({**BASE, "LOG_LEVEL": "loud"}, "LOG_LEVEL is invalid"),
        ({**BASE, "ALLOW_LOCAL_REPOS": "perhaps"}, "ALLOW_LOCAL_REPOS is invalid"),
        ({**BASE, "REDIS_URL": "notaurl"}, "REDIS_URL is invalid"),
        ({**BASE, "DATABASE_URL": "mysql://x/db"}, "DATABASE_URL is invalid"),
        ({**BASE, "BACKUP_S3_URL": "s3://Not_A_Bucket"}, "BACKUP_S3_URL is invalid"),
    ],
)
def test_a_bad_variable_is_named_in_one_line(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings({**BASE, "GEMINI_API_KEY": "AIzaSyTOPSECRETVALUE1234567890abcdef"})
    assert isinstance(settings.gemini_api_key, SecretStr)
    assert settings.gemini_api_key.get() == "AIzaSyTOPSECRETVALUE1234567890abcdef"
    shown = repr(settings)
    assert "TOPSECRET" not in shown
    assert "s3cretpw" not in shown
    assert "postgresql://app:****@db/app" in shown
    assert "AIzaSyTOPSECRETVALUE1234567890abcdef" in settings.secret_values()
    assert "s3cretpw" in settings.secret_values()
