from __future__ import annotations

import pytest

from libs.common.repourl import (
    InvalidRepositoryLocation,
    parse_https_url,
    parse_local_path,
    refuse_private_host,
)


@pytest.mark.parametrize(
    ("url", "provider", "full_name", "clone_url"),
    [
        (
            "https://github.com/octo/hello.git",
            "github",
            "octo/hello",
            "https://github.com/octo/hello.git",
        ),
        (
            "https://github.com/octo/hello",
            "github",
            "octo/hello",
            "https://github.com/octo/hello.git",
        ),
        (
            "https://gitlab.com/group/sub/proj.git",
            "git",
            "gitlab.com/group/sub/proj",
            "https://gitlab.com/group/sub/proj",
        ),
        (
            "https://git.example.com:8443/x/y",
            "git",
            "git.example.com:8443/x/y",
            "https://git.example.com:8443/x/y",
        ),
    ],
)
def test_https_urls_are_normalised(url: str, provider: str, full_name: str, clone_url: str) -> None:
    location = parse_https_url(url)
    assert (location.provider, location.full_name, location.clone_url) == (
        provider,
        full_name,
        clone_url,
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://github.com/a/b", "only https"),
        ("git@github.com:a/b.git", "only https"),
        ("https://user:pw@github.com/a/b", "credentials"),
        ("https://github.com/", "no repository path"),
        ("https://github.com/a/b/c", "OWNER/NAME"),
        ("https://example.com/a/../../etc", "no repository path"),
        ("https://example.com/a?x=1", "query"),
    ],
)
def test_bad_urls_say_why(url: str, reason: str) -> None:
    with pytest.raises(InvalidRepositoryLocation, match=reason):
        parse_https_url(url)


def test_local_paths_must_be_absolute() -> None:
    assert parse_local_path("/srv/repos/app/").clone_url == "/srv/repos/app"
    with pytest.raises(InvalidRepositoryLocation):
        parse_local_path("relative/path")


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x/y",
        "https://localhost:8443/x/y",
        "https://10.1.2.3/x/y",
        "https://192.168.0.10/x/y",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/x/y",
        "https://[fd00::1]/x/y",
        "https://0.0.0.0/x/y",
    ],
)
async def test_hosts_inside_the_network_are_refused(url: str) -> None:
    with pytest.raises(InvalidRepositoryLocation, match="ALLOW_PRIVATE_REPO_HOSTS"):
        await refuse_private_host(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://93.184.215.14/x/y",  # a public address
        "https://[2606:4700::6810:84e5]/x/y",
        "https://no-such-host.invalid/x/y",  # does not resolve: the fetch will say so
    ],
)
async def test_public_and_unresolvable_hosts_pass(url: str) -> None:
    await refuse_private_host(url)
