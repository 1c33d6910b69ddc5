"""network.answers_any_address: whether a connection to an address nothing routes to is
accepted (a sandbox's proxy), said beside a failed job."""

from __future__ import annotations

import socket

import pytest

from libs.cigen.rehearse import network


@pytest.fixture(autouse=True)
def _fresh() -> None:
    network.answers_any_address.cache_clear()


def test_an_address_that_answers_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        monkeypatch.setattr(network, "_UNROUTED", server.getsockname()[:2])
        assert network.answers_any_address() is True
    network.answers_any_address.cache_clear()


def test_an_address_that_refuses_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        closed = server.getsockname()[:2]
    monkeypatch.setattr(network, "_UNROUTED", closed)  # nothing listens there now
    assert network.answers_any_address() is False
    network.answers_any_address.cache_clear()
