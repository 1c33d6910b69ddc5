"""GitLab CI: the image, package-manager bootstrap and cache for each ecosystem."""

from __future__ import annotations

import re

from libs.cigen import tools
from libs.cigen.ecosystems.node import uses_corepack
from libs.cigen.plan import Job, Runtime

_NODE_CODENAMES = {
    "argon": "4",
    "boron": "6",
    "carbon": "8",
    "dubnium": "10",
    "erbium": "12",
    "fermium": "14",
    "gallium": "16",
    "hydrogen": "18",
    "iron": "20",
    "jod": "22",
    "krypton": "24",
}
_IMAGES = {
    "python": "python:{v}",
    "node": "node:{v}",
    "bun": "oven/bun:{v}",
    "go": "golang:{v}",
    "rust": "rust:{v}",
    "ruby": "ruby:{v}",
    "php": "php:{v}-cli",
    "dotnet": "mcr.microsoft.com/dotnet/sdk:{v}",
    "elixir": "elixir:{v}",
    "swift": "swift:{v}",
    "dart": "dart:{v}",
    # Flutter publishes no official image; Cirrus Labs' is the one its docs point to
    "flutter": "ghcr.io/cirruslabs/flutter:{v}",
}
# (variable that moves the cache into the project, the directory it points at)
_CACHE_DIRS: dict[str, tuple[str, str]] = {
    "pip": ("PIP_CACHE_DIR", "pip"),
    "poetry": ("POETRY_CACHE_DIR", "poetry"),
    "uv": ("UV_CACHE_DIR", "uv"),
    "pdm": ("PDM_CACHE_DIR", "pdm"),
    "pipenv": ("PIPENV_CACHE_DIR", "pipenv"),
    "npm": ("npm_config_cache", "npm"),
    "pnpm": ("npm_config_store_dir", "pnpm-store"),
    "yarn": ("YARN_CACHE_FOLDER", "yarn"),
    "bun": ("BUN_INSTALL_CACHE_DIR", "bun"),
    "go": ("GOMODCACHE", "go-mod"),
    "cargo": ("CARGO_HOME", "cargo"),
    "gradle": ("GRADLE_USER_HOME", "gradle"),
    "bundler": ("BUNDLE_PATH", "bundle"),
    "composer": ("COMPOSER_CACHE_DIR", "composer"),
    "nuget": ("NUGET_PACKAGES", "nuget"),
    "pub": ("PUB_CACHE", "pub"),
    "sbt": ("COURSIER_CACHE", "coursier"),
}


def matrix_variable(runtime: Runtime) -> str:
    return f"{runtime.name.upper()}_VERSION"


def _tag(runtime: Runtime, version: str) -> str:
    if runtime.name == "node":
        if version in ("lts/*", "node"):
            return "lts" if version == "lts/*" else "current"
        if version.startswith("lts/"):
            return _NODE_CODENAMES.get(version.removeprefix("lts/"), "lts")
    if runtime.name in ("go", "rust") and version == "stable":
        return "1"
    if version.endswith(".x"):
        return version.removesuffix(".x")
    return version


def image(job: Job) -> str:
    if job.ecosystem in ("java", "scala"):
        v = job.runtime.versions[0] if job.runtime else "21"
        if job.manager == "maven":
            return f"maven:3-eclipse-temurin-{_java(job, v)}"
        return f"eclipse-temurin:{_java(job, v)}"
    if job.ecosystem in ("cmake", "make"):
        return "gcc:14"
    if job.ecosystem == "swift" and job.runtime is None:
        return "swift:latest"
    template = _IMAGES[job.ecosystem]
    assert job.runtime is not None
    if job.runtime.is_matrix:
        return template.format(v="$" + matrix_variable(job.runtime))
    return template.format(v=_tag(job.runtime, job.runtime.versions[0]))


def _java(job: Job, version: str) -> str:
    assert job.runtime is not None
    return "$" + matrix_variable(job.runtime) if job.runtime.is_matrix else version


def bootstrap(job: Job) -> list[str]:
    """Commands that provide the package manager and tools the image lacks."""
    manager, version = job.manager, job.manager_version
    bun = [f"npm install --global bun@{tools.BUN}"] if "bun" in job.tools else []
    if manager in ("uv", "poetry", "pdm", "pipenv", "hatch"):
        return [f"python -m pip install {tools.manager(manager, version)}"]
    if manager == "pnpm":
        pnpm = version or tools.PNPM[tools.PNPM_DEFAULT]
        return [f"npm install --global pnpm@{pnpm}", *bun]
    if uses_corepack(job):
        return ["corepack enable", *bun]
    if manager == "composer":
        return [
            "apt-get update -qq && apt-get install -y -qq --no-install-recommends git unzip",
            "curl -fsSL https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin"
            f" --filename=composer --version={tools.COMPOSER}",
        ]
    if bun:
        return bun
    if manager == "cargo" and job.tools:
        return [f"rustup component add {' '.join(job.tools)}"]
    if manager == "mix":
        return ["mix local.hex --force", "mix local.rebar --force"]
    if manager == "sbt":
        return [
            "apt-get update -qq && apt-get install -y -qq --no-install-recommends curl",
            f"curl -fsSL https://github.com/coursier/coursier/releases/download/{tools.COURSIER}/"
            "cs-x86_64-pc-linux.gz | gzip -d > /usr/local/bin/cs",
            "chmod +x /usr/local/bin/cs",
            f"cs install --install-dir /usr/local/bin sbt:{tools.SBT}",
        ]
    if manager == "cmake":
        return ["apt-get update -qq && apt-get install -y -qq --no-install-recommends cmake"]
    return []


def cache(job: Job) -> tuple[dict[str, object] | None, dict[str, str]]:
    """The job's cache (keyed on its lockfiles) and the variables that point tools at it."""
    if not job.lockfiles or job.manager is None:
        return None, {}
    base = f".cache/{job.id}"
    env: dict[str, str] = {}
    paths: list[str] = []
    if job.manager in _CACHE_DIRS:
        variable, name = _CACHE_DIRS[job.manager]
        env[variable] = f"$CI_PROJECT_DIR/{base}/{name}"
        paths.append(f"{base}/{name}")
    elif job.manager == "maven":
        env["MAVEN_OPTS"] = f"-Dmaven.repo.local=$CI_PROJECT_DIR/{base}/m2"
        paths.append(f"{base}/m2")
    elif job.manager == "mix":
        paths += [job.path("deps"), job.path("_build")]
    elif job.manager == "swiftpm":
        paths.append(job.path(".build"))
    if job.manager == "cargo":
        paths.append(job.path("target"))
    if not paths:
        return None, {}
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", job.id)
    if job.runtime and job.runtime.is_matrix:
        prefix += "-$" + matrix_variable(job.runtime)
    return {"key": {"files": list(job.lockfiles[:2]), "prefix": prefix}, "paths": paths}, env
