"""The JVM: Java and Kotlin built with Maven or Gradle, Scala built with sbt."""

from __future__ import annotations

from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Step


def plan_java(draft: Draft) -> Job:
    gradle = "gradle" in draft.managers()
    tools = draft.tools()
    defaults: list[Step] = []
    if gradle:
        gradle_cmd = "./gradlew" if _wrapper(draft, "gradle", "gradlew") else "gradle"
        if "spotless" in tools:
            defaults.append(step("format", f"{gradle_cmd} spotlessCheck"))
        defaults.append(step("test", f"{gradle_cmd} check", name="Test and check"))
        defaults.append(step("build", f"{gradle_cmd} assemble"))
        lockfiles = draft.lockfiles("gradle.lockfile") or draft.manifest_paths(
            "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"
        )
    else:
        mvn = "./mvnw" if _wrapper(draft, "maven", "mvnw") else "mvn"
        flags = "--batch-mode --no-transfer-progress"
        if "spotless" in tools:
            defaults.append(step("format", f"{mvn} {flags} spotless:check"))
        if "checkstyle" in tools:
            defaults.append(step("lint", f"{mvn} {flags} checkstyle:check"))
        defaults.append(step("test", f"{mvn} {flags} verify", name="Build and test"))
        lockfiles = draft.manifest_paths("pom.xml")
    return Job(
        id="",
        name="",
        ecosystem="java",
        runtime=draft.runtime("java", distribution="temurin"),
        manager="gradle" if gradle else "maven",
        lockfiles=lockfiles,
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def _wrapper(draft: Draft, manager: str, name: str) -> bool:
    sources = [f.source for f in draft.manager_facts(manager)] + list(draft.sub.manifests)
    return any(p.rsplit("/", 1)[-1] == name for p in sources)


def plan_scala(draft: Draft) -> Job:
    defaults: list[Step] = []
    if "scalafmt" in draft.tools():
        defaults.append(step("format", "sbt scalafmtCheckAll"))
    defaults.append(step("test", "sbt test", name="Build and test"))
    return Job(
        id="",
        name="",
        ecosystem="scala",
        runtime=draft.runtime("java", distribution="temurin"),
        manager="sbt",
        lockfiles=draft.manifest_paths("build.sbt", "build.properties", "plugins.sbt"),
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )
