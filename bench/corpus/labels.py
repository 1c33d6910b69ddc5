"""The hand-written labels of the corpus (`labels.toml` beside this file), validated on load.

Each repository's entry says what a maintainer would sign about it: its main languages,
package managers, frameworks, test frameworks, declared runtime versions, Dockerfiles,
compose files, CI workflow files and real-looking secrets. `labels.toml`'s header
explains each field and the conventions the labels follow.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

LABELS = Path(__file__).with_name("labels.toml")


class VersionLabel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A runtime version declared in `file`. `optional` ones are neither required nor
    penalised; an optional one without `value` accepts any value."""

    runtime: str
    file: str
    value: str | None = None
    field: str | None = None  # only where one file declares the runtime twice (go.mod)
    optional: bool = False


class SecretLabel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    path: str
    line: int
    why: str = ""


class Maybe(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Values defensible either way: reporting one is no false positive, missing it no miss."""

    languages: list[str] = []
    package_managers: list[str] = []
    frameworks: list[str] = []
    test_frameworks: list[str] = []


class RepoLabels(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    languages: list[str]
    top_language: str
    package_managers: list[str]
    frameworks: list[str]
    test_frameworks: list[str]
    versions: list[VersionLabel]
    dockerfiles: list[str]
    compose_files: list[str]
    ci: dict[str, list[str]]  # CI system -> its workflow files
    secrets: list[SecretLabel]
    maybe: Maybe = Maybe()

    @property
    def slug(self) -> str:
        return self.name.replace("/", "+")


class LabelFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    repo: list[RepoLabels]


def load(path: Path = LABELS) -> list[RepoLabels]:
    """Every repository's labels; a malformed file fails with msgspec's message (field and
    repository index), since a silently dropped label would skew every figure."""
    labels = msgspec.toml.decode(path.read_bytes(), type=LabelFile).repo
    names = [repo.name for repo in labels]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path}: labelled twice: {', '.join(duplicates)}")
    return labels
