"""Fixture trees the analysis tests build on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

Files = dict[str, str | bytes]
Build = Callable[[Files], Path]


def write_tree(root: Path, files: Files) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return root


@pytest.fixture
def build(tmp_path: Path) -> Build:
    counter = iter(range(1000))

    def make(files: Files) -> Path:
        return write_tree(tmp_path / f"repo{next(counter)}", files)

    return make
