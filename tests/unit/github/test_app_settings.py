"""GitHub App settings: the id and key come as a pair, and the key never shows itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from libs.common.config import ConfigError, github_app_key, load_settings

BASE = {"DATABASE_URL": "postgresql://db/x", "REDIS_URL": "redis://r/0"}
PEM = "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----\\n"


def test_the_key_is_a_secret_with_escaped_newlines() -> None:
    settings = load_settings({**BASE, "GITHUB_APP_ID": "7", "GITHUB_APP_PRIVATE_KEY": PEM})
    assert settings.github_app_id == 7
    assert "MIIEow" not in repr(settings)
    assert github_app_key(settings) == PEM.replace("\\n", "\n")
    assert PEM in settings.secret_values()


def test_the_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text("-----BEGIN RSA PRIVATE KEY-----\n")
    settings = load_settings(
        {**BASE, "GITHUB_APP_ID": "7", "GITHUB_APP_PRIVATE_KEY_FILE": str(key_file)}
    )
    assert github_app_key(settings) == "-----BEGIN RSA PRIVATE KEY-----\n"
    missing = load_settings({**BASE, "GITHUB_APP_ID": "7", "GITHUB_APP_PRIVATE_KEY_FILE": "/nope"})
    with pytest.raises(ConfigError, match="GITHUB_APP_PRIVATE_KEY_FILE"):
        github_app_key(missing)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GITHUB_APP_ID": "7"}, "GITHUB_APP_PRIVATE_KEY"),
        ({"GITHUB_APP_PRIVATE_KEY": PEM}, "GITHUB_APP_ID"),
        ({"GITHUB_APP_ID": "0", "GITHUB_APP_PRIVATE_KEY": PEM}, "GITHUB_APP_ID"),
    ],
)
def test_half_an_app_is_refused(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings({**BASE, **env})
    assert github_app_key(load_settings(BASE)) is None
