"""Dart with pub, and Flutter apps and packages."""

from __future__ import annotations

from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Step

MANAGERS = ("pub", "flutter")


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
        runtime=draft.runtime(tool),
        manager="pub",
        lockfiles=draft.lockfiles("pubspec.lock"),
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )
