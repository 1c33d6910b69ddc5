"""Fetching a tree at one commit: exactly that commit's files, and nothing unsafe."""

from __future__ import annotations

import os
import tarfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import msgspec
import pytest

from libs.common.config import Settings
from libs.common.schemas import Repository
from services.worker import fetch
from services.worker.errors import PermanentJobError
from services.worker.trees import TreeCache
from tests.helpers import git, make_repo


def _repo(path: Path, provider: str = "local") -> Repository:
    return Repository(
        id=uuid.uuid4(),
        organization_id=uuid.uuid4(),
        provider=provider,  # type: ignore[arg-type]
        full_name="local/x",
        clone_url=str(path),
        default_branch=None,
        last_commit=None,
        last_synced_at=None,
        visibility=None,
        topics=[],
        webhook_id=None,
        created_at=datetime.now(UTC),
    )


async def test_local_repository_at_an_older_commit(settings: Settings, tmp_path: Path) -> None:
    first = make_repo(tmp_path / "src", {"a.txt": "one\n", "dir/b.txt": "b\n"})
    (tmp_path / "src/a.txt").write_text("two\n")
    (tmp_path / "src/c.txt").write_text("c\n")
    git(tmp_path / "src", "add", "-A")
    git(tmp_path / "src", "commit", "-qm", "second")
    async with aiohttp.ClientSession() as session:
        stats = await fetch.fetch_tree(
            settings,
            session,
            _repo(tmp_path / "src"),
            first,
            tmp_path / "tree",
            token=None,
            trees=TreeCache(tmp_path / "a"),
        )
    tree = tmp_path / "tree"
    assert (tree / "a.txt").read_text() == "one\n"
    assert (tree / "dir/b.txt").read_text() == "b\n"
    assert not (tree / "c.txt").exists()
    assert not (tree / ".git").exists()
    assert stats.files == 2
    assert not (tmp_path / "tree.tar").exists()


async def test_unknown_commit_is_a_permanent_failure(settings: Settings, tmp_path: Path) -> None:
    make_repo(tmp_path / "src", {"a.txt": "a"})
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PermanentJobError) as info:
            await fetch.fetch_tree(
                settings,
                session,
                _repo(tmp_path / "src"),
                "f" * 40,
                tmp_path / "t",
                token=None,
                trees=TreeCache(tmp_path / "a"),
            )
    assert info.value.error_type == "bad_commit"


async def test_a_link_out_of_the_tree_is_refused(settings: Settings, tmp_path: Path) -> None:
    src = tmp_path / "src"
    make_repo(src, {"a.txt": "a"})
    os.symlink("../../../../etc/passwd", src / "escape")
    git(src, "add", "-A")
    git(src, "commit", "-qm", "link")
    head = git(src, "rev-parse", "HEAD")
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PermanentJobError) as info:
            await fetch.fetch_tree(
                settings,
                session,
                _repo(src),
                head,
                tmp_path / "t",
                token=None,
                trees=TreeCache(tmp_path / "a"),
            )
    assert info.value.error_type == "archive_refused"
    assert not (tmp_path / "t").exists()


async def test_local_paths_need_the_operator_switch(settings: Settings, tmp_path: Path) -> None:
    head = make_repo(tmp_path / "src", {"a.txt": "a"})
    strict = msgspec.structs.replace(settings, allow_local_repos=False)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PermanentJobError, match="disabled"):
            await fetch.fetch_tree(
                strict,
                session,
                _repo(tmp_path / "src"),
                head,
                tmp_path / "t",
                token=None,
                trees=TreeCache(tmp_path / "a"),
            )


async def test_shallow_fetch_takes_exactly_the_commit(settings: Settings, tmp_path: Path) -> None:
    first = make_repo(tmp_path / "src", {"a.txt": "one\n"})
    (tmp_path / "src/a.txt").write_text("two\n")
    git(tmp_path / "src", "commit", "-qam", "second")
    archive = tmp_path / "out.tar"
    await fetch._shallow_fetch_archive(
        f"file://{tmp_path / 'src'}", first, archive, settings, allow_file=True
    )
    with tarfile.open(archive) as tar:
        member = tar.extractfile("a.txt")
        assert member is not None
        assert member.read() == b"one\n"
    assert not (tmp_path / "out.git").exists()


async def test_commit_must_be_a_full_sha(settings: Settings, tmp_path: Path) -> None:
    make_repo(tmp_path / "src", {"a.txt": "a"})
    async with aiohttp.ClientSession() as session:
        with pytest.raises(PermanentJobError) as info:
            await fetch.fetch_tree(
                settings,
                session,
                _repo(tmp_path / "src"),
                "HEAD",
                tmp_path / "t",
                token=None,
                trees=TreeCache(tmp_path / "a"),
            )
    assert info.value.error_type == "bad_commit"
