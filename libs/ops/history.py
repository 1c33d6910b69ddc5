"""Find credentials anywhere in a git repository's history, with our own scanner.

Every blob reachable from any ref (branches, tags, remotes, stash) and every commit
message is scanned once. Findings carry redacted previews; the secret values are kept
apart, in memory only, for the rewrite that removes them.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import msgspec

from libs.analysis.secrets import RawMatch, iter_matches, preview
from libs.analysis.tree import DEFAULT_MAX_FILE_BYTES, is_binary

MESSAGE = "(commit message)"
_SEP = b"\x01"


class HistoryError(Exception):
    """git failed or PATH is not a repository; the message says which."""


class HistoryFinding(msgspec.Struct, frozen=True, kw_only=True):
    """One credential in one blob (or commit message), without its value."""

    rule: str
    severity: str
    path: str
    line: int
    preview: str
    blob: str | None
    commits: tuple[str, ...]


@dataclass
class HistoryScan:
    findings: list[HistoryFinding] = field(default_factory=list)
    # The secrets themselves, for the rewrite: never print, log or store them.
    values: set[str] = field(default_factory=set, repr=False)
    blobs: int = 0
    commits: int = 0
    skipped_binary: int = 0
    skipped_large: int = 0


def git(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    result = subprocess.run(
        ["git", "-C", str(repo), "-c", "core.quotepath=off", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise HistoryError(f"git {args[0]} failed: {message}")
    return result.stdout


def _reachable_objects(repo: Path) -> dict[str, str]:
    """sha -> the first path it was seen at, for every tree and blob reachable from a ref."""
    found: dict[str, str] = {}
    for line in git(repo, "rev-list", "--objects", "--all").decode(errors="replace").splitlines():
        sha, _, path = line.partition(" ")
        if path:
            found.setdefault(sha, path)
    return found


def _blobs(repo: Path, shas: list[str]) -> Iterator[tuple[str, bytes | None]]:
    """(sha, content) of each blob among `shas`; content None when over the size cap."""
    with subprocess.Popen(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        assert proc.stdin is not None
        assert proc.stdout is not None
        request = "".join(f"{sha}\n" for sha in shas).encode()
        # A writer thread: the reply for the first objects must be read while we send.
        writer = threading.Thread(target=_write_all, args=(proc.stdin, request), daemon=True)
        writer.start()
        for _ in shas:
            sha, kind, size = proc.stdout.readline().decode().split()
            body = proc.stdout.read(int(size))
            proc.stdout.read(1)  # the newline after each object
            if kind == "blob":
                yield sha, body if int(size) <= DEFAULT_MAX_FILE_BYTES else None
        writer.join()


def _write_all(pipe: IO[bytes], data: bytes) -> None:
    pipe.write(data)
    pipe.close()


def _commits_adding(repo: Path, blobs: set[str]) -> dict[str, list[str]]:
    """For each blob in `blobs`, the commits (any branch, merges too) that added it."""
    if not blobs:
        return {}
    out = git(repo, "log", "--all", "-m", "--raw", "--no-abbrev", "--no-renames", "--format=%x01%H")
    adding: dict[str, list[str]] = {}
    commit = ""
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("\x01"):
            commit = line[1:]
        elif line.startswith(":"):
            new_sha = line.split()[3]
            if new_sha in blobs and commit not in adding.get(new_sha, []):
                adding.setdefault(new_sha, []).append(commit)
    return adding


def _scan_blobs(repo: Path, scan: HistoryScan) -> list[tuple[str, str, RawMatch]]:
    paths = _reachable_objects(repo)
    hits: list[tuple[str, str, RawMatch]] = []
    for sha, data in _blobs(repo, list(paths)):
        scan.blobs += 1
        if data is None:
            scan.skipped_large += 1
            continue
        if is_binary(data):
            scan.skipped_binary += 1
            continue
        for match in iter_matches(data, paths[sha]):
            scan.values.add(match.value)
            hits.append((sha, paths[sha], match))
    return hits


def _scan_messages(repo: Path, scan: HistoryScan) -> None:
    out = git(repo, "log", "--all", "--format=%x01%H%x00%B")
    for record in out.split(_SEP)[1:]:
        sha, _, message = record.partition(b"\x00")
        scan.commits += 1
        for match in iter_matches(message):
            scan.values.add(match.value)
            scan.findings.append(_finding(match, MESSAGE, None, (sha.decode(),)))


def _finding(
    match: RawMatch, path: str, blob: str | None, commits: tuple[str, ...]
) -> HistoryFinding:
    return HistoryFinding(
        rule=match.rule,
        severity=match.severity,
        path=path,
        line=match.line,
        preview=preview(match.value),
        blob=blob,
        commits=commits,
    )


def _require_repository(repo: Path) -> None:
    """`repo` must be a repository itself, not a directory inside one: a rewrite of the
    enclosing repository would be a nasty surprise."""
    if not repo.is_dir():
        raise HistoryError(f"{repo} is not a directory")
    try:
        bare = git(repo, "rev-parse", "--is-bare-repository").strip() == b"true"
        where = "--absolute-git-dir" if bare else "--show-toplevel"
        top = Path(git(repo, "rev-parse", where).decode().strip())
    except HistoryError:
        raise HistoryError(f"{repo} is not a git repository") from None
    if top.resolve() != repo.resolve():
        raise HistoryError(f"{repo} is not a git repository (it is inside {top})")


def scan_history(repo: Path) -> HistoryScan:
    """Every credential in the history of `repo` (a work tree or a bare repository)."""
    _require_repository(repo)
    scan = HistoryScan()
    hits = _scan_blobs(repo, scan)
    adding = _commits_adding(repo, {sha for sha, _, _ in hits})
    for sha, path, match in hits:
        # git log lists newest first; the commit that introduced the blob goes first.
        commits = tuple(reversed(adding.get(sha, [])))
        scan.findings.append(_finding(match, path, sha, commits))
    _scan_messages(repo, scan)
    return scan
