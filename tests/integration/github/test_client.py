"""GitHubClient (gidgethub) against the local GitHub: reads, idempotent writes, errors."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import aiohttp
import pytest

from libs.github.client import GitHubClient
from libs.github.errors import ArchiveError, Forbidden, NotFound, RateLimited, Transient
from libs.github.tarball import ExtractLimits, safe_extract
from tests.fakes.github import FakeGitHub

FILES = {"README.md": "# demo\n", ".github/workflows/ci.yml": "on: push\n", "src/a.py": "x = 1\n"}


@pytest.fixture
def alice(fake_github: FakeGitHub, session: aiohttp.ClientSession) -> GitHubClient:
    _, token = fake_github.add_user("alice")
    fake_github.add_repo("alice/demo", FILES, topics=["ci", "python"])
    return GitHubClient(session, token=token, api_url=fake_github.api_url)


async def test_metadata_and_head_commit(alice: GitHubClient, fake_github: FakeGitHub) -> None:
    snapshot = await alice.snapshot("alice/demo")
    repo = snapshot.repo
    assert repo.default_branch == "main"
    assert repo.effective_visibility == "public"
    assert repo.topics == ["ci", "python"]
    assert repo.permissions.admin
    assert snapshot.head_sha == fake_github.repos["alice/demo"].branches["main"]
    commit = await alice.get_commit("alice/demo", snapshot.head_sha)
    assert commit.commit.message == "initial"
    assert (await alice.get_user()).login == "alice"
    assert all(
        r.authorization and r.authorization.startswith("token ") for r in fake_github.requests
    )


async def test_github_enterprise_paths(session: aiohttp.ClientSession) -> None:
    fake = FakeGitHub(api_prefix="/api/v3")
    await fake.start()
    try:
        _, token = fake.add_user("bob")
        fake.add_repo("bob/tool", FILES)
        client = GitHubClient(session, token=token, api_url=fake.api_url)
        assert (await client.get_repo("bob/tool")).full_name == "bob/tool"
        [call] = fake.calls("GET", "/repos/bob/tool")
        assert call.login == "bob"
    finally:
        await fake.close()


async def test_private_repositories_are_not_found_for_others(
    fake_github: FakeGitHub, session: aiohttp.ClientSession
) -> None:
    fake_github.add_repo("corp/secret", FILES, private=True)
    _, token = fake_github.add_user("mallory")
    client = GitHubClient(session, token=token, api_url=fake_github.api_url)
    with pytest.raises(NotFound):
        await client.get_repo("corp/secret")
    with pytest.raises(Forbidden):
        await GitHubClient(session, token="ghp_wrong", api_url=fake_github.api_url).get_user()


async def test_tarball_is_streamed_from_the_redirect_without_the_token(
    alice: GitHubClient, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    archive = tmp_path / "repo.tar.gz"
    size = await alice.download_tarball("alice/demo", "main", archive, max_bytes=1_000_000)
    assert size == archive.stat().st_size > 0
    stats = safe_extract(archive, tmp_path / "tree")
    assert stats.files == 3
    assert (tmp_path / "tree/.github/workflows/ci.yml").read_text() == "on: push\n"
    [download] = fake_github.calls("GET", "/_codeload/")
    assert download.authorization is None  # the token never goes to the download host


async def test_fetch_tree_downloads_extracts_and_cleans_up(
    alice: GitHubClient, tmp_path: Path
) -> None:
    dest = tmp_path / "work" / "tree"
    dest.parent.mkdir()
    stats = await alice.fetch_tree(
        "alice/demo", "main", dest, max_download_bytes=1_000_000, limits=ExtractLimits()
    )
    assert stats.files == 3
    assert (dest / "src/a.py").read_text() == "x = 1\n"
    assert sorted(p.name for p in dest.parent.iterdir()) == ["tree"]  # no archive left
    with pytest.raises(ArchiveError, match="REPO_MAX_FILES"):
        await alice.fetch_tree(
            "alice/demo",
            "main",
            tmp_path / "work" / "again",
            max_download_bytes=1_000_000,
            limits=ExtractLimits(max_files=2),
        )
    assert sorted(p.name for p in dest.parent.iterdir()) == ["tree"]


async def test_tarball_over_the_cap_leaves_nothing(alice: GitHubClient, tmp_path: Path) -> None:
    archive = tmp_path / "repo.tar.gz"
    with pytest.raises(ArchiveError, match="REPO_DOWNLOAD_MAX_BYTES"):
        await alice.download_tarball("alice/demo", "main", archive, max_bytes=50)
    assert not archive.exists()


async def test_a_hostile_tarball_downloads_but_does_not_extract(
    alice: GitHubClient, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    repo = fake_github.repos["alice/demo"]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("alice-demo-1/../../outside.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    repo.tarballs[repo.branches["main"]] = buffer.getvalue()
    archive = tmp_path / "repo.tar.gz"
    await alice.download_tarball("alice/demo", "main", archive, max_bytes=1_000_000)
    with pytest.raises(ArchiveError, match=r"'\.\.'"):
        safe_extract(archive, tmp_path / "tree")
    assert not (tmp_path / "outside.txt").exists()


async def test_branch_commit_and_pull_request_are_idempotent(
    alice: GitHubClient, fake_github: FakeGitHub
) -> None:
    repo = fake_github.repos["alice/demo"]
    base = repo.branches["main"]
    assert await alice.ensure_branch("alice/demo", "autodevops/ci", base) == base
    assert await alice.ensure_branch("alice/demo", "autodevops/ci", base) == base

    workflow = b"name: ci\non: [push]\n"
    path = ".github/workflows/autodevops.yml"
    first = await alice.commit_file(
        "alice/demo", path, workflow, message="Add CI", branch="autodevops/ci"
    )
    assert first == repo.branches["autodevops/ci"]
    again = await alice.commit_file(
        "alice/demo", path, workflow, message="Add CI", branch="autodevops/ci"
    )
    assert again is None  # same content: no second commit
    changed = await alice.commit_file(
        "alice/demo", path, workflow + b"# v2\n", message="Update CI", branch="autodevops/ci"
    )
    assert changed is not None
    assert changed != first
    assert repo.commits[changed].files[path].endswith(b"# v2\n")

    pr = await alice.open_pull_request(
        "alice/demo", head="autodevops/ci", base="main", title="Hardened CI", body="..."
    )
    same = await alice.open_pull_request(
        "alice/demo", head="autodevops/ci", base="main", title="Hardened CI", body="..."
    )
    assert pr == same
    assert pr.html_url.endswith("/alice/demo/pull/1")
    assert len(repo.pulls) == 1


async def test_webhook_is_created_once_and_updated_in_place(
    alice: GitHubClient, fake_github: FakeGitHub
) -> None:
    url = "https://autodevops.example/webhooks/github"
    hook = await alice.ensure_webhook("alice/demo", url=url, secret="s1")
    again = await alice.ensure_webhook("alice/demo", url=url, secret="s2")
    repo = fake_github.repos["alice/demo"]
    assert hook.id == again.id
    assert len(repo.hooks) == 1
    assert sorted(hook.events) == ["ping", "pull_request", "push", "repository"]
    assert repo.hooks[0]["config"]["secret"] == "s2"
    assert repo.hooks[0]["config"]["content_type"] == "json"
    await alice.delete_webhook("alice/demo", hook.id)
    await alice.delete_webhook("alice/demo", hook.id)  # already gone: fine
    assert repo.hooks == []


async def test_webhooks_need_admin(fake_github: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake_github.add_repo("alice/demo", FILES)
    _, token = fake_github.add_user("reader")
    client = GitHubClient(session, token=token, api_url=fake_github.api_url)
    await client.get_repo("alice/demo")  # public: readable
    with pytest.raises(NotFound):
        await client.ensure_webhook("alice/demo", url="https://x.example/h", secret="s")


async def test_rate_limits_and_outages_are_typed(
    alice: GitHubClient, fake_github: FakeGitHub
) -> None:
    fake_github.fail(
        "GET",
        "/repos/alice/demo",
        403,
        headers={
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "4102444800",
        },
        message="API rate limit exceeded",
    )
    with pytest.raises(RateLimited) as primary:
        await alice.get_repo("alice/demo")
    assert primary.value.reset is not None
    assert primary.value.reset.year == 2100

    fake_github.fail("GET", "/repos/alice/demo", 429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as secondary:
        await alice.get_repo("alice/demo")
    assert secondary.value.retry_after == 30

    fake_github.fail("GET", "/repos/alice/demo", 502, message="Bad Gateway")
    with pytest.raises(Transient):
        await alice.get_repo("alice/demo")
    fake_github.fail("GET", "/repos/alice/demo/tarball", 503)
    with pytest.raises(Transient):
        await alice.download_tarball("alice/demo", "main", Path("/nonexistent/x"), max_bytes=10)
    assert (await alice.get_repo("alice/demo")).full_name == "alice/demo"


async def test_an_unreachable_github_is_transient(session: aiohttp.ClientSession) -> None:
    client = GitHubClient(session, token="t", api_url="http://127.0.0.1:9", timeout_s=2)
    with pytest.raises(Transient, match="could not be reached"):
        await client.get_repo("a/b")
