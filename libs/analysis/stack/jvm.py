"""Java and Kotlin: Maven (pom.xml) and Gradle (Groovy and Kotlin DSL)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from libs.analysis.stack.model import Project, parse_xml

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
    r"""id\s*\(?\s*["']([\w.-]+)["']\s*\)?(?:\s*version\s*\(?\s*["']([^"']+)["'])?"""
)
_GRADLE_JAVA = (
    (
        re.compile(r"languageVersion(?:\.set\()?\s*=?\s*JavaLanguageVersion\.of\((\d+)\)"),
        "toolchain",
    ),
    (re.compile(r"jvmToolchain\((\d+)\)"), "jvmToolchain"),
    (re.compile(r"sourceCompatibility\s*=\s*JavaVersion\.VERSION_([\d_]+)"), "sourceCompatibility"),
    (re.compile(r"sourceCompatibility\s*=\s*['\"]?([\d.]+)['\"]?"), "sourceCompatibility"),
    (re.compile(r"(?:options\.)?release\.set\((\d+)\)"), "release"),
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


def _maven_java(project: Project, pom: str, root: ET.Element) -> None:
    props = root.find("properties")
    if props is not None:
        for key in ("maven.compiler.release", "maven.compiler.source", "java.version"):
            value = _text(props, key)
            if value:
                project.runtime("java", value, pom, f"properties.{key}")
                break
    for plugin in root.iter("plugin"):
        if _text(plugin, "artifactId") == "maven-compiler-plugin":
            for key in ("release", "source"):
                value = _text(plugin, f"configuration/{key}")
                if value and not value.startswith("${"):
                    project.runtime("java", value, pom, f"maven-compiler-plugin.{key}")
                    break


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
    for match in _GRADLE_PLUGIN.finditer(text):
        _record(project, match.group(1), path, match.group(2))
    for match in _GRADLE_DEP.finditer(text):
        _record(project, f"{match.group(1)}:{match.group(2)}", path, match.group(3))
    if "useJUnitPlatform()" in text:
        project.test_framework("junit5", path)
    for pattern, field in _GRADLE_JAVA:
        found = pattern.search(text)
        if found:
            project.runtime("java", found.group(1).replace("_", "."), path, field)
            break
    _gradle_catalog(project)


def _gradle_wrapper(project: Project) -> None:
    path = project.tree.first(project.path, "gradle/wrapper/gradle-wrapper.properties")
    if path is not None:
        text = project.tree.read_text(path) or ""
        match = re.search(r"gradle-([\d.]+)-(?:bin|all)\.zip", text)
        if match:
            project.runtime("gradle", match.group(1), path, "distributionUrl")


def _gradle_catalog(project: Project) -> None:
    catalog = project.tree.first(project.path, "gradle/libs.versions.toml")
    if catalog is None:
        return
    project.manifest(catalog)
    text = project.tree.read_text(catalog) or ""
    for match in re.finditer(r"""(?:module\s*=\s*|["'])([\w.-]+):([\w.-]+)""", text):
        _record(project, f"{match.group(1)}:{match.group(2)}", catalog, None)
    for match in re.finditer(r"""id\s*=\s*["']([\w.-]+)["']""", text):
        _record(project, match.group(1), catalog, None)
