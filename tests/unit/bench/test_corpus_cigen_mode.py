"""The corpus table says how each row's dependencies were resolved: today, or as of the
repository's commit date (--as-of-commit)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bench.corpus import MANIFEST, load
from bench.corpus.cigen import JobOutcome, Row, acceptance, mode, table

GIT_MIRRORS = Path(__file__).parents[3] / "bench" / "corpus" / "git-mirrors.toml"
HOLDOUT = MANIFEST.with_name("holdout.toml")


def rows(*dates: str) -> list[Row]:
    return [
        Row(
            repo=f"o/r{n}",
            ecosystem="python",
            valid=True,
            jobs=[JobOutcome("python", ".", True, "passed")],
            as_of=date,
        )
        for n, date in enumerate(dates)
    ]


def test_the_mode_line_says_today_as_of_commit_or_mixed() -> None:
    assert mode(rows("", "")) == "dependencies resolved: today (the registries as they are now)"
    assert mode(rows("2025-08-24T07:06:35Z")).endswith("commit date (--as-of-commit)")
    assert mode(rows("2025-08-24T07:06:35Z", "")).startswith(
        "dependencies resolved: mixed, 1 repositories as of their commit date"
    )
    assert acceptance(rows(""), {})[0] == mode(rows(""))


def test_a_dated_row_is_marked_in_the_table() -> None:
    lines = table(rows("2025-08-24T07:06:35Z", "")).splitlines()
    assert lines[2].startswith("| o/r0 (as of 2025-08-24) | 1 | 1 | 1 |")
    assert lines[3].startswith("| o/r1 | 1 | 1 | 1 |")


def test_the_mode_line_says_where_github_came_from_local_mirrors() -> None:
    mirrored = rows("2025-08-24T07:06:35Z", "2025-08-24T07:06:35Z")
    mirrored[0].git_mirrors = True
    assert mode(mirrored).endswith("; github.com from local mirrors (--git-mirrors) for 1 of 2")
    assert "mirrors" not in mode(rows("2025-08-24T07:06:35Z"))


@pytest.mark.parametrize(
    ("mirrors_file", "manifest"),
    [
        (GIT_MIRRORS, MANIFEST),
        (GIT_MIRRORS.with_name("holdout-git-mirrors.toml"), HOLDOUT),
        (GIT_MIRRORS.with_name("holdout2-git-mirrors.toml"), MANIFEST.with_name("holdout2.toml")),
    ],
)
def test_every_git_mirror_names_the_corpus_repositories_that_fetch_it(
    mirrors_file: Path, manifest: Path
) -> None:
    """bench/corpus/git-mirrors.toml (and holdout-git-mirrors.toml,
    holdout2-git-mirrors.toml for the held-out corpora): what the corpus's steps fetch
    from github.com."""
    corpus = {repo.name for repo in load(manifest)}
    mirrors = tomllib.loads(mirrors_file.read_text(encoding="utf-8"))["mirror"]
    assert mirrors
    for mirror in mirrors:
        assert set(mirror["for"]) <= corpus, mirror
        assert mirror["revs"], mirror
        assert isinstance(mirror["held"], bool), mirror
