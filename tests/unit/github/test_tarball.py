from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from libs.github.errors import ArchiveError
from libs.github.tarball import ExtractLimits, safe_extract

TOP = "octo-demo-abc1234"
Entry = tuple[str, bytes, bytes, str]  # name, tar type, content, link target


def entry(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", link: str = "") -> Entry:
    return name, kind, data, link


def archive(path: Path, *entries: Entry, top: str | None = TOP) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        if top:
            folder = tarfile.TarInfo(top)
            folder.type = tarfile.DIRTYPE
            tar.addfile(folder)
        for name, kind, data, link in entries:
            info = tarfile.TarInfo(f"{top}/{name}" if top and not name.startswith("/") else name)
            info.type = kind
            info.linkname = link
            info.mode = 0o644
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def test_a_github_archive_is_extracted_without_its_top_folder(tmp_path: Path) -> None:
    path = archive(
        tmp_path / "a.tgz",
        entry(".github", tarfile.DIRTYPE),
        entry(".github/ci.yml", data=b"on: push\n"),
        entry("src/app.py", data=b"print(1)\n"),
        entry("docs/latest", tarfile.SYMTYPE, link="../src"),
        entry("src/copy.py", tarfile.LNKTYPE, link=f"{TOP}/src/app.py"),
    )
    stats = safe_extract(path, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / ".github/ci.yml").read_text() == "on: push\n"
    assert (out / "src/copy.py").read_text() == "print(1)\n"
    assert (out / "docs/latest").is_symlink()
    assert (out / "docs/latest/app.py").read_text() == "print(1)\n"
    assert stats.files == 2
    assert stats.links == 2
    assert stats.bytes == len(b"on: push\n") + len(b"print(1)\n")


def test_an_archive_without_one_top_folder_is_kept_as_is(tmp_path: Path) -> None:
    path = archive(tmp_path / "a.tgz", entry("a.txt", data=b"a"), entry("b/c.txt"), top=None)
    safe_extract(path, tmp_path / "out")
    assert (tmp_path / "out/a.txt").read_text() == "a"
    assert (tmp_path / "out/b/c.txt").exists()


UNSAFE: list[tuple[str, Entry, str]] = [
    ("absolute", entry("/etc/cron.d/evil", data=b"x"), "absolute path"),
    ("dotdot", entry("../../evil.sh", data=b"x"), "'..'"),
    ("dotdot-inside", entry("src/../../evil.sh", data=b"x"), "'..'"),
    (
        "symlink-out",
        entry("escape", tarfile.SYMTYPE, link="../../../etc/passwd"),
        "out of the tree",
    ),
    ("symlink-abs", entry("escape", tarfile.SYMTYPE, link="/etc/passwd"), "absolute path"),
    ("hardlink-out", entry("escape", tarfile.LNKTYPE, link="/etc/passwd"), "absolute path"),
    ("hardlink-up", entry("escape", tarfile.LNKTYPE, link=f"{TOP}/../x"), "'..'"),
    ("chardev", entry("dev/null", tarfile.CHRTYPE), "device file"),
    ("blockdev", entry("dev/sda", tarfile.BLKTYPE), "device file"),
    ("fifo", entry("pipe", tarfile.FIFOTYPE), "FIFO"),
]


@pytest.mark.parametrize(("case", "bad", "reason"), UNSAFE, ids=[u[0] for u in UNSAFE])
def test_unsafe_entries_refuse_the_whole_archive(
    tmp_path: Path, case: str, bad: Entry, reason: str
) -> None:
    path = archive(tmp_path / "a.tgz", entry("README.md", data=b"hi"), bad)
    out = tmp_path / "out"
    with pytest.raises(ArchiveError, match="refused") as caught:
        safe_extract(path, out)
    assert reason in str(caught.value)
    assert not out.exists()  # nothing was written


def _chain(first: str, last_link: str) -> list[Entry]:
    # Each target reads as inside the tree, but `x` is the tree itself, so `x/..` is its
    # parent, and every further `../` climbs one more level.
    links = [entry("x", tarfile.SYMTYPE, link=first), entry("l1", tarfile.SYMTYPE, link="x/..")]
    links += [entry(f"l{i}", tarfile.SYMTYPE, link=f"l{i - 1}/..") for i in range(2, 12)]
    return [*links, entry("q", tarfile.SYMTYPE, link=last_link)]


@pytest.mark.parametrize("order", ["links first", "target first"])
def test_a_chain_of_links_that_climbs_out_is_refused(tmp_path: Path, order: str) -> None:
    chain = _chain(".", "l11/etc/passwd")
    if order == "target first":  # the escaping link names links that do not exist yet
        chain = [chain[-1], *chain[:-1]]
    path = archive(tmp_path / "a.tgz", entry("README.md", data=b"hi"), *chain)
    out = tmp_path / "out"
    with pytest.raises(ArchiveError, match="leads out of the tree"):
        safe_extract(path, out)
    assert not out.exists()


def test_a_hard_link_to_a_symlink_is_refused(tmp_path: Path) -> None:
    path = archive(
        tmp_path / "a.tgz",
        entry("src/app.py", data=b"print(1)\n"),
        entry("link", tarfile.SYMTYPE, link="src/app.py"),
        entry("copy", tarfile.LNKTYPE, link=f"{TOP}/link"),
    )
    with pytest.raises(ArchiveError, match="names a symlink"):
        safe_extract(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_links_that_stay_inside_through_other_links_are_kept(tmp_path: Path) -> None:
    path = archive(
        tmp_path / "a.tgz",
        entry("src/pkg/mod.py", data=b"x = 1\n"),
        entry("current", tarfile.SYMTYPE, link="src/pkg"),
        entry("src/alias", tarfile.SYMTYPE, link="../current/mod.py"),
    )
    safe_extract(path, tmp_path / "out")
    assert (tmp_path / "out/src/alias").read_text() == "x = 1\n"


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (ExtractLimits(max_files=3), "more than 3 files"),
        (ExtractLimits(max_bytes=10), "larger than 10 bytes"),
        (ExtractLimits(max_path_length=8), "longer than 8 characters"),
    ],
)
def test_caps_refuse_with_a_clear_reason(
    tmp_path: Path, limits: ExtractLimits, message: str
) -> None:
    path = archive(tmp_path / "a.tgz", *(entry(f"file{i}.txt", data=b"123456") for i in range(5)))
    with pytest.raises(ArchiveError, match=message):
        safe_extract(path, tmp_path / "out", limits)
    assert not (tmp_path / "out").exists()


Corrupt = Callable[[Path], None]


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda p: p.write_bytes(b"not an archive at all"),
        lambda p: p.write_bytes(p.read_bytes()[:40]),
    ],
)
def test_unreadable_archives_are_a_clear_error(tmp_path: Path, corrupt: Corrupt) -> None:
    path = archive(tmp_path / "a.tgz", entry("a.txt", data=b"a" * 1000))
    corrupt(path)
    with pytest.raises(ArchiveError, match="unreadable"):
        safe_extract(path, tmp_path / "out")


def test_the_destination_must_be_empty(tmp_path: Path) -> None:
    path = archive(tmp_path / "a.tgz", entry("a.txt", data=b"a"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out/keep").write_text("mine")
    with pytest.raises(ArchiveError, match="not empty"):
        safe_extract(path, tmp_path / "out")
    assert (tmp_path / "out/keep").read_text() == "mine"
