from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

import libs.cigen
from libs.cigen.pins import UnknownAction, decode_table, vetted_pins

TABLE = Path(libs.cigen.__file__).parent / "actions-pins.json"


def test_the_vetted_table_keeps_its_provenance() -> None:
    table = vetted_pins().table
    assert table.generated == "2026-11-27"
    assert table.source
    assert table.selection
    assert table.snapshot_newest_commit["actions/checkout"] == "2026-07-22"


def test_an_action_resolves_to_its_newest_release_commit() -> None:
    pin = vetted_pins().pin("actions/checkout")
    assert (pin.sha, pin.tag) == ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")
    assert pin.uses == "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"


def test_a_sub_action_resolves_through_its_repository() -> None:
    pin = vetted_pins().pin("gradle/actions/setup-gradle")
    assert pin.uses == "gradle/actions/setup-gradle@9c971963bec38e04b3d30dcc455b5382be2fdbfb"
    assert pin.tag == "v6.3.0"


def test_rust_toolchain_is_pinned_to_its_tag_not_the_moving_branch() -> None:
    pin = vetted_pins().pin("dtolnay/rust-toolchain")
    assert (pin.tag, pin.sha) == ("v1", "e97e2d8cc328f1b50210efc529dca0028893a2d9")


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(UnknownAction):
        vetted_pins().pin("someone/unvetted-action")
    assert not vetted_pins().is_vetted("actions/checkout", "0" * 40)


def test_a_table_with_a_short_sha_is_rejected() -> None:
    data = json.loads(TABLE.read_text())
    data["actions"]["actions/checkout"]["latest"]["sha"] = "3d3c42e"
    with pytest.raises(msgspec.ValidationError, match="sha"):
        decode_table(json.dumps(data).encode())
