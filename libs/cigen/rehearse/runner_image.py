"""Tools every GitHub ubuntu runner has that this machine may not: `python` as Python 3,
Yarn 1 and pipx (installed pinned, when a job's scripts name them), a corepack its user
may enable; and the user steps run as, which on a runner is never root."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

from libs.cigen.rehearse import toolchains as tc
from libs.cigen.rehearse.sudo import Broker
from libs.cigen.rehearse.toolchains import Missing

YARN_CLASSIC = "1.22.22"  # what GitHub's ubuntu-24.04 image has installed
PIPX = "1.7.1"
RUNNER_IMAGE_TOOLS = ("yarn", "pipx", "sudo", "corepack")
COREPACK = Path("/usr/lib/node_modules/corepack/dist/corepack.js")
# `corepack enable` links yarn and pnpm beside the corepack it runs: on a runner, in the
# image's Node.js folder, which its user may write; here, in this machine's /usr/bin,
# which the job's user may not. Its links go to a folder of the job's, first on PATH.
_COREPACK = """#!/bin/sh
case "$1" in
  enable|disable)
    verb=$1; shift
    exec node "{corepack}" "$verb" --install-directory "{links}" "$@" ;;
esac
exec node "{corepack}" "$@"
"""
# The runner's user has passwordless sudo. As root without sudo, run the command itself,
# dropping the options workflows pass (-E, -H, -n, -S, --preserve-env, -u root).
_SUDO = """#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    -E|-H|-n|-S|-k|--preserve-env|--preserve-env=*) shift ;;
    -u) [ "$2" = root ] || { echo "sudo (rehearsal): only root" >&2; exit 1; }; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
exec "$@"
"""


def install(
    cache: tc.ToolCache,
    shims: Path,
    wanted: set[str],
    machine_path: list[str],
    broker: Broker | None = None,
) -> list[str]:
    """Tools every GitHub ubuntu runner has that this machine may not (Yarn 1, pipx), put
    in `shims` when a job's scripts name them; notes for the report. `broker`: the job's
    steps run unprivileged, and its `sudo` goes through it."""
    notes = []
    # GitHub's image has `python` (Python 3); with pyenv's shims left out, this one may not.
    system = Path("/usr/bin/python3")
    if shutil.which("python", path=":".join(machine_path)) is None and system.exists():
        shims.mkdir(parents=True, exist_ok=True)
        if not (shims / "python").exists():
            (shims / "python").symlink_to(system)
    if broker is not None:
        broker.client(shims)
    elif (
        "sudo" in wanted
        and os.geteuid() == 0
        and shutil.which("sudo", path=":".join(machine_path)) is None
    ):
        shims.mkdir(parents=True, exist_ok=True)
        (shims / "sudo").write_text(_SUDO)
        (shims / "sudo").chmod(0o755)
        notes.append(
            "sudo: this machine has none and the rehearsal runs as root, so a "
            "shim runs the command directly (it changes this machine)"
        )
    if "corepack" in wanted and COREPACK.exists():
        links = corepack_links(shims)
        links.mkdir(parents=True, exist_ok=True)
        shims.mkdir(parents=True, exist_ok=True)
        (shims / "corepack").write_text(_COREPACK.format(corepack=COREPACK, links=links))
        (shims / "corepack").chmod(0o755)
        notes.append(
            f"corepack: `corepack enable` links into {links.name}/, a folder of the job's "
            "first on PATH, as a runner's user may write its image's Node.js folder; "
            "package managers it fetches come from the npm registry (COREPACK_NPM_REGISTRY; "
            "a runner fetches Yarn 2+ from repo.yarnpkg.com, the same release)"
        )
    if "yarn" in wanted:
        try:
            yarn = cache.npm("yarn", YARN_CLASSIC) / "bin" / "yarn.js"
            tc.shim(shims, "yarn", str(yarn), "node")
            notes.append(f"yarn {YARN_CLASSIC} from npm, as on GitHub's ubuntu image")
        except Missing as exc:
            notes.append(f"no yarn: {exc}")
    if "pipx" in wanted:
        # on Debian's Python where there is one: every user can run it (this program's
        # own may sit in root's home, out of the unprivileged steps' reach)
        base = _pipx_base()
        pipx = cache.root / f"pipx-{PIPX}-{hashlib.sha256(base.encode()).hexdigest()[:8]}"
        try:
            _build_pipx(cache, pipx, base)
            tc.shim(shims, "pipx", str(pipx / "bin" / "pipx"))
            notes.append(f"pipx {PIPX} from PyPI, as on GitHub's ubuntu image")
        except Missing as exc:
            notes.append(f"no pipx: {exc}")
    return notes


def corepack_links(shims: Path) -> Path:
    """Where `corepack enable` puts its links for a job whose runner-image tools are in
    `shims`."""
    return shims.parent / "corepack-links"


def _pipx_base() -> str:
    system = Path("/usr/bin/python3")
    return str(system) if system.exists() else getattr(sys, "_base_executable", sys.executable)


def _build_pipx(cache: tc.ToolCache, target: Path, base: str) -> None:
    # A virtual environment records its own path, so it is built where it stays, under a
    # lock; the marker file says the build finished.
    import fcntl

    cache.root.mkdir(parents=True, exist_ok=True)
    with open(cache.root / ".pipx.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".complete").exists():
            return
        tc._run([base, "-m", "venv", "--clear", str(target)], "a virtual environment for pipx")
        tc._run(
            [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", f"pipx=={PIPX}"],
            f"pipx {PIPX} from PyPI",
        )
        (target / ".complete").touch()


# What programs say when they will not run as root (libuv's test runner, PostgreSQL's
# initdb and server, Chromium without --no-sandbox, Homebrew). Warnings that go on
# ("Running pip as the 'root' user can result in broken permissions") do not match.
_REFUSES_ROOT = re.compile(
    r"(?:can ?not|can't|must not|should not|may not|will not|won't|refus\w* to)\s+"
    r"(?:be\s+)?(?:run|executed?|started)\s+(?:\w+\s+){0,2}?as\s+(?:the\s+)?[\"']?root\b"
    r"|running as root (?:without --no-sandbox )?is not supported"
    r"|running \w+ as root is \w+ dangerous and no longer supported"
    r"|\"root\" execution of the \w+ server is not permitted",
    re.I,
)


def refuses_root(output: str, euid: int | None = None) -> str | None:
    """Why a failed step's outcome is unknown when it refused to run as root and the
    rehearsal runs as root (a GitHub runner's user is `runner`, not root), or None."""
    if (os.geteuid() if euid is None else euid) != 0:
        return None
    for line in output.splitlines():
        if _REFUSES_ROOT.search(line):
            said = line.strip()[:160]
            return (
                f"the step will not run as root, and this rehearsal runs as root where a "
                f"GitHub runner's user is not ({said})"
            )
    return None
