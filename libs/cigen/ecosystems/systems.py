"""Compiled toolchains: Go, Rust, Swift, and C/C++ built with CMake or make."""

from __future__ import annotations

import msgspec

from libs.analysis.report import Fact
from libs.cigen import versions
from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Runtime, Step


def plan_go(draft: Draft) -> Job:
    defaults: list[Step] = [
        step("install", "go mod download"),
        step("lint", "go vet ./..."),
    ]
    golangci = next((t for t in draft.sub.tools if t.name == "golangci-lint"), None)
    if golangci is not None and "golangci-lint" in draft.tools():
        if golangci.version == "1":  # a v1 configuration: v2 (and its action) refuse it
            draft.notes.append(
                f"{draft.where()}: {golangci.source} is a golangci-lint v1 configuration "
                f'(no `version: "2"`); golangci-lint {versions.GOLANGCI_LINT["1"]} runs it'
            )
            module = "github.com/golangci/golangci-lint/cmd/golangci-lint"
            run = f"go run {module}@{versions.GOLANGCI_LINT['1']} run"
            defaults.append(step("lint", run, name="Lint (golangci-lint v1)"))
        else:
            defaults.append(step("lint", "golangci-lint run", tool="golangci-lint"))
    defaults += [step("build", "go build ./..."), step("test", "go test -race ./...")]
    steps = _linters_for_recipes(draft, assemble(draft, defaults), golangci)
    return Job(
        id="",
        name="",
        ecosystem="go",
        runtime=_go_runtime(draft),
        manager="go",
        lockfiles=draft.lockfiles("go.sum"),
        tools=("golangci-lint",) if any(s.tool == "golangci-lint" for s in steps) else (),
        steps=steps,
        timeout_minutes=20,
    )


def _linters_for_recipes(draft: Draft, steps: list[Step], config: Fact | None) -> list[Step]:
    """cobra's `make lint` runs golangci-lint, which no runner has: installed first, at
    the pinned release of the configuration's major version."""
    for index, item in enumerate(steps):
        if any("golangci-lint" in line for line in draft.recipe(item.run)):
            major = "1" if config is not None and config.version == "1" else "2"
            module = "github.com/golangci/golangci-lint" + ("/v2" if major == "2" else "")
            version = versions.GOLANGCI_LINT[major]
            install = step(
                "install",
                f"go install {module}/cmd/golangci-lint@{version}",
                name="Install golangci-lint",
            )
            draft.notes.append(
                f"{draft.where()}: `{item.run}` runs golangci-lint; the job installs {version}"
            )
            return [*steps[:index], install, *steps[index:]]
    return steps


def _go_runtime(draft: Draft) -> Runtime:
    """go.mod's `go` line is the oldest Go the module builds with, not the one to build
    with: dependencies may need newer, and no runner can fetch a toolchain for it. Its
    `toolchain` line, or a version file, names one; without either, the newest (stable)
    builds every module whose `go` line is older."""
    runtime = draft.runtime("go")
    fields = {r.field for r in draft.sub.runtimes if r.source == runtime.declared_in}
    if runtime.declared_in and runtime.declared_in.endswith("go.mod") and "toolchain" not in fields:
        draft.notes.append(
            f"{draft.where()}: {runtime.declared_in} says go {runtime.versions[0]} as a "
            "minimum and names no toolchain; the job builds with the stable release"
        )
        return msgspec.structs.replace(runtime, versions=("stable",), declared_in=None)
    return runtime


def plan_rust(draft: Draft) -> Job:
    lockfiles = draft.lockfiles("Cargo.lock")
    locked = " --locked" if lockfiles else ""
    if draft.members:
        locked += " --workspace"
    tools = tuple(t for t in ("rustfmt", "clippy") if t in draft.tools())
    defaults: list[Step] = [step("install", "cargo fetch --locked" if lockfiles else "cargo fetch")]
    if "rustfmt" in tools:
        defaults.append(step("format", "cargo fmt --all --check"))
    if "clippy" in tools:
        defaults.append(step("lint", f"cargo clippy --all-targets{locked} -- -D warnings"))
    defaults += [step("build", f"cargo build{locked}"), step("test", f"cargo test{locked}")]
    runtime = draft.runtime("rust")
    steps = assemble(draft, defaults)
    if not lockfiles and runtime.is_matrix and "stable" in runtime.versions:
        steps = _msrv_checks(draft, steps, runtime)
    return Job(
        id="",
        name="",
        ecosystem="rust",
        runtime=runtime,
        manager="cargo",
        lockfiles=lockfiles,
        tools=tools,
        steps=steps,
        timeout_minutes=30,
    )


def _msrv_checks(draft: Draft, steps: list[Step], runtime: Runtime) -> list[Step]:
    """Without a Cargo.lock, Cargo resolves every dependency to its newest release, and an
    old Cargo does not choose by `rust-version`: on the minimum Rust, dev-dependencies
    fail to build (serde_json's trybuild needs Rust 1.76 and later, its MSRV is 1.71).
    The minimum is checked with `cargo check` (the library and its dependencies, as its
    CI checks it); everything else runs on stable."""
    minimum = next(v for v in runtime.versions if v != "stable")
    draft.notes.append(
        f"{draft.where()}: Rust {minimum} (the minimum) runs `cargo check` only: with no "
        "Cargo.lock, the newest dev-dependencies may need a newer Rust; the tests run on stable"
    )
    on_stable = [msgspec.structs.replace(s, only_on="stable") for s in steps]
    check = msgspec.structs.replace(step("build", "cargo check"), only_on=minimum)
    return [check, *on_stable]


def plan_swift(draft: Draft) -> Job:
    choice = draft.runtime("swift")
    defaults = [step("install", "swift package resolve"), step("build", "swift build")]
    # `swift test` fails when the package has no test target: only Swift's own test
    # frameworks count (nlohmann/json's Package.swift sits beside C++ doctest suites)
    if {"xctest", "swift-testing"} & draft.tests():
        defaults.append(step("test", "swift test"))
    return Job(
        id="",
        name="",
        ecosystem="swift",
        runtime=choice if choice.versions else None,
        manager="swiftpm",
        lockfiles=draft.lockfiles("Package.resolved"),
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def plan_cmake(draft: Draft) -> Job:
    defaults = [
        step("build", "cmake -S . -B build -DCMAKE_BUILD_TYPE=Release", name="Configure"),
        # one compiler per core: `--parallel` alone is make's unbounded -j, and
        # nlohmann/json's 100 template-heavy test files took 16 GB at once
        step("build", 'cmake --build build --parallel "$(nproc)"', name="Build"),
    ]
    if draft.tests() & {"ctest", "googletest", "catch2", "doctest", "boost-test"}:
        defaults.append(step("test", "ctest --test-dir build --output-on-failure"))
    return Job(
        id="",
        name="",
        ecosystem="cmake",
        manager="cmake",
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def plan_make(draft: Draft) -> Job:
    return Job(
        id="",
        name="",
        ecosystem="make",
        manager="make",
        steps=assemble(draft, [step("build", "make")]),
        timeout_minutes=30,
    )
