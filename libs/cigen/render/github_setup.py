"""GitHub Actions: the setup steps (toolchain, package manager, cache) for each ecosystem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from libs.cigen import tools
from libs.cigen.ecosystems.node import uses_corepack
from libs.cigen.pins import PinTable
from libs.cigen.plan import Job, Runtime
from libs.cigen.render.yaml import Commented

StepDict = dict[str, object]


@dataclass
class Setup:
    """What an ecosystem adds to a job besides its commands."""

    steps: list[StepDict] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    container: str | None = None
    installs: bool = False  # the setup step already installs dependencies


def expr(inner: str) -> str:
    """A GitHub expression. Only for `with:`, `env:`, names and conditions: never `run:`."""
    return "${{ " + inner + " }}"


def matrix_key(runtime: Runtime) -> str:
    return f"{runtime.name}-version"


def version_of(job: Job) -> str:
    """The runtime version as the workflow writes it: a literal or the matrix value."""
    assert job.runtime is not None
    if job.runtime.is_matrix:
        return expr(f"matrix.{matrix_key(job.runtime)}")
    return job.runtime.versions[0]


class Builder:
    def __init__(self, pins: PinTable) -> None:
        self.pins = pins

    def action(self, name: str, action: str, with_: dict[str, object] | None = None) -> StepDict:
        pin = self.pins.pin(action)
        step: StepDict = {"name": name, "uses": Commented(pin.uses, pin.tag)}
        if with_:
            step["with"] = with_
        return step

    def cache(self, job: Job, label: str, paths: list[str], files: tuple[str, ...]) -> StepDict:
        version = f"-{version_of(job)}" if job.runtime and job.runtime.is_matrix else ""
        hashed = ", ".join(f"'{f}'" for f in files)
        name = job.id if label == job.id else f"{job.id}-{label}"
        prefix = f"{name}{version}-{expr('runner.os')}-"
        return self.action(
            "Cache dependencies",
            "actions/cache",
            {
                "path": "\n".join(paths) + "\n" if len(paths) > 1 else paths[0],
                "key": prefix + expr(f"hashFiles({hashed})"),
                "restore-keys": prefix,
            },
        )

    def setup(self, job: Job) -> Setup:
        return _SETUPS.get(job.ecosystem, _nothing)(self, job)


def _lines(files: tuple[str, ...]) -> str:
    return files[0] if len(files) == 1 else "\n".join(files) + "\n"


def _nothing(b: Builder, job: Job) -> Setup:
    return Setup()


def _python(b: Builder, job: Job) -> Setup:
    v, files, manager = version_of(job), job.lockfiles, job.manager
    if manager == "uv":
        with_: dict[str, object] = {"python-version": v, "enable-cache": True}
        if files:
            with_["cache-dependency-glob"] = _lines(files)
        with_["version"] = job.manager_version or tools.PYTHON["uv"]
        return Setup(steps=[b.action("Set up uv and Python", "astral-sh/setup-uv", with_)])
    python: dict[str, object] = {"python-version": v}
    if manager == "pip" and files:
        python.update({"cache": "pip", "cache-dependency-path": _lines(files)})
    steps: list[StepDict] = [b.action(f"Set up Python {v}", "actions/setup-python", python)]
    if manager in _MANAGER_CACHES:
        # with the job's Python's own pip, not pipx: pipx's bin folder is on PATH only
        # where the runner image sets it up, and setup-python's `cache: poetry` needs
        # poetry before Python, so the manager's cache is an actions/cache of its own
        spec = tools.manager(manager, job.manager_version)
        steps.append({"name": f"Install {manager}", "run": f"python -m pip install {spec}"})
        if files and _MANAGER_CACHES[manager]:
            steps.append(b.cache(job, manager, list(_MANAGER_CACHES[manager]), files))
    return Setup(steps=steps)


# the download caches of the Python package managers setup-python does not cache for us
_MANAGER_CACHES: dict[str, tuple[str, ...]] = {
    "poetry": ("~/.cache/pypoetry",),
    "pdm": ("~/.cache/pdm",),
    "pipenv": ("~/.cache/pipenv",),
    "hatch": (),
}


def _node(b: Builder, job: Job) -> Setup:
    v, files, manager = version_of(job), job.lockfiles, job.manager
    steps: list[StepDict] = []
    if manager == "pnpm":
        with_: dict[str, object] = {}
        if not job.manager_pinned_in_manifest and job.manager_version:
            with_["version"] = job.manager_version
        elif job.directory != ".":
            with_["package_json_file"] = job.path("package.json")
        steps.append(b.action("Set up pnpm", "pnpm/action-setup", with_ or None))
    if uses_corepack(job):
        steps.append({"name": "Enable Corepack (Yarn Berry)", "run": "corepack enable"})
    node: dict[str, object] = {"node-version": v}
    if files:
        node.update({"cache": manager, "cache-dependency-path": _lines(files)})
    steps.append(b.action(f"Set up Node.js {v}", "actions/setup-node", node))
    if "bun" in job.tools:  # the project's scripts call bun too
        steps.append(_setup_bun(b, tools.BUN))
    return Setup(steps=steps)


def _setup_bun(b: Builder, version: str) -> StepDict:
    return b.action("Set up Bun", "oven-sh/setup-bun", {"bun-version": version})


def _bun(b: Builder, job: Job) -> Setup:
    # setup-bun resolves a range or a bare "1.2" to the newest release the day the job runs;
    # only an exact version stays what was tested. Else the vetted Bun of tools.py.
    version = version_of(job)
    steps = [_setup_bun(b, version if tools.names_one_release(version) else tools.BUN)]
    if job.lockfiles:
        steps.append(b.cache(job, "bun", ["~/.bun/install/cache"], job.lockfiles))
    return Setup(steps=steps)


def _go(b: Builder, job: Job) -> Setup:
    with_: dict[str, object] = {"go-version": version_of(job)}
    with_.update(
        {"cache-dependency-path": _lines(job.lockfiles)} if job.lockfiles else {"cache": False}
    )
    return Setup(steps=[b.action(f"Set up Go {version_of(job)}", "actions/setup-go", with_)])


def _rust(b: Builder, job: Job) -> Setup:
    with_: dict[str, object] = {"toolchain": version_of(job)}
    if job.tools:
        with_["components"] = ", ".join(job.tools)
    steps = [b.action(f"Set up Rust {version_of(job)}", "dtolnay/rust-toolchain", with_)]
    cache: dict[str, object] | None = None
    if job.directory != ".":
        cache = {"workspaces": f"{job.directory} -> target"}
    steps.append(b.action("Cache Cargo", "Swatinem/rust-cache", cache))
    return Setup(steps=steps)


def _java(b: Builder, job: Job) -> Setup:
    assert job.runtime is not None
    also = tuple(job.runtime.options.get("also", "").split())
    with_: dict[str, object] = {
        "distribution": job.runtime.options.get("distribution", "temurin"),
        # the last one listed is the default (JAVA_HOME); the others are for toolchains
        "java-version": _lines((*also, version_of(job))),
    }
    if job.manager == "maven" and job.lockfiles:
        with_.update({"cache": "maven", "cache-dependency-path": _lines(job.lockfiles)})
    steps = [b.action(f"Set up Java {version_of(job)}", "actions/setup-java", with_)]
    if job.manager == "gradle":
        steps.append(b.action("Set up Gradle", "gradle/actions/setup-gradle"))
    return Setup(steps=steps)


def _ruby(b: Builder, job: Job) -> Setup:
    with_: dict[str, object] = {"ruby-version": version_of(job), "bundler-cache": True}
    if job.directory != ".":
        with_["working-directory"] = job.directory
    return Setup(
        steps=[b.action(f"Set up Ruby {version_of(job)}", "ruby/setup-ruby", with_)], installs=True
    )


def _php(b: Builder, job: Job) -> Setup:
    with_ = {
        "php-version": version_of(job),
        "tools": f"composer:{tools.COMPOSER}",
        "coverage": "none",
    }
    steps = [b.action(f"Set up PHP {version_of(job)}", "shivammathur/setup-php", dict(with_))]
    if job.lockfiles:
        # Composer's own cache folder, asked of Composer: the runner context (runner.temp)
        # does not exist where job-level env is evaluated
        steps.append(
            {
                "name": "Find the Composer cache",
                "id": "composer-cache",
                "run": 'echo "dir=$(composer config cache-files-dir)" >> "$GITHUB_OUTPUT"',
            }
        )
        cache_dir = expr("steps.composer-cache.outputs.dir")
        steps.append(b.cache(job, "composer", [cache_dir], job.lockfiles))
    return Setup(steps=steps)


def _dotnet(b: Builder, job: Job) -> Setup:
    assert job.runtime is not None
    also = tuple(job.runtime.options.get("also", "").split())
    sdks: dict[str, object] = {"dotnet-version": _lines((version_of(job), *also))}
    with_: dict[str, object] = sdks
    if job.lockfiles:
        with_.update({"cache": True, "cache-dependency-path": _lines(job.lockfiles)})
    return Setup(steps=[b.action(f"Set up .NET {version_of(job)}", "actions/setup-dotnet", with_)])


def _elixir(b: Builder, job: Job) -> Setup:
    assert job.runtime is not None
    otp = job.runtime.options.get("otp", "27")
    with_: dict[str, object] = {"otp-version": otp, "elixir-version": version_of(job)}
    steps = [b.action(f"Set up Elixir {version_of(job)}", "erlef/setup-beam", with_)]
    if job.lockfiles:
        steps.append(b.cache(job, "mix", [job.path("deps"), job.path("_build")], job.lockfiles))
    return Setup(steps=steps)


def _scala(b: Builder, job: Job) -> Setup:
    with_: dict[str, object] = {"distribution": "temurin", "java-version": version_of(job)}
    with_["cache"] = "sbt"
    if job.lockfiles:
        with_["cache-dependency-path"] = _lines(job.lockfiles)
    return Setup(
        steps=[
            b.action(f"Set up Java {version_of(job)}", "actions/setup-java", with_),
            # hosted Ubuntu 24.04 runners ship no sbt; Coursier installs it on that Java
            b.action("Set up sbt", "coursier/setup-action", {"apps": f"sbt:{tools.SBT}"}),
        ]
    )


def _dart(b: Builder, job: Job) -> Setup:
    steps = [b.cache(job, "pub", ["~/.pub-cache"], job.lockfiles)] if job.lockfiles else []
    return Setup(steps=steps, container=f"dart:{version_of(job)}")


def _flutter(b: Builder, job: Job) -> Setup:
    version = version_of(job)
    with_: dict[str, object] = (
        {"channel": version} if version in ("stable", "beta") else {"flutter-version": version}
    )
    with_["cache"] = True  # the SDK and the pub cache, keyed on pubspec.lock
    return Setup(steps=[b.action(f"Set up Flutter {version}", "subosito/flutter-action", with_)])


def _swift(b: Builder, job: Job) -> Setup:
    version = job.runtime.versions[0] if job.runtime else "latest"
    # no image for `latest`, which floats: the runner image's own Swift
    container = f"swift:{version}" if version != "latest" else None
    steps = [b.cache(job, "swiftpm", [job.path(".build")], job.lockfiles)] if job.lockfiles else []
    return Setup(steps=steps, container=container)


_SETUPS: dict[str, Callable[[Builder, Job], Setup]] = {
    "python": _python,
    "node": _node,
    "bun": _bun,
    "go": _go,
    "rust": _rust,
    "java": _java,
    "ruby": _ruby,
    "php": _php,
    "dotnet": _dotnet,
    "elixir": _elixir,
    "swift": _swift,
    "scala": _scala,
    "dart": _dart,
    "flutter": _flutter,
}
