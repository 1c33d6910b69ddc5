"""Java and Kotlin: Maven (pom.xml) and Gradle (Groovy and Kotlin DSL)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from libs.analysis.lazy import LazyPattern
from libs.analysis.parsing import mapping
from libs.analysis.report import Constraint
from libs.analysis.stack.model import Project, as_str, dig, load_toml, parse_xml
from libs.analysis.tree import parent_dirs

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

FRAMEWORKS = {
    "org.springframework.boot": "Spring Boot",
    "io.quarkus": "Quarkus",
    "io.micronaut": "Micronaut",
    "io.dropwizard": "Dropwizard",
    "io.vertx": "Vert.x",
    "io.ktor": "Ktor",
    "com.android.application": "Android",
    "com.android.library": "Android",
}
TESTS = {
    "junit:junit": "junit4",
    "org.junit.jupiter": "junit5",
    "org.testng": "testng",
    "org.spockframework": "spock",
    "io.kotest": "kotest",
    "org.springframework.boot:spring-boot-starter-test": "junit5",
    "org.jetbrains.kotlin:kotlin-test": "kotlin-test",
    "org.jetbrains.kotlin:kotlin-test-junit": "kotlin-test",
    "org.jetbrains.kotlin:kotlin-test-junit5": "kotlin-test",
    "org.jetbrains.kotlin:kotlin-test-testng": "kotlin-test",
    "org.jetbrains.kotlin:kotlin-test-common": "kotlin-test",
    "org.jetbrains.kotlin:kotlin-test-annotations-common": "kotlin-test",
    # tests that start their own containers (and need the ports a service would take)
    "org.testcontainers": "testcontainers",
    "org.springframework.boot:spring-boot-testcontainers": "testcontainers",
    "org.springframework.boot:spring-boot-docker-compose": "docker compose",
}
TOOLS = {
    "maven-checkstyle-plugin": "checkstyle",
    "checkstyle": "checkstyle",
    "spotbugs": "spotbugs",
    "maven-pmd-plugin": "pmd",
    "pmd": "pmd",
    "spotless": "spotless",
    "jacoco": "jacoco",
    "ktlint": "ktlint",
    "detekt": "detekt",
    "errorprone": "error-prone",
}
SERVICES = {
    "org.postgresql:postgresql": "postgres",
    "com.mysql:mysql-connector-j": "mysql",
    "mysql:mysql-connector-java": "mysql",
    "org.mongodb": "mongodb",
    "redis.clients:jedis": "redis",
    "io.lettuce": "redis",
    "org.springframework.boot:spring-boot-starter-data-redis": "redis",
    "org.springframework.kafka": "kafka",
}
_GRADLE_DEP = re.compile(r"""["']([\w.-]+):([\w.-]+)(?::([^"'@\s]+))?["']""")
_GRADLE_PLUGIN = re.compile(
    r"""id\s*\(?\s*["']([\w.-]+)["']\s*\)?(?:\s*version\s*\(?\s*["']([^"']+)["']\s*\)?)?"""
)
# `alias(libs.plugins.android.application)`: a plugin declared in the version catalog
_GRADLE_ALIAS = re.compile(r"alias\s*\(\s*libs\.plugins\.([\w.]+)\s*\)")
# a plugin put on the build's classpath for subprojects, not applied where it is declared
_APPLY_FALSE = re.compile(r"\s*apply\s*\(?\s*false")
# the Kotlin DSL's shorthand for org.jetbrains.kotlin:kotlin-test
_KOTLIN_TEST = re.compile(r"""kotlin\(\s*["']test(?:-junit5?|-testng|-common)?["']\s*\)""")
# How Gradle builds name a Java version: a toolchain (the JDK the build runs the compiler
# with: exact), or a release/compatibility/Kotlin JVM target (the bytecode: a minimum).
# A toolchain's version may come from the version catalog (`libs.versions.jdk.get()`).
_CATALOG_REF = r"libs\.versions\.([\w.]+?)\.get\(\)(?:\.toInt\(\))?"
_GRADLE_JAVA: tuple[tuple[LazyPattern, str, Constraint], ...] = (
    (
        LazyPattern(
            r"languageVersion(?:\.set\()?\s*=?\s*JavaLanguageVersion\.of\(\s*(\d+|"
            + _CATALOG_REF
            + r")\s*\)"
        ),
        "toolchain",
        "exact",
    ),
    (LazyPattern(r"jvmToolchain\(\s*(\d+|" + _CATALOG_REF + r")\s*\)"), "jvmToolchain", "exact"),
    (
        LazyPattern(r"(?:source|target)Compatibility\s*=\s*JavaVersion\.VERSION_([\d_]+)"),
        "sourceCompatibility",
        "minimum",
    ),
    (
        LazyPattern(r"(?:source|target)Compatibility\s*=\s*['\"]?(\d[\d.]*)['\"]?"),
        "sourceCompatibility",
        "minimum",
    ),
    (LazyPattern(r"(?<![\w-])release(?:\.set\(\s*|\s*=\s*)(\d+)"), "release", "minimum"),
    (
        LazyPattern(r"jvmTarget(?:\.set\(\s*|\s*=\s*)JvmTarget\.JVM_([\d_]+)"),
        "kotlin.jvmTarget",
        "minimum",
    ),
    (
        LazyPattern(r"jvmTarget(?:\.set\(\s*|\s*=\s*)['\"](\d[\d.]*)['\"]"),
        "kotlin.jvmTarget",
        "minimum",
    ),
)


def detect(project: Project) -> None:
    pom = project.file("pom.xml")
    if pom is not None:
        _maven(project, pom)
    for name in ("build.gradle.kts", "build.gradle", "settings.gradle.kts", "settings.gradle"):
        path = project.file(name)
        if path is not None:
            project.manifest(path)
            _gradle(project, path)


def _matches(coordinate: str, table: dict[str, str]) -> str | None:
    """Keys with a colon name one artifact; keys without name a group and its subgroups."""
    group = coordinate.split(":", 1)[0]
    for key, label in table.items():
        if ":" in key:
            if coordinate == key:
                return label
        elif group == key or group.startswith(key + "."):
            return label
    return None


def _record(project: Project, coordinate: str, source: str, version: str | None) -> None:
    label = _matches(coordinate, FRAMEWORKS)
    if label:
        project.framework(label, source, version)
    label = _matches(coordinate, TESTS)
    if label:
        project.test_framework(label, source, version)
    label = _matches(coordinate, SERVICES)
    if label:
        project.service(label, source)
    for key, tool in TOOLS.items():
        if key in coordinate:
            # a plugin in the build is the tool's configuration
            project.tool(tool, source, configured=True)


def _maven(project: Project, pom: str) -> None:
    project.manifest(pom)
    project.ecosystems.add("java")
    wrapper = project.file("mvnw")
    project.package_manager("maven", wrapper or pom)
    root = parse_xml(project.tree, pom)
    if root is None:
        return
    parent = root.find("parent")
    if parent is not None:
        _record(project, _coordinate(parent), pom, _text(parent, "version"))
    for dep in root.iter("dependency"):
        _record(project, _coordinate(dep), pom, _text(dep, "version"))
    for plugin in root.iter("plugin"):
        _record(project, _coordinate(plugin), pom, _text(plugin, "version"))
    _maven_java(project, pom, root)


# Maven properties that set the Java release the compiler targets: the JDK must be at least
# that (a JDK 21 compiles release 8 fine), so they are minimums
MAVEN_JAVA_PROPERTIES = (
    "maven.compiler.release",
    "maven.compiler.source",
    "maven.compiler.target",
    "maven.compiler.testRelease",
    "java.version",
)


def _maven_java(project: Project, pom: str, root: ET.Element) -> None:
    text = project.tree.read_text(pom) or ""
    props = _properties(root)
    for key in MAVEN_JAVA_PROPERTIES:
        value = _resolve(props.get(key), props)
        if value:
            line = _line_after(text, "<properties>", f"<{key}>")
            field = f"properties.{key}"
            project.runtime("java", value, pom, field, constraint="minimum", line=line)
    for plugin in root.iter("plugin"):
        artifact = _text(plugin, "artifactId")
        if artifact == "maven-compiler-plugin":
            for key in ("release", "source", "target"):
                value = _resolve(_text(plugin, f"configuration/{key}"), props)
                if value:
                    field = f"maven-compiler-plugin.{key}"
                    line = _line_after(text, "maven-compiler-plugin", f"<{key}>")
                    project.runtime("java", value, pom, field, constraint="minimum", line=line)
        elif artifact == "maven-enforcer-plugin":
            _enforcer(project, pom, plugin, props)
        elif artifact == "maven-toolchains-plugin":
            value = _resolve(_first_text(plugin, ".//toolchains/jdk/version"), props)
            if value:
                line = _line_after(text, "<toolchains>", "<version>")
                field = "maven-toolchains-plugin.jdk.version"
                project.runtime("java", value, pom, field, line=line)
    _maven_wrapper(project)


def _line_after(text: str, anchor: str, tag: str) -> int | None:
    """The line of the first `tag` after `anchor` in a pom (ElementTree keeps no lines)."""
    start = text.find(anchor)
    found = text.find(tag, max(start, 0))
    return text.count("\n", 0, found) + 1 if start >= 0 and found >= 0 else None


def _enforcer(project: Project, pom: str, plugin: ET.Element, props: dict[str, str]) -> None:
    """`requireJavaVersion`/`requireMavenVersion`: a bare version is a minimum, a bracket
    range says itself ("[17,22)")."""
    for rule, runtime in (("requireJavaVersion", "java"), ("requireMavenVersion", "maven")):
        value = _resolve(_first_text(plugin, f".//{rule}/version"), props)
        if value:
            constraint: Constraint | None = "minimum" if value[0].isdigit() else None
            field = f"maven-enforcer-plugin.{rule}"
            line = _line_after(project.tree.read_text(pom) or "", f"<{rule}>", "<version>")
            project.runtime(runtime, value, pom, field, constraint=constraint, line=line)


def _maven_wrapper(project: Project) -> None:
    path = project.tree.first(project.path, ".mvn/wrapper/maven-wrapper.properties")
    if path is not None:
        text = project.tree.read_text(path) or ""
        match = re.search(r"apache-maven-([\d.]+)-bin\.zip", text)
        if match:
            project.runtime("maven", match.group(1), path, "distributionUrl")


def _properties(root: ET.Element) -> dict[str, str]:
    props = root.find("properties")
    found: dict[str, str] = {}
    for child in props if props is not None else ():
        if child.text and child.text.strip():
            found[child.tag] = child.text.strip()
    return found


def _resolve(value: str | None, props: dict[str, str]) -> str | None:
    """`${java.version}` replaced from the pom's properties (a few levels deep); a value
    that stays a reference is no version."""
    for _ in range(3):
        if value is None or "${" not in value:
            break
        value = re.sub(r"\$\{([\w.-]+)\}", lambda m: props.get(m.group(1), m.group(0)), value)
    return None if value is None or "${" in value else value


def _first_text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    return found.text.strip() if found is not None and found.text and found.text.strip() else None


def _coordinate(element: ET.Element) -> str:
    return f"{_text(element, 'groupId') or ''}:{_text(element, 'artifactId') or ''}"


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _gradle(project: Project, path: str) -> None:
    project.ecosystems.add("java")
    wrapper = project.file("gradlew")
    project.package_manager("gradle", wrapper or path)
    for lock in ("gradle.lockfile", "settings-gradle.lockfile"):
        lock_path = project.file(lock)
        if lock_path is not None:
            project.lockfile(lock_path)
    _gradle_wrapper(project)
    text = project.tree.read_text(path) or ""
    _gradle_plugins(project, path, text)
    for match in _GRADLE_DEP.finditer(text):
        _record(project, f"{match.group(1)}:{match.group(2)}", path, match.group(3))
    if _KOTLIN_TEST.search(text):
        project.test_framework("kotlin-test", path)
    if "useJUnitPlatform()" in text:
        project.test_framework("junit5", path)
    catalog = _catalog_versions(project)
    for pattern, field, constraint in _GRADLE_JAVA:
        for found in pattern.finditer(text):
            version = found.group(1)
            if version.startswith("libs."):
                version = catalog.get(found.group(2).replace(".", "-"), "")
            version = version.replace("_", ".").removeprefix("1.") if "_" in version else version
            line = text.count("\n", 0, found.start()) + 1
            project.runtime("java", version, path, field, constraint=constraint, line=line)
    _gradle_catalog(project)


def _gradle_plugins(project: Project, path: str, text: str) -> None:
    """Plugins the script applies: `id("x")`, or a catalog plugin by `alias(libs.plugins.x)`;
    not those declared `apply false` (put on the classpath for subprojects)."""
    for match in _GRADLE_PLUGIN.finditer(text):
        if not _APPLY_FALSE.match(text, match.end()):
            _record(project, match.group(1), path, match.group(2))
    plugins = _catalog_plugins(project)
    for match in _GRADLE_ALIAS.finditer(text):
        plugin = plugins.get(_catalog_key(match.group(1)))
        if plugin is not None and not _APPLY_FALSE.match(text, match.end()):
            _record(project, plugin, path, None)


def _gradle_wrapper(project: Project) -> None:
    path = project.tree.first(project.path, "gradle/wrapper/gradle-wrapper.properties")
    if path is not None:
        text = project.tree.read_text(path) or ""
        match = re.search(r"gradle-([\d.]+)-(?:bin|all)\.zip", text)
        if match:
            project.runtime("gradle", match.group(1), path, "distributionUrl")


# version catalog [versions] keys that name a runtime or a build tool
CATALOG_RUNTIMES = {
    "kotlin": "kotlin",
    "jdk": "java",
    "java": "java",
    "jvm": "java",
    "jvmtarget": "java",
    "java-toolchain": "java",
    "javatoolchain": "java",
    "jdk-toolchain": "java",
    "agp": "android-gradle-plugin",
    "android-gradle-plugin": "android-gradle-plugin",
    "androidgradleplugin": "android-gradle-plugin",
    "android-plugin": "android-gradle-plugin",
}
# plugins and libraries whose version is that of a runtime or build tool
CATALOG_ARTIFACTS = {
    "org.jetbrains.kotlin": "kotlin",
    "com.android.tools.build:gradle": "android-gradle-plugin",
    "com.android.application": "android-gradle-plugin",
    "com.android.library": "android-gradle-plugin",
}


def _catalog_versions(project: Project) -> dict[str, str]:
    """The `[versions]` table of gradle/libs.versions.toml, keys normalised to dashes."""
    catalog = project.tree.first(project.path, "gradle/libs.versions.toml")
    if catalog is None:
        return {}
    table = mapping(load_toml(project.tree, catalog).get("versions"))
    found: dict[str, str] = {}
    for key, value in table.items():
        version = (
            as_str(value)
            or as_str(mapping(value).get("strictly"))
            or as_str(mapping(value).get("require"))
        )
        if version:
            found[re.sub(r"[._]", "-", str(key))] = version
    return found


def _gradle_catalog(project: Project) -> None:
    """The version catalog's libraries. Its plugins count only where a build script
    applies them (`alias(libs.plugins.x)` without `apply false`), see `_gradle`."""
    catalog = project.tree.first(project.path, "gradle/libs.versions.toml")
    if catalog is None:
        return
    project.manifest(catalog)
    data = load_toml(project.tree, catalog)
    for spec in mapping(data.get("libraries")).values():
        coordinate = _catalog_library(spec)
        if coordinate is not None:
            _record(project, coordinate, catalog, None)
    versions = _catalog_versions(project)
    for key, version in versions.items():
        runtime = CATALOG_RUNTIMES.get(key.lower()) or CATALOG_RUNTIMES.get(
            key.lower().replace("-", "")
        )
        if runtime:
            project.runtime(runtime, version, catalog, f"versions.{key}")
    for table in ("plugins", "libraries"):
        for alias, spec in mapping(data.get(table)).items():
            _catalog_artifact(project, catalog, f"{table}.{alias}", spec, versions)


def _catalog_artifact(
    project: Project, catalog: str, field: str, spec: object, versions: dict[str, str]
) -> None:
    """A plugin or library of a runtime (the Kotlin plugin, AGP) with its version."""
    if isinstance(spec, str):
        coordinate, _, version = spec.rpartition(":")
        reference = None
    else:
        entry = mapping(spec)
        coordinate = as_str(entry.get("id")) or as_str(entry.get("module")) or ""
        version_spec = entry.get("version")
        version = as_str(version_spec) or ""
        reference = as_str(mapping(version_spec).get("ref"))
    if reference:
        version = versions.get(re.sub(r"[._]", "-", reference), "")
    for prefix, runtime in CATALOG_ARTIFACTS.items():
        if version and (coordinate == prefix or coordinate.startswith(prefix + ".")):
            if not any(r.runtime == runtime and r.source == catalog for r in project.sub.runtimes):
                project.runtime(runtime, version, catalog, field)


def _catalog_library(spec: object) -> str | None:
    """`group:name` of a catalog library: "g:n:v", {module = "g:n"}, {group, name}."""
    text = spec if isinstance(spec, str) else dig(spec, "module")
    if isinstance(text, str) and text.count(":") >= 1:
        return ":".join(text.split(":")[:2])
    group, name = dig(spec, "group"), dig(spec, "name")
    if isinstance(group, str) and isinstance(name, str):
        return f"{group}:{name}"
    return None


def _catalog_plugins(project: Project) -> dict[str, str]:
    """Catalog plugin keys (separators normalised as Gradle does) -> plugin id, from the
    catalog of this build (the folder's own, or the nearest enclosing one)."""
    catalog = None
    for directory in parent_dirs(project.path):
        catalog = project.tree.first(directory, "gradle/libs.versions.toml")
        if catalog is not None:
            break
    if catalog is None:
        return {}
    plugins = mapping(load_toml(project.tree, catalog).get("plugins"))
    found: dict[str, str] = {}
    for key, spec in plugins.items():
        plugin = spec.split(":", 1)[0] if isinstance(spec, str) else dig(spec, "id")
        if isinstance(plugin, str):
            found[_catalog_key(str(key))] = plugin
    return found


def _catalog_key(key: str) -> str:
    return re.sub(r"[-_.]", ".", key).lower()
