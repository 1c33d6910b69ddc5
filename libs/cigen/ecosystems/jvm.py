"""The JVM: Java and Kotlin built with Maven or Gradle, Scala built with sbt."""

from __future__ import annotations

import re

import msgspec

from libs.cigen.ecosystems.common import Draft, assemble, step
from libs.cigen.plan import Job, Runtime, Step

MIN_BUILD_JDK = 17
_LTS = (17, 21, 25, 11, 8)  # preferred in this order where an enforcer range allows
# declarations of the bytecode level a build compiles for, not of the JDK it runs on
_TARGETS = (
    "maven.compiler.release",
    "maven.compiler.source",
    "maven.compiler.target",
    "java.version",
    "sourceCompatibility",
    "targetCompatibility",
    "toolchain",
    "jvmToolchain",
)


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
        runtime=build_jdk(draft),
        manager="gradle" if gradle else "maven",
        lockfiles=lockfiles,
        steps=assemble(draft, defaults),
        timeout_minutes=30,
    )


def build_jdk(draft: Draft) -> Runtime:
    """The JDK for the build (`_build_jdk`), inside what the Maven enforcer requires."""
    runtime = _build_jdk(draft)
    if runtime.is_matrix or not runtime.versions[0].isdigit():
        return runtime
    for rule in draft.sub.runtimes:
        if rule.runtime != "java" or not (rule.field or "").startswith("maven-enforcer"):
            continue
        low, high = _maven_range(rule.version)
        jdk = int(runtime.versions[0])
        if (low is None or jdk >= low) and (high is None or jdk < high):
            continue
        fits = [v for v in _LTS if (low is None or v >= low) and (high is None or v < high)]
        chosen = fits[0] if fits else low
        if chosen is None:
            continue
        draft.notes.append(
            f"{draft.where()}: the build runs on JDK {chosen}: {rule.source} enforces Java "
            f"{rule.version} ({rule.field})"
        )
        return msgspec.structs.replace(runtime, versions=(str(chosen),))
    return runtime


def _maven_range(spec: str) -> tuple[int | None, int | None]:
    """`[17,22)` -> (17, 22); `[17,)` and a bare `17` -> (17, None): the majors admitted
    (an upper bound is exclusive here, as JDK majors are whole numbers)."""
    spec = spec.strip()
    match = re.match(r"^([\[(])\s*([\d.]*)\s*,\s*([\d.]*)\s*([\])])$", spec)
    if match is None:
        bare = re.match(r"^(?:1\.)?(\d+)", spec)
        return (int(bare.group(1)), None) if bare else (None, None)
    opening, low, high, closing = match.groups()
    lower = _major(low)
    upper = _major(high)
    if lower is not None and opening == "(":
        lower += 1
    if upper is not None and closing == "]":
        upper += 1
    return lower, upper


def _major(version: str) -> int | None:
    match = re.match(r"^(?:1\.)?(\d+)", version)
    return int(match.group(1)) if match else None


def _build_jdk(draft: Draft) -> Runtime:
    """The JDK that runs the build. A compile target (`maven.compiler.release`, Spring
    Boot's `java.version`, `sourceCompatibility`, a Gradle toolchain) is the bytecode level,
    not the JDK: build plugins and test libraries commonly need 17, which still compiles
    for 8 without deprecation warnings (21 warns, and -Werror builds fail). A Gradle
    toolchain below that is installed too, for Gradle to find."""
    runtime = draft.runtime("java", distribution="temurin")
    declared = [
        r for r in draft.sub.runtimes if r.runtime == "java" and r.source == runtime.declared_in
    ]
    target = next((r for r in declared if r.field and r.field.endswith(_TARGETS)), None)
    if target is None or runtime.is_matrix or not runtime.versions[0].isdigit():
        return runtime
    level = int(runtime.versions[0])
    if level >= MIN_BUILD_JDK:
        return runtime
    options = dict(runtime.options)
    if target.field in ("toolchain", "jvmToolchain"):
        options["also"] = str(level)
    draft.notes.append(
        f"{draft.where()}: {target.source} compiles for Java {level} ({target.field}); "
        f"the build runs on JDK {MIN_BUILD_JDK}"
        + (f", with JDK {level} installed for the toolchain" if "also" in options else "")
    )
    return msgspec.structs.replace(runtime, versions=(str(MIN_BUILD_JDK),), options=options)


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
