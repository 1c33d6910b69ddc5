"""Leaked-credential detection: provider formats plus a keyword-and-entropy rule.

`scan_text` gives report findings with redacted previews. `iter_matches` gives the raw
matches, values included, for callers that must remove or replace them (the history
rewriter, the AI redactor): a `RawMatch.value` must never be logged, stored or serialized.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from libs.analysis.report import SecretFinding, SecretsResult
from libs.analysis.secrets.match import RawMatch, preview
from libs.analysis.tree import Progress, Tree, is_binary

if TYPE_CHECKING:
    from libs.analysis.secrets.engine import Scanner

__all__ = ["RawMatch", "iter_matches", "preview", "scan_text", "scan_tree", "scanner"]

MAX_FINDINGS = 500
BINARY_EXTENSIONS = frozenset(
    """
    png jpg jpeg gif bmp ico icns webp tif tiff psd svgz heic avif
    pdf zip gz tgz bz2 xz zst 7z rar tar jar war ear whl egg apk aab ipa dmg iso img deb rpm
    so dll dylib exe o a lib obj class pyc pyo pyd wasm node bin dat db sqlite sqlite3
    woff woff2 ttf otf eot mp3 mp4 m4a wav ogg flac avi mov mkv webm
    parquet avro orc npy npz pkl pickle h5 onnx pt pth safetensors tflite
    """.split()
)


@functools.cache
def scanner() -> Scanner:
    """The shared scanner (its automaton is built once per process). Its rules are
    compiled on first use, so a command that scans nothing never pays for them."""
    from libs.analysis.secrets.engine import Scanner

    return Scanner()


def iter_matches(text: str | bytes, path: str = "", *, strict: bool = True) -> Iterator[RawMatch]:
    """Raw matches in `text`, values included. Offsets index `text` as given.

    The value of each match is the secret: never log, store or serialize it.
    `strict=False` also yields shapes the report would dismiss (see `Scanner.scan`).
    """
    if isinstance(text, bytes):
        yield from scanner().scan(text, path, strict=strict)
        return
    data = text.encode("utf-8", "surrogatepass")
    ascii_only = len(data) == len(text)
    for match in scanner().scan(data, path, strict=strict):
        if ascii_only:
            yield match
            continue
        start = len(data[: match.start].decode("utf-8", "surrogatepass"))
        end = start + len(data[match.start : match.end].decode("utf-8", "surrogatepass"))
        yield RawMatch(
            match.rule, match.description, match.severity, match.line, start, end, match.value
        )


def scan_text(text: str | bytes, path: str = "") -> list[SecretFinding]:
    """Findings in one text, each with a redacted preview instead of the value."""
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    return [_finding(match, path) for match in scanner().scan(data, path)]


def _finding(match: RawMatch, path: str) -> SecretFinding:
    return SecretFinding(
        rule=match.rule,
        description=match.description,
        path=path,
        line=match.line,
        preview=preview(match.value),
        severity=match.severity,
    )


def scan_tree(tree: Tree, progress: Progress | None = None) -> SecretsResult:
    """Scan every text file of the tree; binaries and files over the size cap are counted."""
    result = SecretsResult()
    total = len(tree.files)
    for index, entry in enumerate(tree.files):
        if progress is not None and index % 256 == 0:
            progress("secrets", index, total)
        if entry.symlink:
            continue  # its target is a file of the tree and is scanned as itself
        extension = entry.name.rpartition(".")[2].lower()
        if extension in BINARY_EXTENSIONS and "." in entry.name:
            result.skipped_binary += 1
            continue
        if entry.size > tree.max_file_bytes:
            result.skipped_large += 1
            continue
        data = tree.read(entry.path, cache=False)
        if data is None:
            result.skipped_large += 1
            continue
        if is_binary(data):
            result.skipped_binary += 1
            continue
        result.files_scanned += 1
        result.bytes_scanned += len(data)
        for match in scanner().scan(data, entry.path):  # built at the first text file
            if len(result.findings) < MAX_FINDINGS:
                result.findings.append(_finding(match, entry.path))
            else:
                result.findings_truncated += 1
    return result
