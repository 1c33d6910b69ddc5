"""Rewrite a repository's history with git-filter-repo, replacing each secret value.

`python -m libs.ops.rewrite REPO [--force]` reads a JSON list of values on stdin (never
argv, which `ps` shows) and replaces every occurrence in every blob and in every commit
and tag message with `***REMOVED***`. It runs as its own process because filter-repo
changes directory and may exit the interpreter on an error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

REPLACEMENT = b"***REMOVED***"


class RewriteError(Exception):
    """git-filter-repo refused or failed; the message is its own."""


def replacer(values: set[str]) -> Callable[[bytes], bytes]:
    # Longest first, so a value that contains another is replaced whole.
    needles = sorted({v.encode() for v in values if v}, key=len, reverse=True)

    def replace(data: bytes) -> bytes:
        for needle in needles:
            if needle in data:
                data = data.replace(needle, REPLACEMENT)
        return data

    return replace


def rewrite(repo: Path, values: set[str], *, force: bool = False) -> None:
    """Replace `values` throughout the history of `repo`, in a child process."""
    command = [sys.executable, "-m", "libs.ops.rewrite", str(repo.resolve())]
    if force:
        command.append("--force")
    result = subprocess.run(
        command,
        input=msgspec.json.encode(sorted(values)),
        capture_output=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    if result.returncode != 0:
        output = (result.stderr or result.stdout).decode(errors="replace").strip()
        raise RewriteError(output[-4000:] or f"git-filter-repo exited with {result.returncode}")


def _main(argv: list[str]) -> None:
    import git_filter_repo as fr

    repo, options = argv[0], argv[1:]
    replace = replacer(set(msgspec.json.decode(sys.stdin.buffer.read(), type=list[str])))

    def blob_callback(blob: Any, metadata: Any) -> None:
        blob.data = replace(blob.data)

    os.chdir(repo)
    args = fr.FilteringOptions.parse_args(["--quiet", *options], error_on_empty=False)
    fr.RepoFilter(args, blob_callback=blob_callback, message_callback=replace).run()


if __name__ == "__main__":
    _main(sys.argv[1:])
