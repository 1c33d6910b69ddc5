"""JavaScript and TypeScript: npm, pnpm, yarn (classic or berry) on Node, or Bun."""

from __future__ import annotations

import re

from libs.cigen import tools
from libs.cigen.ecosystems.common import Draft, assemble, browsers_step, step
from libs.cigen.plan import Job, Purpose, Step

MANAGERS = ("pnpm", "yarn", "bun", "npm")
LOCKFILES = {
    "npm": ("package-lock.json", "npm-shrinkwrap.json"),
    "pnpm": ("pnpm-lock.yaml",),
    "yarn": ("yarn.lock",),
    "bun": ("bun.lock", "bun.lockb"),
}
EXEC = {"npm": "npx --no-install ", "pnpm": "pnpm exec ", "yarn": "yarn ", "bun": "bun run "}
_TOOLS: dict[str, tuple[Purpose, str]] = {
    "eslint": ("lint", "eslint ."),
    "biome": ("lint", "biome ci ."),
    "oxlint": ("lint", "oxlint"),
    "prettier": ("format", "prettier --check ."),
    "typescript": ("typecheck", "tsc --noEmit"),
}
_TESTS: dict[str, str] = {
    "vitest": "vitest run",
    "jest": "jest",
    "mocha": "mocha",
    "ava": "ava",
    "jasmine": "jasmine",
}
_BROWSER_TESTS = ("playwright", "cypress")
_BROWSER_INSTALL = re.compile(
    r"(?:npx|pnpm(?:\s+exec)?|yarn|bunx)\s+playwright\s+install\b[^\n;&|]*"
)
# Run a script in every workspace package that defines it.
_RECURSIVE = {
    "npm": "npm run {script} --workspaces --if-present",
    "pnpm": "pnpm -r --if-present run {script}",
    "yarn-berry": "yarn workspaces foreach --all run {script}",
}


def plan(draft: Draft) -> Job:
    manager = _manager(draft)
    version, source = draft.manager_fact_version(manager)
    lockfiles = draft.lockfiles(*LOCKFILES[manager])
    berry = manager == "yarn" and _berry(draft, version)
    if manager == "pnpm" and (version is None or not tools.names_one_release(version)):
        source = None  # what the manifest says is no exact pnpm: the job names one
        version = _pnpm_for(draft, version)
    prefix = EXEC[manager]
    defaults = [step("install", _install(manager, berry, bool(lockfiles)))]
    defaults += _browsers(draft)
    for tool, (purpose, command) in _TOOLS.items():
        if tool in draft.tools() and not _unread_config(draft, tool) and _ci_runs(draft, tool):
            defaults.append(step(purpose, prefix + command))
    defaults.extend(_tests(draft, manager, prefix))
    if draft.members:
        defaults.extend(_workspace_steps(draft, "yarn-berry" if berry else manager))
    bun = manager == "bun"
    return Job(
        id="",
        name="",
        ecosystem="bun" if bun else "node",
        runtime=draft.runtime("bun" if bun else "node"),
        manager=manager,
        manager_version=version,
        manager_pinned_in_manifest=source is not None and source.endswith("package.json"),
        lockfiles=lockfiles,
        tools=("bun",) if not bun and "bun" in draft.tools() else (),
        steps=assemble(draft, defaults),
        timeout_minutes=20,
    )


def _browsers(draft: Draft) -> list[Step]:
    """The browsers a test suite drives through Playwright, installed as the repository's
    CI installs them: ky's ava tests launch Chromium, Firefox and WebKit through the
    `playwright` package after its CI's `npx playwright install --with-deps`; without it
    50 of them failed ("Executable doesn't exist"). Only what the CI runs in this folder:
    mealie's frontend has no Playwright; its e2e suite in tests/e2e does."""
    for run in draft.ci_here:
        found = _BROWSER_INSTALL.search(run)
        if found:
            command = " ".join(found.group(0).split())
            return [browsers_step(draft, command, command)]
    return []


def _ci_runs(draft: Draft, tool: str) -> bool:
    """`tsc --noEmit` of ours only where the repository's CI type-checks (a `tsc` in a
    step or a script it starts) or where it has no CI: immer's tsconfig has never been
    run bare, and `tsc --noEmit` failed on the @types/node it locks."""
    if tool != "typescript" or not draft.ci or any("tsc" in run for run in draft.ci):
        return True
    draft.notes.append(
        f"{draft.where()}: no `tsc --noEmit` step: the repository's CI does not type-check"
    )
    return False


def _pnpm_for(draft: Draft, declared: str | None) -> str:
    """An exact pnpm for a declared line or range (`9`, `^9.1`, `>=8`): the vetted release
    of that major; pnpm/action-setup or npm would take the newest the day the job runs."""
    major = re.match(r"^\D*(\d+)", declared or "")
    if major and major.group(1) in tools.PNPM:
        version = tools.PNPM[major.group(1)]
        draft.notes.append(f"{draft.where()}: pnpm {version} for the declared pnpm {declared}")
        return version
    return _pnpm_for_lockfile(draft)


def _unread_config(draft: Draft, tool: str) -> bool:
    """ESLint 9 reads only flat configs (eslint.config.*): a project whose sole config is
    an .eslintrc, beside eslint ^9, has a lint setup nothing runs (elysia: `eslint .`
    exits 2, "couldn't find an eslint.config"). No step, and a note."""
    fact = next((t for t in draft.sub.tools if t.name == tool and t.configured), None)
    if tool != "eslint" or fact is None:
        return False
    major = re.match(r"^[\^~>=v ]*(\d+)", fact.version or "")
    if not fact.source.rsplit("/", 1)[-1].startswith(".eslintrc") or not major:
        return False
    if int(major.group(1)) < 9:
        return False
    draft.notes.append(
        f"{draft.where()}: no eslint step: ESLint {major.group(1)} does not read "
        f"{fact.source}, and the project has no eslint.config"
    )
    return True


def _pnpm_for_lockfile(draft: Draft) -> str:
    """A pnpm that reads the lockfile: pnpm 10 refuses a v6 lockfile (pnpm 8's) under
    --frozen-lockfile, so the lockfile's format picks the major when nothing pins one."""
    default = tools.PNPM[tools.PNPM_DEFAULT]
    lock = next((f for f in draft.sub.lockfile_formats if f.manager == "pnpm"), None)
    readers = (lock.readers or "").removeprefix(">=") if lock else ""
    if lock is None or not readers.isdigit():
        draft.notes.append(f"{draft.where()}: no pnpm version is declared; using pnpm {default}")
        return default
    major = readers if lock.readers == readers else max(readers, tools.PNPM_DEFAULT, key=int)
    version = tools.PNPM.get(major, default)
    draft.notes.append(
        f"{draft.where()}: pnpm {version}: {lock.path} is lockfile v{lock.version}, "
        f"which pnpm {lock.readers} reads"
    )
    return version


def _manager(draft: Draft) -> str:
    """The manager `packageManager` names, else the one with a lockfile, else by priority."""
    present = [m for m in MANAGERS if m in draft.managers()]

    def rank(name: str) -> tuple[bool, bool, int]:
        facts = draft.manager_facts(name)
        declared = any(f.version and f.source.endswith("package.json") for f in facts)
        return (not declared, not draft.lockfiles(*LOCKFILES[name]), MANAGERS.index(name))

    return min(present, key=rank)


def uses_corepack(job: Job) -> bool:
    """Yarn Berry pinned by `packageManager` runs through Corepack; a `yarnPath` in
    .yarnrc.yml needs nothing, the global Yarn 1 hands over to it."""
    version = job.manager_version or "1"
    return job.manager == "yarn" and job.manager_pinned_in_manifest and not version.startswith("1")


def _berry(draft: Draft, version: str | None) -> bool:
    if version is not None:
        return not version.startswith("1")
    return any(f.source.endswith(".yarnrc.yml") for f in draft.manager_facts("yarn"))


def _install(manager: str, berry: bool, locked: bool) -> str:
    if manager == "npm":
        return "npm ci" if locked else "npm install"
    if manager == "pnpm":
        return "pnpm install --frozen-lockfile" if locked else "pnpm install"
    if manager == "yarn":
        if not locked:
            return "yarn install"
        return "yarn install --immutable" if berry else "yarn install --frozen-lockfile"
    return "bun install --frozen-lockfile" if locked else "bun install"


def _tests(draft: Draft, manager: str, prefix: str) -> list[Step]:
    tests = draft.tests()
    for browser in _BROWSER_TESTS:
        if browser in tests:
            draft.notes.append(
                f"{draft.where()}: {browser} tests need browsers and a running app; "
                "they are left to a dedicated workflow"
            )
    for name, command in _TESTS.items():
        if name in tests:
            return [step("test", prefix + command)]
    if "bun test" in tests:
        return [step("test", "bun test")]
    if "node:test" in tests:
        return [step("test", "node --test")]
    return []


def _workspace_steps(draft: Draft, manager: str) -> list[Step]:
    template = _RECURSIVE.get(manager)
    if template is None:
        draft.notes.append(
            f"{draft.where()}: the workspace packages ({', '.join(draft.members)}) are "
            "checked only through the root's own scripts"
        )
        return []
    purposes: tuple[Purpose, ...] = ("lint", "build", "test")
    steps = []
    for purpose in purposes:
        run = template.format(script=purpose)
        if purpose == "build":
            run = _build_without_maintenance(draft, manager) or run
        steps.append(step(purpose, run, name=f"{purpose.capitalize()} every package"))
    return steps


# Run a script in the workspace packages named (directories), not the others.
_SELECTED = {
    "npm": ("npm run {script} --if-present", " --workspace {path}"),
    "pnpm": ("pnpm --if-present{selection} run {script}", " --filter ./{path}"),
}


def _build_without_maintenance(draft: Draft, manager: str) -> str | None:
    """The every-package build naming the packages one by one, to leave out those whose
    build the repository's CI runs only on a schedule or by hand (a generator that
    fetches and rewrites checked-in files); None when there is none to leave out, or the
    package manager cannot select packages by folder."""
    left = {m: draft.scheduled_builds[m] for m in draft.members if m in draft.scheduled_builds}
    kept = [m for m in draft.members if m not in left]
    if not left or not kept or manager not in _SELECTED:
        return None
    for member, source in left.items():
        draft.notes.append(
            f"{draft.where()}: the build of every package leaves out {member}, whose build "
            f"{source} runs only on a schedule or by hand"
        )
    paths = [m if draft.directory == "." else m.removeprefix(draft.directory + "/") for m in kept]
    template, each = _SELECTED[manager]
    selection = "".join(each.format(path=p) for p in paths)
    if manager == "npm":
        return template.format(script="build") + selection
    return template.format(selection=selection, script="build")
