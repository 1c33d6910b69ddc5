"""The docs name what the code has."""

from __future__ import annotations

from pathlib import Path

from libs.common.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs/configuration.md").read_text()
    missing = [
        name.upper() for name in Settings.__struct_fields__ if f"`{name.upper()}`" not in text
    ]
    assert missing == []


def test_readme_starts_with_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    assert "make run" in first_block
    assert "make test" in first_block
