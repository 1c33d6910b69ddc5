"""The fetched tree as the AI step sees it: a bounded listing, an outline, safe reads."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

SKIP_DIRS = frozenset({".git", "node_modules", "vendor", "__pycache__", ".venv", "venv", "dist"})
MAX_LISTED = 20_000
_BINARY_PROBE = 8192


def resolve_inside(root: Path, relative: str) -> Path | None:
    """`root/relative` if it names something inside the tree (no `..`, no link out), else None."""
    cleaned = relative.strip().removeprefix("./")
    if not cleaned or cleaned.startswith("/") or "\\" in cleaned or "\x00" in cleaned:
        return None
    parts = PurePosixPath(cleaned).parts
    if any(part in ("..", ".") for part in parts):
        return None
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return resolved if resolved.is_relative_to(root.resolve()) else None


def exists_in_tree(root: Path, relative: str) -> bool:
    return resolve_inside(root, relative.rstrip("/")) is not None


def list_files(root: Path, limit: int = MAX_LISTED) -> list[str]:
    """Relative POSIX paths of regular files, sorted, skipping vendored and VCS folders."""
    found: list[str] = []
    for directory, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        base = Path(directory).relative_to(root)
        for name in sorted(files):
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            found.append((base / name).as_posix())
            if len(found) >= limit:
                return sorted(found)
    return sorted(found)


def read_text(root: Path, relative: str, max_bytes: int) -> tuple[str, bool] | None:
    """Up to max_bytes of a text file as (text, truncated); None for binary or unsafe paths."""
    path = resolve_inside(root, relative)
    if path is None or not path.is_file():
        return None
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if b"\x00" in data[:_BINARY_PROBE]:
        return None
    truncated = len(data) > max_bytes
    return data[:max_bytes].decode("utf-8", errors="replace"), truncated


Folder = dict[str, "Folder | None"]  # a name ending in "/" maps to a folder, a file to None


def outline(paths: list[str], *, max_lines: int = 200, files_per_dir: int = 12) -> str:
    """An indented listing; deep or crowded folders collapse to a file count."""
    tree: Folder = {}
    for path in paths:
        node = tree
        *dirs, name = path.split("/")
        for part in dirs:
            child = node.setdefault(part + "/", {})
            assert child is not None
            node = child
        node[name] = None
    lines: list[str] = []
    _render(tree, 0, lines, max_lines, files_per_dir)
    if len(lines) >= max_lines:
        lines.append(f"... (outline cut at {max_lines} lines; {len(paths)} files in all)")
    return "\n".join(lines)


def _count(node: Folder) -> int:
    return sum(1 if child is None else _count(child) for child in node.values())


def _render(node: Folder, depth: int, lines: list[str], max_lines: int, per_dir: int) -> None:
    indent = "  " * depth
    files = sorted(name for name, child in node.items() if child is None)
    folders = sorted((name, child) for name, child in node.items() if child is not None)
    for name, child in folders:
        if len(lines) >= max_lines:
            return
        if depth >= 3:
            lines.append(f"{indent}{name} ({_count(child)} files)")
            continue
        lines.append(f"{indent}{name}")
        _render(child, depth + 1, lines, max_lines, per_dir)
    for name in files[:per_dir]:
        if len(lines) >= max_lines:
            return
        lines.append(f"{indent}{name}")
    if len(files) > per_dir and len(lines) < max_lines:
        lines.append(f"{indent}... {len(files) - per_dir} more files")
