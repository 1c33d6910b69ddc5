"""The vetted table of GitHub Actions pinned to commit SHAs (`actions-pins.json`).

The table is checked in and refreshed by `scripts/refresh_action_pins.py`; generation
never resolves a tag at run time, so what a workflow runs is what was reviewed.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Annotated

import msgspec

Sha = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{40}$")]
TABLE_FILE = "actions-pins.json"

# Actions used at a ref other than their newest release tag, and why.
PREFERRED_REF = {
    # Its newest "release" is the moving `stable` branch head; the v1 tag is a fixed
    # commit, and we always pass `toolchain:` explicitly, which v1 requires.
    "dtolnay/rust-toolchain": "v1",
}


class PinRef(msgspec.Struct, frozen=True, kw_only=True):
    tag: str
    sha: Sha
    date: str


class ActionEntry(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    latest: PinRef
    majors: dict[str, PinRef] = {}
    branches: dict[str, PinRef] = {}
    notes: str | None = None


class PinTableFile(msgspec.Struct, kw_only=True, omit_defaults=True):
    generated: str
    source: str
    selection: str = ""
    snapshot_newest_commit: dict[str, str] = {}
    actions: dict[str, ActionEntry] = {}


class Pin(msgspec.Struct, frozen=True, kw_only=True):
    """One action at one vetted commit: render as `uses: {uses}  # {tag}`."""

    action: str  # as written in `uses:`, e.g. "gradle/actions/setup-gradle"
    sha: str
    tag: str

    @property
    def uses(self) -> str:
        return f"{self.action}@{self.sha}"


class UnknownAction(KeyError):
    """An action that is not in the vetted table: generation must not use it."""


_SUBPATH = re.compile(r"^([^/]+/[^/]+)(/.+)?$")


class PinTable:
    """Look up the vetted commit for an action (a sub-action such as
    `github/codeql-action/init` resolves through its repository's entry)."""

    def __init__(self, table: PinTableFile) -> None:
        self.table = table

    @property
    def generated(self) -> str:
        return self.table.generated

    def pin(self, action: str) -> Pin:
        match = _SUBPATH.match(action)
        repo = match.group(1) if match else action
        entry = self.table.actions.get(repo)
        if entry is None:
            raise UnknownAction(action)
        preferred = PREFERRED_REF.get(repo)
        ref = entry.majors.get(preferred, entry.latest) if preferred else entry.latest
        return Pin(action=action, sha=ref.sha, tag=ref.tag)

    def is_vetted(self, action: str, sha: str) -> bool:
        try:
            return self.pin(action).sha == sha
        except UnknownAction:
            return False


def decode_table(data: bytes) -> PinTableFile:
    return msgspec.json.decode(data, type=PinTableFile)


@functools.cache
def vetted_pins() -> PinTable:
    """The table shipped beside this module."""
    data = resources.files(__package__).joinpath(TABLE_FILE).read_bytes()
    return PinTable(decode_table(data))
