"""scripts/refresh_action_pins.py against a local server speaking GitHub's REST API."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from libs.cigen.pins import ActionEntry, PinRef, PinTableFile, decode_table
from scripts import refresh_action_pins
from scripts.refresh_action_pins import encode_table, refresh
from tests.fakes.github_pins import FakePinsGitHub, FakeRepo

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def sha(n: int) -> str:
    return f"{n:040x}"


def ref(tag: str, n: int, date: str = "2026-01-01") -> PinRef:
    return PinRef(tag=tag, sha=sha(n), date=date)


def table() -> PinTableFile:
    return PinTableFile(
        generated="2026-01-02",
        source="tags read from repository snapshots",
        selection="newest vX.Y.Z",
        snapshot_newest_commit={"actions/checkout": "2026-07-22", "broken/action": "2026-01-01"},
        actions={
            "actions/checkout": ActionEntry(
                latest=ref("v7.0.1", 1), majors={"v7": ref("v7.0.1", 1), "v6": ref("v6.1.0", 2)}
            ),
            "dtolnay/rust-toolchain": ActionEntry(
                latest=ref("stable", 10),
                majors={"v1": ref("v1", 11)},
                branches={"stable": ref("stable", 10)},
                notes="used by branch",
            ),
            "broken/action": ActionEntry(
                latest=ref("v1.0.0", 20), majors={"v1": ref("v1.0.0", 20)}
            ),
        },
    )


def fake() -> FakePinsGitHub:
    return FakePinsGitHub(
        token="ghs_test",
        page_size=2,  # make the refresh follow Link headers
        repos={
            "actions/checkout": FakeRepo(
                tags=[
                    ("v8.0.0-beta.1", sha(109)),
                    ("v8", sha(108)),
                    ("v7.1.0", sha(107)),
                    ("v7", sha(107)),
                    ("v7.0.1", sha(1)),
                    ("v6.2.0", sha(106)),
                    ("v5.0.0", sha(105)),
                ],
                commits={sha(107): "2026-11-20T10:00:00Z", sha(106): "2026-10-01T08:00:00Z"},
            ),
            "dtolnay/rust-toolchain": FakeRepo(
                tags=[("v1", sha(111))],
                commits={sha(111): "2026-09-09T00:00:00Z", sha(110): "2026-11-11T00:00:00Z"},
                branches={"stable": sha(110)},
            ),
            "broken/action": FakeRepo(tags=[("v1.1.0", sha(121))]),  # not a commit
        },
    )


async def test_refresh_takes_the_newest_release_of_each_line_and_checks_it_is_a_commit(
    aiohttp_server: ServerFactory,
) -> None:
    github = fake()
    server = await aiohttp_server(github.app())
    updated, errors = await refresh(table(), base_url=str(server.make_url("")), token="ghs_test")

    checkout = updated.actions["actions/checkout"]
    assert checkout.latest == PinRef(tag="v7.1.0", sha=sha(107), date="2026-11-20")
    assert checkout.majors == {
        "v7": PinRef(tag="v7.1.0", sha=sha(107), date="2026-11-20"),
        "v6": PinRef(tag="v6.2.0", sha=sha(106), date="2026-10-01"),
    }
    rust = updated.actions["dtolnay/rust-toolchain"]
    assert rust.latest == PinRef(tag="stable", sha=sha(110), date="2026-11-11")
    assert rust.majors == {"v1": PinRef(tag="v1", sha=sha(111), date="2026-09-09")}
    assert rust.notes == "used by branch"

    assert errors == [
        f"broken/action: kept the current entry (GET {server.make_url('')}"
        f"/repos/broken/action/git/commits/{sha(121)}: HTTP 404)"
    ]
    assert updated.actions["broken/action"] == table().actions["broken/action"]
    assert updated.snapshot_newest_commit == {"broken/action": "2026-01-01"}
    assert any("page=2" in r for r in github.requests)  # followed the Link header


async def test_a_rejected_token_changes_nothing(aiohttp_server: ServerFactory) -> None:
    server = await aiohttp_server(fake().app())
    updated, errors = await refresh(table(), base_url=str(server.make_url("")), token="wrong")
    assert updated.actions == table().actions
    assert len(errors) == 3
    assert all("HTTP 401" in e for e in errors)


@pytest.fixture
def github_api() -> Iterator[str]:
    """The fake on its own loop and thread, for the script's synchronous main()."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(fake().app())
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()


def test_main_rewrites_the_table_file(
    github_api: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "actions-pins.json"
    path.write_bytes(encode_table(table()))
    monkeypatch.setenv("GITHUB_API_URL", github_api)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_test")
    assert refresh_action_pins.main(["--table", str(path), "--only", "actions/checkout"]) == 0
    written = decode_table(path.read_bytes())
    assert written.actions["actions/checkout"].latest.tag == "v7.1.0"
    assert written.actions["broken/action"] == table().actions["broken/action"]
    assert "some entries: GitHub REST API" in written.source
    assert json.loads(path.read_text())["generated"] == dt.datetime.now(dt.UTC).date().isoformat()
    assert capsys.readouterr().out == f"actions/checkout: v7.0.1 -> v7.1.0 ({sha(107)})\n"


def test_dry_run_writes_nothing(
    github_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "actions-pins.json"
    path.write_bytes(encode_table(table()))
    before = path.read_bytes()
    monkeypatch.setenv("GITHUB_API_URL", github_api)
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    assert refresh_action_pins.main(["--table", str(path), "--dry-run"]) == 1  # every action failed
    assert path.read_bytes() == before
