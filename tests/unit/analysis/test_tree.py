"""Walking a checkout: symlink loops, links out of the tree, huge files, and the digest."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from libs.analysis import Listing, analyze
from libs.analysis.tree import Tree
from tests.unit.analysis.conftest import Build


def test_symlink_loops_and_escapes_are_skipped_and_counted(build: Build, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("AWS secret outside the tree\n")
    root = build({"src/app.py": "print(1)\n", "README.md": "# x\n"})
    os.symlink("..", root / "src" / "loop")  # directory loop
    os.symlink("a", root / "b")
    os.symlink("b", root / "a")  # a <-> b: resolving never ends
    os.symlink(str(outside), root / "escape.txt")  # a file outside the tree
    os.symlink("/", root / "rootfs")  # a directory outside the tree
    os.symlink("README.md", root / "README.link")  # stays inside: kept

    tree = Tree.scan(root)

    assert [e.path for e in tree.files] == ["README.link", "README.md", "src/app.py"]
    link = tree.get("README.link")
    assert link is not None
    assert link.symlink
    assert tree.skipped_symlinks == 5
    assert tree.read("escape.txt") is None


def test_huge_and_binary_files_are_skipped_and_counted(build: Build) -> None:
    root = build(
        {
            "big.txt": "x" * 5000,
            "small.txt": "hello\n",
            "image.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "blob.dat2": b"ab\x00cd" * 10,
        }
    )
    report = analyze(root, listing=Listing(max_file_bytes=1000))
    assert report.secrets.files_scanned == 1
    assert report.secrets.skipped_large == 1
    assert report.secrets.skipped_binary == 2
    assert report.stats.skipped_large == 1


def test_content_digest_is_stable_across_locations_and_runs(build: Build, tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = ["flask"]\n',
        "app.py": "print(1)\n",
        "image.png": b"\x89PNG\x00\x00",
    }
    first = build(files)
    second = tmp_path / "elsewhere" / "copy"
    shutil.copytree(first, second)
    digest = analyze(first).content_digest
    assert len(digest) == 64
    assert analyze(first).content_digest == digest
    assert analyze(second).content_digest == digest

    (second / "app.py").write_text("print(2)\n")
    assert analyze(second).content_digest != digest
    (second / "app.py").write_text("print(1)\n")
    (second / "new.txt").write_text("")
    assert analyze(second).content_digest != digest


def test_deeply_nested_tree_is_walked_without_recursion(build: Build) -> None:
    deep = "/".join(["d"] * 400)
    root = build({f"{deep}/leaf.txt": "x\n"})
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(250)  # far fewer frames than the tree is deep
    try:
        tree = Tree.scan(root)
    finally:
        sys.setrecursionlimit(limit)
    assert [e.path for e in tree.files] == [f"{deep}/leaf.txt"]


def test_a_head_read_counts_into_the_digest_apart_from_a_whole_read(build: Build) -> None:
    root = build({"static/app.js": "a;\n" * 2000})
    tree = Tree.scan(root)
    before = tree.content_digest()
    assert tree.head("static/app.js", 8) == b"a;\na;\na;"
    after_head = tree.content_digest()
    assert after_head != before
    assert tree.read("static/app.js") is not None  # the whole file still counts on its own
    assert tree.content_digest() != after_head
    assert tree.head("missing.js", 8) is None
