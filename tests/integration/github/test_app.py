"""GitHub App mode against the local GitHub: JWTs, installation tokens, waits it asks for."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from redis.asyncio import Redis

from libs.common.redis.github_waits import RedisRateGate
from libs.github.app import GitHubApp
from libs.github.errors import NotFound, NotInstalled, RateLimited
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import FakeInstallation

FILES = {"README.md": "# demo\n"}


@pytest.fixture
def installed(fake_github: FakeGitHub) -> FakeInstallation:
    repo = fake_github.add_repo("acme/api", FILES, private=True)
    return fake_github.apps.install("acme", [repo])


async def test_concurrent_callers_share_one_token(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    tokens = await asyncio.gather(*(app.installation_token(installed.id) for _ in range(20)))
    assert len(set(tokens)) == 1
    assert fake_github.apps.minted == 1
    # Cached until shortly before it expires: no second mint.
    client = app.client(installed.id)
    repo = await client.get_repo("acme/api")
    assert (repo.full_name, repo.private) == ("acme/api", True)
    assert fake_github.apps.minted == 1
    minted = fake_github.calls("POST", f"/app/installations/{installed.id}/access_tokens")
    assert minted[0].authorization is not None
    assert minted[0].authorization.startswith("bearer ")
    assert fake_github.calls("GET", "/repos/acme/api")[0].authorization == f"token {tokens[0]}"


async def test_a_token_close_to_expiry_is_replaced(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    fake_github.apps.token_ttl_s = 120  # inside the five-minute margin
    first = await app.installation_token(installed.id)
    second = await app.installation_token(installed.id)
    assert first != second
    assert fake_github.apps.minted == 2


async def test_a_token_that_expires_mid_job_is_minted_again(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    client = app.client(installed.id)
    assert (await client.get_repo("acme/api")).full_name == "acme/api"
    fake_github.apps.expire_tokens()
    # The next request meets a 401, drops the token, mints one and is retried once.
    assert (await client.get_branch("acme/api", "main")).name == "main"
    assert fake_github.apps.minted == 2
    before = fake_github.calls("GET", "/repos/acme/api")[0].authorization
    after = fake_github.calls("GET", "/repos/acme/api/branches")[0].authorization
    assert before != after


async def test_an_uninstalled_app_is_not_installed(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    assert await app.installation_for("acme/api") == installed.id
    client = app.client(installed.id)
    await client.get_repo("acme/api")
    fake_github.apps.uninstall(installed)
    with pytest.raises(NotInstalled):
        await client.get_repo("acme/api")
    with pytest.raises(NotInstalled):
        await app.installation_for("acme/api")


async def test_a_suspended_installation_is_not_installed(
    app: GitHubApp, installed: FakeInstallation
) -> None:
    installed.suspended = True
    with pytest.raises(NotInstalled, match="suspended"):
        await app.installation_token(installed.id)


async def test_a_repository_removed_from_the_installation_is_not_found(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    client = app.client(installed.id)
    await client.get_repo("acme/api")
    fake_github.apps.remove_repos(installed, [fake_github.repos["acme/api"]])
    with pytest.raises(NotFound):
        await client.get_repo("acme/api")


async def test_a_secondary_rate_limit_holds_back_the_installation(
    fake_github: FakeGitHub, session: aiohttp.ClientSession, redis: Redis
) -> None:
    key = fake_github.apps.create()
    gate = RedisRateGate(redis)
    app = GitHubApp(
        session,
        app_id=fake_github.apps.app_id,
        private_key=key,
        api_url=fake_github.api_url,
        gate=gate,
    )
    busy = fake_github.apps.install("acme", [fake_github.add_repo("acme/api", FILES)])
    calm = fake_github.apps.install("calm", [fake_github.add_repo("calm/web", FILES)])
    fake_github.fail(
        "GET",
        "/repos/acme/api",
        403,
        headers={"Retry-After": "30"},
        message="You have exceeded a secondary rate limit.",
    )
    with pytest.raises(RateLimited) as first:
        await app.client(busy.id).get_repo("acme/api")
    assert first.value.retry_after == 30
    asked = len(fake_github.calls("GET", "/repos/acme/api"))
    # Every replica (they share Redis) holds back until then, without asking GitHub.
    other_replica = GitHubApp(
        session,
        app_id=fake_github.apps.app_id,
        private_key=key,
        api_url=fake_github.api_url,
        gate=RedisRateGate(redis),
    )
    with pytest.raises(RateLimited) as second:
        await other_replica.client(busy.id).get_repo("acme/api")
    assert 25 < second.value.retry_after <= 30
    assert len(fake_github.calls("GET", "/repos/acme/api")) == asked
    # Another installation has its own budget.
    assert (await app.client(calm.id).get_repo("calm/web")).full_name == "calm/web"


async def test_a_primary_limit_at_zero_waits_for_the_reset(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub, redis: Redis
) -> None:
    gated = GitHubApp(
        app._session,
        app_id=app.app_id,
        private_key=fake_github.apps.create(app.app_id),
        api_url=fake_github.api_url,
        gate=RedisRateGate(redis),
    )
    fake_github.rate_remaining = 1  # this answer spends the last request of the hour
    client = gated.client(installed.id)
    await client.get_repo("acme/api")
    with pytest.raises(RateLimited):
        await client.get_branch("acme/api", "main")
    assert fake_github.calls("GET", "/repos/acme/api/branches") == []


async def test_repeated_reads_are_conditional_and_free(
    app: GitHubApp, installed: FakeInstallation, fake_github: FakeGitHub
) -> None:
    client = app.client(installed.id)
    first = await client.get_repo("acme/api")
    spent = fake_github.rate_remaining
    again = await client.get_repo("acme/api")
    assert again == first
    assert fake_github.not_modified == 1
    assert fake_github.rate_remaining == spent  # a 304 costs nothing
    (_, second) = fake_github.calls("GET", "/repos/acme/api")
    assert second.path == "/repos/acme/api"
    # A change is a full answer again.
    fake_github.repos["acme/api"].topics = ["changed"]
    assert (await client.get_repo("acme/api")).topics == ["changed"]
    assert fake_github.not_modified == 1
