"""Dart with pub, and Flutter apps and packages."""

from __future__ import annotations

import re

import msgspec

from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Runtime, Step

MANAGERS = ("pub", "flutter")
# what the dart image's tags and Flutter's setup take: a release, or a channel
_RELEASE = re.compile(r"^\d+(?:\.\d+){0,2}(?:-[\w.]+)?$")
_CHANNELS = {"dart": ("stable", "beta", "dev"), "flutter": ("stable", "beta", "master")}


def plan(draft: Draft) -> Job:
    flutter = "flutter" in draft.managers()
    tool = "flutter" if flutter else "dart"
    defaults: list[Step] = [
        step("install", f"{tool} pub get"),
        # the analyzer reports type errors as well as lints: it runs with or without
        # an analysis_options.yaml, as `go vet` does
        step("lint", f"{tool} analyze"),
    ]
    if {"flutter test", "dart test"} & draft.tests():
        defaults.append(step("test", f"{tool} test"))
    return Job(
        id="",
        name="",
        ecosystem="flutter" if flutter else "dart",
        runtime=_released(draft, draft.runtime(tool)),
        manager="pub",
        lockfiles=draft.lockfiles("pubspec.lock"),
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )


def _released(draft: Draft, runtime: Runtime) -> Runtime:
    """The runtime with versions Dart and Flutter publish: `latest` floats (zizmor's
    unpinned-images) and `lts/iron` is Node.js's; either runs on the stable channel."""
    kept = tuple(v for v in runtime.versions if _RELEASE.match(v) or v in _CHANNELS[runtime.name])
    if kept == runtime.versions:
        return runtime
    other = ", ".join(v for v in runtime.versions if v not in kept)
    draft.notes.append(
        f"{draft.where()}: {runtime.name} {other} ({runtime.declared_in or 'our default'}) "
        "names no release or channel; the job runs on stable"
    )
    return msgspec.structs.replace(runtime, versions=kept or ("stable",))
