"""JavaScript/TypeScript: npm, yarn, pnpm, bun, deno; frameworks from package.json.

Frameworks come from `dependencies` and `peerDependencies` (a component library built
for React declares it there). `devDependencies` hold test and build tooling, so React in
@vitejs/plugin-react's makes no React project; only the frameworks whose own starters
install them as dev dependencies, because they compile the app away, count from there.
"""

from __future__ import annotations

import re
from typing import Any, cast

from libs.analysis.report import Purpose, Task
from libs.analysis.stack.model import Project, as_str, load_json
from libs.analysis.stack.tasks import MAX_TASKS, script_file_lines, script_lines
from libs.analysis.tree import parent_dirs

FRAMEWORKS = {
    "next": "Next.js",
    "react": "React",
    "vue": "Vue",
    "nuxt": "Nuxt",
    "@angular/core": "Angular",
    "svelte": "Svelte",
    "@sveltejs/kit": "SvelteKit",
    "express": "Express",
    "fastify": "Fastify",
    "koa": "Koa",
    "@hapi/hapi": "hapi",
    "@nestjs/core": "NestJS",
    "@remix-run/react": "Remix",
    "gatsby": "Gatsby",
    "astro": "Astro",
    "solid-js": "Solid",
    "preact": "Preact",
    "electron": "Electron",
    "react-native": "React Native",
    "expo": "Expo",
    "hono": "Hono",
    "@builder.io/qwik": "Qwik",
    "ember-source": "Ember",
}
# meta-frameworks and the framework their apps are written in (Nuxt 2 pulls Vue in itself)
BUILT_ON = {
    "nuxt": "vue",
    "next": "react",
    "gatsby": "react",
    "@remix-run/react": "react",
    "@sveltejs/kit": "svelte",
}
# documentation site generators: in a package of its own (immer's and redux's website/), the
# React, Vue or Astro a site renders with is the generator's, not the project's framework;
# at the root (koel's vitepress for docs/) the generator is one more dev dependency
DOCS_SITES = frozenset(
    {
        "@docusaurus/core", "vitepress", "vuepress", "@vuepress/core", "nextra", "docz",
        "@astrojs/starlight", "dumi", "rspress", "@rspress/core", "vocs",
    }
)  # fmt: skip
# a dependency on a local folder: `file:..`, `link:../lib` (not a tarball)
_LOCAL_SPEC = re.compile(r"^(?:file|link):(\.\.?(?:/(?!.*\.t?gz$)[^\s]*)?)$")
# frameworks a project of theirs declares under devDependencies (their starter templates do)
DEV_FRAMEWORKS = frozenset(
    {"svelte", "@sveltejs/kit", "nuxt", "astro", "electron", "@builder.io/qwik", "gatsby"}
)
TEST_DEPS = {
    "jest": "jest",
    "vitest": "vitest",
    "mocha": "mocha",
    "jasmine": "jasmine",
    "ava": "ava",
    "tap": "tap",
    "uvu": "uvu",
    "@playwright/test": "playwright",
    "cypress": "cypress",
    "karma": "karma",
    "testcontainers": "testcontainers",
    "@testcontainers/postgresql": "testcontainers",
    "@testcontainers/mysql": "testcontainers",
    "@testcontainers/redis": "testcontainers",
}
_BUN = re.compile(r"(?:^|[\s;&|(])bunx?\s")
TEST_CONFIGS = (
    ("jest.config.", "jest"),
    ("vitest.config.", "vitest"),
    (".mocharc", "mocha"),
    ("playwright.config.", "playwright"),
    ("cypress.config.", "cypress"),
    ("karma.conf.", "karma"),
)
TOOL_DEPS = {
    "eslint": "eslint",
    "prettier": "prettier",
    "typescript": "typescript",
    "@biomejs/biome": "biome",
    "stylelint": "stylelint",
    "oxlint": "oxlint",
    "husky": "husky",
    "lefthook": "lefthook",
    "@evilmartians/lefthook": "lefthook",
    "lint-staged": "lint-staged",
    "xo": "xo",
    "standard": "standard",
}
TOOL_CONFIGS = (
    ("eslint.config.", "eslint"),
    (".eslintrc", "eslint"),
    (".prettierrc", "prettier"),
    ("prettier.config.", "prettier"),
    ("tsconfig.json", "typescript"),
    ("biome.json", "biome"),
    (".stylelintrc", "stylelint"),
    ("turbo.json", "turbo"),
    ("nx.json", "nx"),
    ("lerna.json", "lerna"),
)
# package.json keys that configure a tool in place of its own file
PACKAGE_CONFIG_KEYS = {
    "eslintConfig": "eslint",
    "prettier": "prettier",
    "stylelint": "stylelint",
    "jest": "jest",
}
SERVICE_DEPS = {
    "pg": "postgres",
    "postgres": "postgres",
    "pg-promise": "postgres",
    "mysql": "mysql",
    "mysql2": "mysql",
    "mongodb": "mongodb",
    "mongoose": "mongodb",
    "redis": "redis",
    "ioredis": "redis",
    "amqplib": "rabbitmq",
    "kafkajs": "kafka",
    "@elastic/elasticsearch": "elasticsearch",
}
LOCKFILES = (
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
    ("yarn.lock", "yarn"),
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lockb", "bun"),
    ("bun.lock", "bun"),
)
SCRIPT_PURPOSES = {
    "test": "test",
    "lint": "lint",
    "typecheck": "typecheck",
    "type-check": "typecheck",
    "check-types": "typecheck",
    "tsc": "typecheck",
    "format": "format",
    "fmt": "format",
    "build": "build",
}
_NO_TEST = re.compile(r"no test specified")


def detect(project: Project) -> None:
    tree = project.tree
    path = project.file("package.json")
    _deno(project)
    if path is None:
        return
    project.manifest(path)
    project.ecosystems.add("node")
    data = load_json(tree, path)
    deps: dict[str, tuple[str, str | None]] = {}
    for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
        table = data.get(key)
        if isinstance(table, dict):
            for name, version in table.items():
                deps.setdefault(name, (path, as_str(version)))
                local = _LOCAL_SPEC.match(as_str(version) or "")
                if local:  # `"mylib": "file:.."`: the folder it names is part of this one
                    project.depends_on_path(local.group(1))
    frameworks = _frameworks(project, path, data, deps)
    manager = _manager(project, path, data)
    _runtimes(project, path, data)
    project.declared(deps, frameworks=frameworks, tools=TOOL_DEPS, services=SERVICE_DEPS)
    scripts = data.get("scripts") if isinstance(data.get("scripts"), dict) else {}
    _tests(project, deps, scripts or {}, path)
    for entry in tree.in_dir(project.path):
        for prefix, name in TOOL_CONFIGS:
            if entry.name.startswith(prefix):
                project.tool(name, entry.path, configured=True)
    for key, name in PACKAGE_CONFIG_KEYS.items():
        if isinstance(data.get(key), dict | list | str):
            add = project.test_framework if name in TEST_DEPS.values() else project.tool
            add(name, path, configured=True)
    _commands(project, scripts or {}, manager, path)


def _frameworks(
    project: Project, path: str, data: dict[str, Any], deps: dict[str, tuple[str, str | None]]
) -> dict[str, str]:
    """Package name -> framework, for the frameworks the package is built on."""
    if DOCS_SITES & deps.keys() and project.path != ".":
        project.docs_site = True  # a folder of its own: the root's generator builds docs/
        return {}
    frameworks = {name: label for name, label in FRAMEWORKS.items() if _framework(data, name)}
    for meta, base in BUILT_ON.items():  # a Nuxt app is a Vue app, whether or not it says so
        if meta in frameworks and base not in deps:
            deps[base] = deps.get(meta, (path, None))[0], None
            frameworks[base] = FRAMEWORKS[base]
    return frameworks


def _framework(data: dict[str, Any], name: str) -> bool:
    """Whether package.json declares the framework `name` where it makes one (see above)."""
    keys = ["dependencies", "peerDependencies"]
    if name in DEV_FRAMEWORKS:
        keys.append("devDependencies")
    return any(isinstance(data.get(key), dict) and name in data[key] for key in keys)


def _deno(project: Project) -> None:
    deno = project.file("deno.json") or project.file("deno.jsonc")
    if deno is not None:
        project.manifest(deno)
        project.ecosystems.add("node")
        project.package_manager("deno", deno)
        lock = project.file("deno.lock")
        if lock is not None:
            project.lockfile(lock)


def _manager(project: Project, path: str, data: dict[str, Any]) -> str:
    """Record the package manager; lockfiles of a workspace root govern its members."""
    declared = as_str(data.get("packageManager"))
    chosen: str | None = None
    if declared and "@" in declared:
        name, _, version = declared.partition("@")
        chosen = name
        project.package_manager(name, path, version.split("+", 1)[0])
    for directory in parent_dirs(project.path):
        found = False
        for lock, name in LOCKFILES:
            lock_path = project.tree.first(directory, lock)
            if lock_path is not None:
                project.lockfile(lock_path)
                project.package_manager(name, lock_path)
                chosen = chosen or name
                found = True
        if found:
            break
    for config, name in (("pnpm-workspace.yaml", "pnpm"), (".yarnrc.yml", "yarn")):
        config_path = project.file(config)
        if config_path is not None:
            project.package_manager(name, config_path)
            chosen = chosen or name
    if chosen is None:
        project.package_manager("npm", path)
        chosen = "npm"
    return chosen


def _runtimes(project: Project, path: str, data: dict[str, Any]) -> None:
    project.runtime_at("node", data, path, "engines", "node")
    project.runtime_at("node", data, path, "volta", "node")
    declared = as_str(data.get("packageManager"))
    if declared and "@" in declared:
        name, _, version = declared.partition("@")
        project.runtime(name, version.split("+", 1)[0], path, "packageManager")
    for engine in ("npm", "pnpm", "yarn", "bun"):
        project.runtime_at(engine, data, path, "engines", engine)


def _tests(
    project: Project, deps: dict[str, tuple[str, str | None]], scripts: dict[str, Any], path: str
) -> None:
    project.declared(deps, tests=TEST_DEPS)
    for entry in project.tree.in_dir(project.path):
        for prefix, name in TEST_CONFIGS:
            if entry.name.startswith(prefix):
                project.test_framework(name, entry.path, configured=True)
    test_script = as_str(scripts.get("test")) or ""
    if "node --test" in test_script:
        project.test_framework("node:test", path)
    runner = _builtin_runner(project)
    if runner is not None:
        project.test_framework(*runner)
    if re.search(r"\bbun test\b", test_script):
        project.test_framework("bun test", path)
    if re.search(r"\bdeno test\b", test_script):
        project.test_framework("deno test", path)


_BUILTIN_RUNNERS = ((b"bun:test", "bun test"), (b"node:test", "node:test"))
# a test file importing one of these is run by it, whatever it borrows from node:test
# (defu's tests take `describe` from node:test and `it` from vitest)
_PACKAGE_RUNNERS = re.compile(rb"""from\s+["'](?:vitest|@jest/globals|mocha|ava)["']""")
_TEST_FILE = re.compile(r"\.(?:test|spec)\.[cm]?[jt]sx?$")


def _builtin_runner(project: Project) -> tuple[str, str] | None:
    """A runtime's own test runner that test files import (`from "bun:test"`), which no
    dependency declares: (framework, the first test file importing it)."""
    checked = 0
    for entry in project.tree.under(project.path):
        if not _TEST_FILE.search(entry.name) or "node_modules/" in entry.path:
            continue
        head = project.tree.head(entry.path, 2048) or b""
        if _PACKAGE_RUNNERS.search(head):
            checked += 1
            continue
        for module, name in _BUILTIN_RUNNERS:
            if module in head:
                return name, entry.path
        checked += 1
        if checked >= 20:
            break
    return None


def _commands(project: Project, scripts: dict[str, Any], manager: str, path: str) -> None:
    """Every script as a task, and the purposeful ones as commands."""
    lines = script_lines(project.tree.read_text(path) or "", "scripts")
    for name in sorted(scripts):
        body = as_str(scripts[name]) or ""
        purpose = SCRIPT_PURPOSES.get(name)
        if purpose is not None and manager != "bun" and _BUN.search(body):
            # an npm/yarn/pnpm project whose scripts need Bun on the PATH as well
            project.tool("bun", path)
        if manager == "yarn":
            run = f"yarn {name}"
        elif name == "test" and manager in ("npm", "pnpm"):
            run = f"{manager} test"  # `bun test` is Bun's test runner, not the script
        else:
            run = f"{manager} run {name}"
        placeholder = purpose == "test" and _NO_TEST.search(body) is not None
        if len(project.sub.tasks) < MAX_TASKS and not placeholder:
            task = Task(
                runner=manager,
                name=name,
                run=run,
                source=path,
                line=lines.get(name),
                purpose=cast(Purpose | None, purpose),
                commands=(body, *script_file_lines(project, body)) if body else (),
            )
            project.sub.tasks.append(task)
        if purpose is None or placeholder:
            continue
        project.command(purpose, run, path)
