from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.cigen.render.yaml import Commented, dump, scalar
from libs.cigen.validate.schema import parse_yaml


@pytest.mark.parametrize(
    "value",
    [
        "on",
        "=",
        "<<",
        "yes",
        "No",
        "null",
        "~",
        "",
        "3.10",
        "20",
        "1e3",
        "0x1F",
        "2024-01-01",
        "1:20",
        "-D warnings",
        "#x",
        "a: b",
        "a #b",
        "trailing ",
        " leading",
        "'q'",
        '"q"',
        "*ref",
        "&a",
        "!tag",
        "%x",
        "@x",
        "`x`",
        "[x]",
        "{x}",
        "|",
        ">",
        "é",
        "tab\there",
    ],
)
def test_ambiguous_strings_are_quoted_and_read_back_as_strings(value: str) -> None:
    text = dump({"key": value})
    assert parse_yaml(text) == {"key": value}  # YAML 1.2, as GitHub reads it
    assert yaml.safe_load(text) == {"key": value}  # YAML 1.1, as GitLab reads it


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("ubuntu-24.04", "ubuntu-24.04"),
        ("lts/iron", "lts/iron"),
        ("npm ci", "npm ci"),
        ("${{ matrix.python-version }}", "${{ matrix.python-version }}"),
    ],
)
def test_ordinary_strings_stay_plain(value: str, written: str) -> None:
    assert scalar(value) == written


def test_github_on_key_is_written_plain_and_comments_follow_values() -> None:
    text = dump(
        {"on": {"pull_request": None}, "steps": [{"uses": Commented("a/b@" + "0" * 40, "v1.2.3")}]},
        plain_keys={"on"},
    )
    assert text.splitlines() == [
        "on:",
        "  pull_request:",
        "",
        "steps:",
        "  - uses: a/b@0000000000000000000000000000000000000000 # v1.2.3",
    ]
    assert parse_yaml(text)["steps"][0]["uses"] == "a/b@" + "0" * 40


def test_multiline_strings_are_literal_blocks() -> None:
    text = dump({"run": "set -e\necho hi\n", "x": "a\nb"})
    assert "run: |\n  set -e\n  echo hi\n" in text
    assert "x: |-\n  a\n  b\n" in text
    assert parse_yaml(text) == {"run": "set -e\necho hi\n", "x": "a\nb"}


_plain = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=300)
@given(
    st.dictionaries(
        _plain,
        st.one_of(_plain, st.integers(), st.booleans(), st.lists(_plain, max_size=3)),
        max_size=5,
    )
)
def test_any_map_of_strings_reads_back_unchanged_in_both_yaml_versions(
    data: dict[str, object],
) -> None:
    text = dump(data)
    assert parse_yaml(text) == (data or None)
    assert yaml.safe_load(text) == (data or None)
