"""Who a job's steps run as.

A GitHub-hosted runner runs steps as its unprivileged user `runner`, with passwordless
sudo. Run as root, a rehearsal is not that: root bypasses file permissions (a test that
expects a permission error fails) and some test runners refuse root. So when the
rehearsal runs as root, each job's steps run as the system user `autodevops-runner`
(created on first use), with the job's directories chowned to it, and `sudo CMD` runs
CMD as root through `sudo.py`'s broker. `--as-root` opts out, said in the report.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from libs.common.installs import searchable

RUNNER_USER = "autodevops-runner"
# Its home in the password database: Java takes `user.home` from there, not from $HOME
# (Maven's ~/.m2, Gradle's ~/.gradle), so it must be a folder the user can write.
RUNNER_HOME = Path("/var/lib/autodevops-runner")
# Where that user's tool cache lives: root's home (mode 700) is out of its reach.
USER_TOOL_CACHE = Path("/var/cache/autodevops/rehearse")


@dataclass(frozen=True)
class Account:
    name: str
    uid: int | None = None  # None: steps run as this process does
    gid: int | None = None
    note: str = ""  # for each job's report

    @property
    def dropped(self) -> bool:
        return self.uid is not None

    def popen_args(self) -> dict[str, object]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, *paths: Path, recursive: bool = False) -> None:
        """Give `paths` (and with `recursive` what is beneath) to the user steps run as."""
        if self.uid is None or self.gid is None:
            return
        for path in paths:
            if not (path.exists() or path.is_symlink()):
                continue
            _chown(path, self.uid, self.gid)
            if recursive and path.is_dir() and not path.is_symlink():
                for top, dirs, files in os.walk(path):
                    for name in (*dirs, *files):
                        _chown(os.path.join(top, name), self.uid, self.gid)

    def can_reach(self, path: Path) -> bool:
        """Whether this user can walk down to `path` (every directory above it)."""
        if self.uid is None:
            return True
        return all(searchable(parent, self.uid, self.gid) for parent in path.parents)


def _chown(path: str | Path, uid: int, gid: int) -> None:
    """`path` given to uid:gid, unless it is theirs already or gone: the tool cache is
    shared, and another rehearsal's package manager removes its temporary builds while
    this walk passes them."""
    try:
        status = os.lstat(path)
        if (status.st_uid, status.st_gid) != (uid, gid):
            os.lchown(path, uid, gid)
    except FileNotFoundError:
        pass


def choose(as_root: bool) -> Account:
    """The account steps run as: this process's own unless it is root; as root, the
    runner's unprivileged user (created when absent) unless `as_root`."""
    if os.geteuid() != 0:
        return Account(pwd.getpwuid(os.geteuid()).pw_name)
    if as_root:
        return Account(
            "root",
            note="steps ran as root (--as-root), where a runner's user is unprivileged: "
            "permission checks do not apply",
        )
    try:
        entry = pwd.getpwnam(RUNNER_USER)
    except KeyError:
        problem = _create()
        if problem:
            return Account(
                "root",
                note=f"steps ran as ROOT: the unprivileged user {RUNNER_USER} could not be "
                f"created ({problem}); permission checks do not apply",
            )
        entry = pwd.getpwnam(RUNNER_USER)
    _give_home(entry)
    return Account(
        RUNNER_USER,
        entry.pw_uid,
        entry.pw_gid,
        f"steps ran as the unprivileged user {RUNNER_USER} (uid {entry.pw_uid}), as a "
        "runner's do; `sudo CMD` ran CMD as root",
    )


def _give_home(entry: pwd.struct_passwd) -> None:
    """The user's home folder, made (and recorded, for a user made with /nonexistent)
    when missing; each job still sets HOME to its own."""
    if entry.pw_dir != str(RUNNER_HOME):
        usermod = shutil.which("usermod") or "/usr/sbin/usermod"
        subprocess.run(
            [usermod, "--home", str(RUNNER_HOME), RUNNER_USER],
            capture_output=True,
            timeout=60,
            check=False,
        )
    RUNNER_HOME.mkdir(parents=True, exist_ok=True)
    os.chown(RUNNER_HOME, entry.pw_uid, entry.pw_gid)
    RUNNER_HOME.chmod(0o755)


def _create() -> str:
    """useradd --system; what went wrong, or ""."""
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    try:
        done = subprocess.run(
            [
                useradd,
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                str(RUNNER_HOME),
                "--shell",
                "/usr/sbin/nologin",
                RUNNER_USER,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        try:
            pwd.getpwnam(RUNNER_USER)  # another rehearsal created it meanwhile
        except KeyError:
            return (done.stderr or done.stdout).strip() or f"useradd exit {done.returncode}"
    return ""
