"""Where a browser goes after signing in: a path on this server, nothing else."""

from __future__ import annotations

import pytest

from services.api.github_signin import safe_next


@pytest.mark.parametrize("path", ["/v1/me", "/dashboard?tab=jobs&x=%2F%2Fa", "/a/b#frag"])
def test_a_local_path_is_kept(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",  # browsers drop the tab: //evil.example
        "/\n/evil.example",
        "/x\r\nSet-Cookie: a=b",
        "/caf\u00e9",
        "/" + "a" * 500,
        "evil.example",
    ],
)
def test_anything_else_goes_to_the_account_page(value: str | None) -> None:
    assert safe_next(value) == "/v1/me"
