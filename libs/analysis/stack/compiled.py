"""Go, Rust, Swift and C/C++ (CMake, Make, Meson, Conan, vcpkg)."""

from __future__ import annotations

import re

from libs.analysis.report import Constraint
from libs.analysis.stack.model import Project, as_str, dig, load_toml

GO_FRAMEWORKS = {
    "github.com/gin-gonic/gin": "Gin",
    "github.com/labstack/echo": "Echo",
    "github.com/labstack/echo/v4": "Echo",
    "github.com/gofiber/fiber/v2": "Fiber",
    "github.com/gofiber/fiber/v3": "Fiber",
    "github.com/go-chi/chi": "chi",
    "github.com/go-chi/chi/v5": "chi",
    "github.com/gorilla/mux": "Gorilla mux",
    "github.com/beego/beego/v2": "Beego",
    "github.com/gobuffalo/buffalo": "Buffalo",
    "google.golang.org/grpc": "gRPC",
    "github.com/spf13/cobra": "Cobra",
}
GO_TESTS = {
    "github.com/stretchr/testify": "testify",
    "github.com/onsi/ginkgo/v2": "ginkgo",
}
GO_SERVICES = {
    "github.com/lib/pq": "postgres",
    "github.com/jackc/pgx/v5": "postgres",
    "github.com/jackc/pgx/v4": "postgres",
    "github.com/redis/go-redis/v9": "redis",
    "github.com/go-redis/redis/v8": "redis",
    "go.mongodb.org/mongo-driver": "mongodb",
    "github.com/go-sql-driver/mysql": "mysql",
}
RUST_FRAMEWORKS = {
    "actix-web": "Actix Web",
    "axum": "Axum",
    "rocket": "Rocket",
    "warp": "warp",
    "poem": "Poem",
    "tauri": "Tauri",
    "leptos": "Leptos",
    "yew": "Yew",
    "dioxus": "Dioxus",
    "bevy": "Bevy",
    "tonic": "tonic",
}
RUST_SERVICES = {
    "tokio-postgres": "postgres",
    "postgres": "postgres",
    "redis": "redis",
    "mongodb": "mongodb",
    "mysql": "mysql",
}
# Cargo.toml keys that declare a toolchain: the MSRV (a floor) and the edition
RUST_DECLARED: tuple[tuple[str, str, Constraint], ...] = (
    ("rust-version", "rust", "minimum"),
    ("edition", "rust-edition", "exact"),
)
_GOLANGCI_VERSION = re.compile(r"""^(?:version|\s*"version")\s*[:=]\s*["']?(\d+)""", re.M)
GO_CONFIGS = (
    (".golangci.yml", "golangci-lint"),
    (".golangci.yaml", "golangci-lint"),
    (".golangci.toml", "golangci-lint"),
    (".golangci.json", "golangci-lint"),
    ("staticcheck.conf", "staticcheck"),
)
RUST_CONFIGS = (
    ("clippy.toml", "clippy"),
    (".clippy.toml", "clippy"),
    ("rustfmt.toml", "rustfmt"),
    (".rustfmt.toml", "rustfmt"),
    ("deny.toml", "cargo-deny"),
    (".config/nextest.toml", "nextest"),
)
_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?([\w.\-]+\.[\w.\-/]+)\s+(v[\w.\-+]+)", re.M)
_GO_DIRECTIVE = re.compile(r"^(go|toolchain)\s+(\S+)", re.M)
_CMAKE_MIN = re.compile(r"cmake_minimum_required\s*\(\s*VERSION\s+([\d.]+(?:\.\.\.[\d.]+)?)", re.I)
# the C/C++ standard: the project-wide variable, a target's property, a compile feature
# (a minimum: "at least C++17"), or a -std flag
_CMAKE_STD: tuple[tuple[re.Pattern[str], str, Constraint], ...] = (
    (re.compile(r"set\s*\(\s*CMAKE_(C|CXX)_STANDARD\s+(\d+)", re.I), "CMAKE_{}_STANDARD", "exact"),
    (re.compile(r"\b(C|CXX)_STANDARD\s+(\d+)"), "{}_STANDARD", "exact"),
    (re.compile(r"\b(c|cxx)_std_(\d+)\b"), "compile_features", "minimum"),
    (re.compile(r"-std=(?:(c|gnu)|(c\+\+|gnu\+\+))(\d+)"), "-std", "exact"),
)
_MESON_STD = re.compile(r"['\"](c|cpp)_std=(?:c|gnu|c\+\+|gnu\+\+)?(\d+)['\"]")
_SWIFT_TOOLS = re.compile(r"^//\s*swift-tools-version\s*:\s*([\d.]+)", re.M)
_SWIFT_PACKAGE = re.compile(
    r"\.(?i:package)\s*\(\s*(?:name:\s*\"[^\"]*\"\s*,\s*)?url:\s*\"([^\"]+)\""
)


# `replace github.com/spf13/viper => ../` (alone or in a `replace (...)` block; not one
# commented out)
_GO_LOCAL_REPLACE = re.compile(r"^(?!\s*//)[^\n]*=>\s*(\.\.?(?:/[^\s]*)?)\s*(?://[^\n]*)?$", re.M)


def detect_go(project: Project) -> None:
    path = project.adopt("go.mod", "go", "go", "go.sum", "go.work.sum")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    for match in _GO_DIRECTIVE.finditer(text):
        # `go` is the minimum the module needs; `toolchain` the release it is built with
        constraint: Constraint = "minimum" if match.group(1) == "go" else "exact"
        line = text.count("\n", 0, match.start()) + 1
        project.runtime(
            "go", match.group(2), path, match.group(1), constraint=constraint, line=line
        )
    for match in _GO_LOCAL_REPLACE.finditer(text):
        project.depends_on_path(match.group(1))
    deps = {m.group(1): (path, m.group(2)) for m in _GO_REQUIRE.finditer(text)}
    deps.pop("go", None)
    project.declared(deps, frameworks=GO_FRAMEWORKS, services=GO_SERVICES)
    test_file = next(
        (e.path for e in project.tree.under(project.path) if e.name.endswith("_test.go")), None
    )
    if test_file is not None:
        project.test_framework("go test", test_file)
    project.declared(deps, tests=GO_TESTS)
    for name, tool in GO_CONFIGS:
        config = project.file(name)
        if config is not None and tool == "golangci-lint":
            # the major version the config is written for: v2 needs `version: "2"`
            found = _GOLANGCI_VERSION.search(project.tree.read_text(config) or "")
            project.tool(tool, config, found.group(1) if found else "1", configured=True)
    project.configured(GO_CONFIGS)


def detect_rust(project: Project) -> None:
    path = project.adopt("Cargo.toml", "rust", "cargo", "Cargo.lock")
    if path is None:
        return
    data = load_toml(project.tree, path)
    for key, runtime, constraint in RUST_DECLARED:
        # a member's `edition.workspace = true` declares nothing itself: the workspace's
        # `[workspace.package]` does, where it is written
        for table in ("package", "workspace.package"):
            version = as_str(dig(data, *table.split("."), key))
            if version:
                field = f"{table}.{key}"
                project.runtime(runtime, version, path, field, constraint=constraint)
    deps: dict[str, tuple[str, str | None]] = {}
    for table in ("dependencies", "dev-dependencies", "build-dependencies"):
        for source in (data.get(table), dig(data, "workspace", table)):
            if isinstance(source, dict):
                for name, spec in source.items():
                    deps.setdefault(name, (path, as_str(spec) or as_str(dig(spec, "version"))))
                    local = as_str(dig(spec, "path"))
                    if local:  # log's test_max_level_features: `log = { path = ".." }`
                        project.depends_on_path(local)
    project.declared(deps, frameworks=RUST_FRAMEWORKS, services=RUST_SERVICES)
    _rust_tests(project)
    project.configured(RUST_CONFIGS)


def _rust_tests(project: Project) -> None:
    checked = 0
    for entry in project.tree.under(project.path):
        if not entry.name.endswith(".rs"):
            continue
        if entry.parent.rsplit("/", 1)[-1] == "tests":
            project.test_framework("cargo test", entry.path)
            return
        checked += 1
        if checked > 200:
            return
        text = project.tree.read_text(entry.path) or ""
        if "#[test]" in text or "#[cfg(test)]" in text or "#[tokio::test]" in text:
            project.test_framework("cargo test", entry.path)
            return


def detect_swift(project: Project) -> None:
    path = project.adopt("Package.swift", "swift", "swiftpm", "Package.resolved")
    if path is None:
        return
    text = project.tree.read_text(path) or ""
    match = _SWIFT_TOOLS.search(text)
    if match:
        project.runtime("swift", match.group(1), path, "swift-tools-version", constraint="minimum")
    for url in _SWIFT_PACKAGE.findall(text):
        name = url.rstrip("/").removesuffix(".git").rsplit("/", 1)[-1].lower()
        if name in ("vapor", "hummingbird"):
            project.framework(name.capitalize(), path)
    for entry in project.tree.under(project.path):
        if entry.name.endswith(".swift") and "Tests/" in entry.path:
            body = project.tree.read_text(entry.path) or ""
            if "import XCTest" in body:
                project.test_framework("xctest", entry.path)
            if "import Testing" in body:
                project.test_framework("swift-testing", entry.path)
    project.configured(((".swiftlint.yml", "swiftlint"), (".swiftformat", "swiftformat")))


def detect_native(project: Project) -> None:
    """C and C++: CMake, Meson, Conan and vcpkg manifests, and Make when nothing else builds."""
    cmake = project.file("CMakeLists.txt")
    if cmake is not None:
        _cmake(project, cmake)
    meson = project.file("meson.build")
    if meson is not None:
        for match in _MESON_STD.finditer(project.tree.read_text(meson) or ""):
            language = "c++" if match.group(1) == "cpp" else "c"
            project.runtime(language, match.group(2), meson, f"{match.group(1)}_std")
    for name, manager in (
        ("meson.build", "meson"),
        ("conanfile.txt", "conan"),
        ("conanfile.py", "conan"),
        ("vcpkg.json", "vcpkg"),
    ):
        path = project.file(name)
        if path is not None:
            project.manifest(path)
            project.ecosystems.add("cpp")
            project.package_manager(manager, path)
    makefile = project.file("Makefile") or project.file("GNUmakefile")
    if makefile is not None:
        project.manifest(makefile)
        if not project.ecosystems or project.ecosystems == {"cpp"}:
            project.ecosystems.add("cpp")
            project.package_manager("make", makefile)
            # a `test` target is a command (see task_runner_commands), not a framework
    if "cpp" in project.ecosystems:
        _harnesses(project)
    for name, tool in ((".clang-format", "clang-format"), (".clang-tidy", "clang-tidy")):
        config = project.file(name)
        if config is not None and "cpp" in project.ecosystems:
            project.tool(tool, config, configured=True)


# C/C++ test frameworks that projects commit into their tree, by their main header.
HARNESS_HEADERS = {
    "unity.h": "unity",
    "cmocka.h": "cmocka",
    "munit.h": "munit",
    "greatest.h": "greatest",
    "acutest.h": "acutest",
    "utest.h": "utest",
    "minunit.h": "minunit",
    "catch.hpp": "catch2",
    "catch_amalgamated.hpp": "catch2",
    "doctest.h": "doctest",
    "gtest.h": "googletest",
}


def _harnesses(project: Project) -> None:
    """Test frameworks vendored into the project (cJSON's tests/unity/src/unity.h)."""
    for entry in project.tree.named(*HARNESS_HEADERS):
        if entry.path.startswith(project.path + "/") or project.path == ".":
            project.test_framework(HARNESS_HEADERS[entry.name], entry.path)


def _cmake(project: Project, path: str) -> None:
    project.manifest(path)
    project.ecosystems.add("cpp")
    project.package_manager("cmake", path)
    text = project.tree.read_text(path) or ""
    match = _CMAKE_MIN.search(text)
    if match:
        # a floor, written as one: `3.10...3.28` is the minimum and the newest policies the
        # project knows, which the build does not require
        line = text.count("\n", 0, match.start()) + 1
        minimum = ">=" + match.group(1).split("...", 1)[0]
        field = "cmake_minimum_required"
        project.runtime("cmake", minimum, path, field, constraint="minimum", line=line)
    c_standards(project, path, text)
    lowered = text.lower()
    if "enable_testing()" in lowered or "add_test(" in lowered or "include(ctest)" in lowered:
        project.test_framework("ctest", path)
    for needle, label in (
        ("gtest", "googletest"),
        ("googletest", "googletest"),
        ("catch2", "catch2"),
        ("doctest", "doctest"),
        ("boost_unit_test", "boost-test"),
    ):
        if needle in lowered:
            project.test_framework(label, path)
    for needle, label in (("qt6", "Qt"), ("qt5", "Qt")):
        if f"find_package({needle}" in lowered:
            project.framework(label, path)


def c_standards(project: Project, path: str, text: str) -> None:
    """The C and C++ standards a CMakeLists (or meson.build) asks for; the first way a
    language's standard is given wins."""
    seen: set[str] = set()
    for pattern, field, constraint in _CMAKE_STD:
        for match in pattern.finditer(text):
            groups = [g for g in match.groups() if g]
            language = "c++" if groups[0].lower() in ("cxx", "c++", "gnu++") else "c"
            if language in seen and field != "compile_features":
                continue
            seen.add(language)
            name = field.format(groups[0].upper()) if "{}" in field else field
            line = text.count("\n", 0, match.start()) + 1
            project.runtime(language, groups[-1], path, name, constraint=constraint, line=line)
