"""The score before and after: re-run the Report's CI and hygiene checks with the
generated file in place.

cigen does not know how to score; the analysis does. The caller passes a `Rescorer`:
given the files the generation adds (repository-relative path -> content), it returns
the Report as the analysis would produce it for the tree with those files in place.
`in_tree_copy` makes one from any directory analyser, e.g.
`in_tree_copy(root, lambda copy: analysis.rescore(copy, report))`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

import msgspec

from libs.analysis.report import Check, CheckStatus, Report

Rescorer = Callable[[Mapping[str, str]], Report]


class CheckChange(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    before: CheckStatus
    after: CheckStatus


class ScoreChange(msgspec.Struct, frozen=True, kw_only=True):
    before: int
    after: int
    checks: list[CheckChange] = []  # only the checks whose status changed


def compare(before: Report, after: Report) -> ScoreChange:
    old: dict[str, Check] = {c.id: c for c in before.checks}
    changes = [
        CheckChange(id=c.id, before=old[c.id].status, after=c.status)
        for c in after.checks
        if c.id in old and old[c.id].status != c.status
    ]
    return ScoreChange(before=before.score.overall, after=after.score.overall, checks=changes)


def score_change(report: Report, files: Mapping[str, str], rescorer: Rescorer) -> ScoreChange:
    return compare(report, rescorer(files))


def in_tree_copy(root: Path, analyse: Callable[[Path], Report]) -> Rescorer:
    """A Rescorer that runs `analyse` on a copy of `root` with the files written into it.
    The copy hard-links files where it can, so it is cheap, and `root` is never changed."""

    def rescorer(files: Mapping[str, str]) -> Report:
        with tempfile.TemporaryDirectory(prefix="cigen-rescore-") as tmp:
            copy = Path(tmp) / "tree"
            shutil.copytree(
                root,
                copy,
                symlinks=True,
                ignore=shutil.ignore_patterns(".git"),
                copy_function=_link_or_copy,
            )
            for path, content in files.items():
                target = copy.joinpath(*_relative_parts(path))
                target.unlink(missing_ok=True)  # a hard link: never write through to root
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content)
            return analyse(copy)

    return rescorer


def _link_or_copy(src: str, dst: str) -> object:
    try:
        os.link(src, dst)
        return dst
    except OSError:
        return shutil.copy2(src, dst)


def _relative_parts(path: str) -> tuple[str, ...]:
    parts = PurePosixPath(path).parts
    if not parts or PurePosixPath(path).is_absolute() or ".." in parts:
        raise ValueError(f"not a path inside the repository: {path!r}")
    return parts
