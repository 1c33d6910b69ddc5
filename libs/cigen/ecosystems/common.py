"""What every ecosystem planner shares: reading a Subproject safely and ordering steps.

Everything in a Report was derived from repository content, which is untrusted: paths,
versions and commands are checked here before they can reach a workflow file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from libs.analysis.ci.commands import classify
from libs.analysis.report import Fact, Subproject
from libs.cigen import versions
from libs.cigen.ecosystems.ownership import LABEL, command_family
from libs.cigen.ecosystems.shell import safe_command
from libs.cigen.evidence import task_chain
from libs.cigen.plan import Purpose, Runtime, Step

_SEGMENT = re.compile(r"^[A-Za-z0-9_@+][A-Za-z0-9._@+-]{0,99}$")
# A CI run must check, never rewrite: commands like these always pass.
_REWRITES = re.compile(r"(--fix\b|--write\b|:fix\b|\bfix\b(?!-))")
# Tools that fail without their configuration (a dependency on one alone plans no step),
# and the purpose of the step they would have had.
NEEDS_CONFIG: dict[str, Purpose] = {
    "eslint": "lint",
    "phpcs": "lint",
    "typescript": "typecheck",
    "phpstan": "typecheck",
    "psalm": "typecheck",
    "sorbet": "typecheck",
}
# Task runners the hosted runners and the usual images do not ship.
_MISSING_RUNNERS = ("just ", "task ", "mage ")

HOOK_RUNNERS = ("pre-commit", "prek")
_RUNS_HOOKS = re.compile(r"\b(?:pre-commit|prek)\s+run\b")
_HOOK_ACTIONS = ("pre-commit/action", "pre-commit-ci/lite-action", "j178/prek-action")
# linters and type checkers our default steps run
_CHECKERS = re.compile(
    r"\b(ruff|flake8|pylint|mypy|basedpyright|pyright|eslint|oxlint|biome|clippy"
    r"|golangci-lint|rubocop|phpstan|psalm|credo|ktlint|detekt|checkstyle|swiftlint)\b"
)
_FORMATTERS = re.compile(
    r"\b(prettier|black|isort|php-cs-fixer|pint|spotless|scalafmt|mix format|cargo fmt"
    r"|dotnet format)\b"
)
# linters a test script may start before its tests
_LINTERS = re.compile(
    r"(?:^|[\s;&|(])(?:xo|eslint|biome|oxlint|standard|prettier|tsd|ruff|flake8)\b"
)

PURPOSES: tuple[Purpose, ...] = ("install", "format", "lint", "typecheck", "build", "test")


def safe_path(path: str) -> bool:
    """A repository-relative path made only of ordinary characters (no `..`, no `$`,
    no spaces), which we can put in YAML, globs and shell words without quoting."""
    if path == ".":
        return True
    parts = path.split("/")
    return all(_SEGMENT.match(p) and p not in (".", "..") for p in parts) and len(path) <= 300


def normalise_dir(path: str) -> str:
    path = path.strip().removeprefix("./").rstrip("/")
    return path or "."


# a test suite beside the main one: it needs the network, a deployment or time
SECONDARY = re.compile(r"integration|e2e|end[-_]?to[-_]?end|acceptance|smoke|bench", re.I)
# a test line's exclusions: `not integration`, `--ignore=tests/e2e`, `--deselect ...`
_EXCLUDED = re.compile(r"\bnot\s+\w+|--(?:ignore|ignore-glob|deselect)(?:=|\s+)\S+")
_SCRIPTS = (".sh", ".bash", ".py", ".ps1")


@dataclass
class Draft:
    """One subproject seen by one ecosystem planner."""

    sub: Subproject
    directory: str
    notes: list[str] = field(default_factory=list)
    members: tuple[str, ...] = ()  # workspace packages this job also covers
    # what the repository's own CI runs (evidence.ci_commands); empty: it has none
    ci: tuple[str, ...] = ()
    ci_uses: tuple[str, ...] = ()  # the actions its CI jobs call (`pre-commit/action@v3`)
    ci_here: tuple[str, ...] = ()  # what its CI runs in this folder (evidence.ci_commands_in)
    # the repository scripts its CI's tests start here, with their lines (ci_scripts_in)
    ci_scripts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the requirements files its CI's Python test jobs install here (ci_test_requirements)
    ci_requirements: tuple[str, ...] = ()
    # the runner labels of the CI jobs that check changes (`windows-latest`): where every
    # one is Windows, a repository may build only there (evidence.ci_runners)
    ci_os: tuple[str, ...] = ()
    # workspace packages whose build the CI runs only on a schedule or by hand -> CI file
    scheduled_builds: dict[str, str] = field(default_factory=dict)
    family: str | None = None  # the planner's command family (ownership.FAMILY)
    main: str | None = None  # the family of the folder's main language: runs make targets

    def rel(self, path: str) -> str:
        """A path the Report gives for this subproject, repository-relative."""
        path = path.strip().removeprefix("./")
        if self.directory == "." or path == self.directory:
            return path
        if path.startswith(self.directory + "/"):
            return path
        return f"{self.directory}/{path}"

    def where(self) -> str:
        return "the repository root" if self.directory == "." else self.directory

    def tools(self) -> set[str]:
        """Tools to run: configured ones, and declared ones that run on their defaults."""
        return {t.name for t in self.sub.tools if t.configured or t.name not in NEEDS_CONFIG}

    def unconfigured_tools(self) -> list[Fact]:
        """Declared tools left out because they cannot run without configuration, where
        the repository has no command of its own for their purpose either."""
        own = {c.purpose for c in self.sub.commands}
        return [
            t
            for t in self.sub.tools
            if not t.configured and t.name in NEEDS_CONFIG and NEEDS_CONFIG[t.name] not in own
        ]

    def tests(self) -> set[str]:
        return {f.name for f in self.sub.test_frameworks}

    def frameworks(self) -> set[str]:
        """Framework names, lower-cased (the analysis gives their display names)."""
        return {f.name.lower() for f in self.sub.frameworks}

    def managers(self) -> set[str]:
        return {f.name for f in self.sub.package_managers}

    def manager_facts(self, name: str) -> list[Fact]:
        return [f for f in self.sub.package_managers if f.name == name]

    def manager_fact_version(self, name: str) -> tuple[str | None, str | None]:
        """The declared version of a package manager and the file that declares it."""
        for fact in self.manager_facts(name):
            if fact.version and versions.is_exact(fact.version):
                return fact.version.removeprefix("v"), fact.source
        return None, None

    def lockfiles(self, *basenames: str) -> tuple[str, ...]:
        found = []
        for path in self.sub.lockfiles:
            full = self.rel(path)
            if full.rsplit("/", 1)[-1] in basenames and safe_path(full):
                found.append(full)
        return tuple(found)

    def manifest_paths(self, *basenames: str) -> tuple[str, ...]:
        found = (self.rel(m) for m in self.sub.manifests if m.rsplit("/", 1)[-1] in basenames)
        return tuple(p for p in found if safe_path(p))

    def runtime(self, name: str, **options: str) -> Runtime:
        choice = versions.choose(name, self.sub.runtimes)
        if choice.note:
            self.notes.append(f"{self.where()}: {choice.note}")
        return Runtime(
            name=name,
            versions=choice.versions,
            declared_in=choice.declared.source if choice.declared else None,
            options=options,
        )

    def repo_steps(self, purpose: Purpose) -> list[Step]:
        """The repository's own commands for a purpose, when they are safe to run in CI."""
        steps = []
        for command in self.sub.commands:
            if command.purpose != purpose:
                continue
            run = command.run.strip()
            if not self._owns(run, command.source, purpose):
                continue
            if not safe_command(run):
                self.notes.append(
                    f"{self.where()}: skipped the {purpose} command from {command.source}: "
                    "it is empty, too long, or more than plain shell"
                )
                continue
            if run.startswith(_MISSING_RUNNERS):
                self.notes.append(
                    f"{self.where()}: used our own {purpose} step instead of `{run}` from "
                    f"{command.source}: {run.split()[0]} is not installed on CI runners"
                )
                continue
            installs = self._installs(run)
            if installs is not None:
                self.notes.append(
                    f"{self.where()}: skipped `{run}` from {command.source}: it installs "
                    f"first (`{installs[:60]}`), which the job's install step does"
                )
                continue
            # a format script checks when its name or its body says so (hono's `format`
            # runs `prettier --check`); one that does not rewrites files
            checks = "check" in run or any("--check" in line for line in self.recipe(run))
            rewrites = purpose == "format" and not checks
            if rewrites or (purpose in ("lint", "format") and _REWRITES.search(run)):
                self.notes.append(
                    f"{self.where()}: skipped `{run}` from {command.source}: it rewrites "
                    "files instead of checking them"
                )
                continue
            if purpose in ("lint", "typecheck", "format") and not self._run_in_ci(run):
                self.notes.append(
                    f"{self.where()}: skipped `{run}` from {command.source}: the "
                    "repository's CI does not run it, so nothing shows the tree passes it"
                )
                continue
            steps.append(Step(name=_title(purpose, run), run=run, purpose=purpose))
        return steps

    def _run_in_ci(self, run: str) -> bool:
        """Whether the repository's CI runs a command of its own, or every line of its
        recipe (true where there is no CI): viper's CI lints with golangci-lint-action,
        and its `make lint` needs a golangci-lint the Makefile pins to a release that
        cannot read the configuration."""
        if not self.ci or self._calls_remote_workflow():
            return True
        if run in self._hooks() and self.hooks_enforced():
            return True  # arq's local hook runs `make mypy`
        lines = [line.strip() for line in self.ci if not installs(line)]
        recipe = [line.strip() for line in self.recipe(run) if line.strip()]
        return any(_runs(line, run) for line in lines) or bool(
            recipe and all(any(_runs(line, r) for line in lines) for r in recipe)
        )

    def _calls_remote_workflow(self) -> bool:
        """Whether the CI calls another repository's reusable workflow (fastify's
        plugins-ci.yml): what that runs is out of sight, so it may run anything."""
        return any("/.github/workflows/" in u and not u.startswith("./") for u in self.ci_uses)

    def ci_test_steps(self) -> list[Step]:
        """The tests as the repository's CI runs them in this folder, where it starts them
        through a task whose prerequisites include the test task: djangoproject.com's CI
        runs `make ci` (compilemessages, collectstatics, then test), and its translation
        tests fail without the messages that compiles. Never a task that also installs
        (our job installs), nor one that runs another toolchain's commands."""
        for run in dict.fromkeys(line.strip() for line in self.ci_here):
            task = next((t for t in self.sub.tasks if t.run == run), None)
            if task is None or task.runner not in ("make", "just"):
                continue
            chain = task_chain(task, self.sub.tasks)
            tested = [t for t in chain if t.purpose == "test"]
            if not tested or self._installs(run) is not None:
                continue
            said = len(self.notes)  # the repository's own test command says why not
            if not safe_command(run) or not all(
                self._owns(t.run, t.source, "test") for t in reversed(chain)
            ):
                del self.notes[said:]
                continue
            if task not in tested:
                self.notes.append(
                    f"{self.where()}: the tests run as the repository's CI runs them: "
                    f"`{run}`, which runs `{tested[0].run}` after "
                    + ", ".join(t.name for t in chain if t is not task and t not in tested)
                )
            return [step("test", run)]
        return self._ci_test_script()

    def _ci_test_script(self) -> list[Step]:
        """The repository script the CI runs its tests with, where it runs this job's
        tests and installs nothing: typer's `scripts/test.sh` sets TERMINAL_WIDTH and
        `_TYPER_FORCE_DISABLE_TERMINAL` before pytest, and its help-text tests fail
        without them."""
        if self.family != "python":
            return []  # bytes' ci/test-stable.sh needs cargo-hack, which the CI installs
        for run, lines in self.ci_scripts:
            inner = _MANAGER_RUN.sub("", run)
            tests = [line for line in lines if classify(line) == "test"]
            families = {command_family(line, "") for line in tests} - {None}
            if not tests or families - {self.family} or not safe_command(inner):
                continue
            if any(installs(line) for line in lines):
                continue
            if self._secondary(run, tests):
                continue
            self.notes.append(
                f"{self.where()}: the tests run as the repository's CI runs them: `{inner}`"
            )
            return [step("test", inner)]
        return []

    def _secondary(self, run: str, tests: list[str]) -> bool:
        """Whether a CI test script runs only a secondary suite (integration, end-to-end,
        benchmarks) while the CI runs the tests here some other way as well: isort's
        `scripts/test_integration.sh` clones other repositories; its unit tests run
        through tox, and our pytest step runs them."""
        script = next((w for w in run.split() if "/" in w or w.endswith(_SCRIPTS)), "")
        named = SECONDARY.search(script.rsplit("/", 1)[-1])
        # what a line selects, not what it leaves out (`-m "not integration"`)
        selected = [_EXCLUDED.sub(" ", line) for line in tests]
        if not (named or all(SECONDARY.search(line) for line in selected)):
            return False
        others = [line for line in self.ci_here if line.strip() != run.strip()]
        return any(classify(line) == "test" for line in others)

    def _installs(self, run: str) -> str | None:
        """The install line a make or just task runs, itself or through a prerequisite
        (yarl's `make test` needs `.develop`: `pip install -U -r requirements/dev.txt`,
        which a uv environment has no pip for), or None."""
        task = next((t for t in self.sub.tasks if t.run == run), None)
        if task is None or task.runner not in ("make", "just"):
            return None
        chain = task_chain(task, self.sub.tasks)
        return next((c for t in chain for c in t.commands if installs(c)), None)

    def _owns(self, run: str, source: str, purpose: Purpose) -> bool:
        """Whether this job runs a repository command: one of its own ecosystem, or a task
        runner's where it is the folder's main ecosystem (never a make target beside a
        CMake build, which builds elsewhere)."""
        if self.family is None:
            return True
        family = command_family(run, source)
        if family is None and self.family == "c" and "cmake" in self.managers():
            owner = None if run.startswith("make") else "c"
        else:
            owner = family or self.main
        if owner == self.family:
            return self._recipe_fits(run, source, purpose)
        self.notes.append(
            f"{self.where()}: the {LABEL[self.family]} job does not run `{run}` ({purpose}, "
            f"from {source}): "
            + (f"it belongs to the {LABEL[owner]} job" if owner else "CMake builds elsewhere")
        )
        return False

    def checked_in_ci(self, item: Step) -> bool:
        """A formatter check of ours runs only where the repository's CI checks with that
        formatter too: where its CI does not, its code is often not formatted (elysia has
        a .prettierrc and 69 files prettier would rewrite). Without CI, it runs. So does
        a linter or type checker of ours: waitress configures flake8 and its CI's lint
        environment has it commented out (the tree fails it), phoenix's CI never runs the
        eslint its assets configure (three errors), and alembic's lint session, which its
        CI leaves out, runs flake8 over a script Python 3.11 cannot parse."""
        if item.purpose in ("lint", "typecheck"):
            return self._linted_in_ci(item)
        found = _FORMATTERS.search(item.run) if item.purpose == "format" else None
        if found is None:
            return True
        own = next(
            (
                c.run
                for c in self.sub.commands
                if c.purpose != "format"
                and safe_command(c.run)
                and not c.run.startswith(_MISSING_RUNNERS)
                and any(found.group(0) in r for r in self.recipe(c.run))
            ),
            None,
        )
        if own is not None:
            # ofetch's lint script runs `prettier -c src test examples`: ours would check
            # more than the project formats (its changelog)
            self.notes.append(
                f"{self.where()}: no `{item.run}` step: the repository's `{own}` runs "
                f"{found.group(0)} on what it chooses"
            )
            return False
        if not self.ci or any(found.group(0) in run for run in self.ci):
            return True
        self.notes.append(
            f"{self.where()}: no `{item.run}` step: the repository's CI does not check "
            f"formatting with {found.group(0)}"
        )
        return False

    def hooks_enforced(self) -> bool:
        """Whether the repository keeps its tree passing its git hooks: its CI (or a task
        its CI starts) runs them, or pre-commit.ci does; or it has no CI, where they are
        the checks it declares (as a formatter check is). Hooks a CI leaves out, kept only
        for commits on a developer's machine, are often not clean over every file."""
        return (
            not (self.ci or self.ci_uses)
            or any(t.name == "pre-commit.ci" for t in self.sub.tools)
            or any(_RUNS_HOOKS.search(run) for run in self.ci)
            or any(uses.startswith(_HOOK_ACTIONS) for uses in self.ci_uses)
        )

    def _hooks(self) -> tuple[str, ...]:
        """The ids of the git hooks the repository configures, and the commands of its
        local ones."""
        return tuple(h for t in self.sub.tools if t.name in HOOK_RUNNERS for h in t.targets)

    def _linted_in_ci(self, item: Step) -> bool:
        found = _CHECKERS.search(item.run)
        if found is None or not self.ci or self._calls_remote_workflow():
            return True
        tool = found.group(0)
        # the run that checks (`ruff check`, not `ruff format`), on what our step checks:
        # never a CI run that fixes what it finds, nor one on paths we cannot read (arq's
        # hooks run `ruff check $(sources)`; `ruff check .` also read its docs/examples)
        needle = "ruff check" if tool == "ruff" else tool
        lines = [line for run in self.ci for line in (run, *self.recipe(run.strip()))]
        if any(_runs(line, needle) and _checks_only(line, needle) for line in lines):
            return True
        if any(tool in uses.split("@")[0] for uses in self.ci_uses):
            return True  # golangci/golangci-lint-action, astral-sh/ruff-action
        # flask's CI runs its pre-commit hooks, ruff-check among them; arq's local hooks
        # run make targets
        hooks = [line for hook in self._hooks() for line in (hook, *self.recipe(hook))]
        # (a hook may fix: pre-commit fails a run whose hooks change files)
        ran = any(
            h in (tool, f"{tool}-check") or (_runs(h, needle) and _known_scope(h, needle))
            for h in hooks
        )
        if ran and self.hooks_enforced():
            return True
        self.notes.append(
            f"{self.where()}: no `{item.run}` step: the repository's CI does not run "
            f"{needle} over what this step checks, so nothing shows the tree passes it"
        )
        return False

    def recipe(self, run: str) -> tuple[str, ...]:
        """The commands a task-runner command runs (a make target's recipe lines), as
        the analysis read them; () when it did not."""
        task = next((t for t in self.sub.tasks if t.run == run), None)
        return task.commands if task is not None else ()

    def _recipe_fits(self, run: str, source: str, purpose: Purpose) -> bool:
        """A task-runner command whose recipe starts another ecosystem's tools (fzf's
        `make lint` runs `bundle exec rubocop`) needs what this job never installs."""
        if self.family is None:
            return True
        for line in self.recipe(run):
            words = [w for w in line.replace("(", " ").split() if "=" not in w]
            family = command_family(" ".join(words), "Makefile") if words else None
            if family is not None and family != self.family:
                self.notes.append(
                    f"{self.where()}: the {LABEL[self.family]} job does not run `{run}` "
                    f"({purpose}, from {source}): its recipe runs `{line.strip()[:60]}`, "
                    f"which needs the {LABEL[family]} toolchain"
                )
                return False
        return True


# setup that prepares rather than installs: variables, files, databases
_PREPARES = re.compile(
    r"^(?:export|cp|mkdir|createdb|createuser|psql|mysql|php\s+artisan"
    r"|(?:bin/)?(?:rails|rake)\s+db:|docker)\b"
)


def _runs(line: str, command: str) -> bool:
    """Whether a command line runs `command` (a tool, or a command with its arguments)
    as a word of its own: `make lint` is not `make lint-docs`, nor is ruff truffleruby."""
    return re.search(rf"(?<![\w.-]){re.escape(command)}(?![\w-])", line) is not None


def _checks_only(line: str, tool: str) -> bool:
    """A line that checks with `tool`: it installs nothing, fixes nothing it finds, and
    names no paths we cannot read."""
    # (ruff's --exit-non-zero-on-fix still fails on what it fixes: attrs' lint env)
    fixes = re.search(r"\s--(?:fix|write|unsafe-fixes)\b", line) and "non-zero-on-fix" not in line
    return not installs(line) and not fixes and _known_scope(line, tool)


def _known_scope(line: str, tool: str) -> bool:
    """No variable among the arguments after `tool` (`ruff check $(sources)`)."""
    return re.search(r"\$[({A-Za-z_]", line[line.find(tool) :]) is None


def installs(line: str) -> bool:
    """Whether a command line installs packages or tools (what our install step does),
    not one that only prepares (`export`, `cp .env.example .env`, `createdb`)."""
    return classify(line) == "setup" and not _PREPARES.match(line.strip())


# a CI line run through a Python manager's environment: `uv run bash scripts/test.sh`
_MANAGER_RUN = re.compile(r"^(?:uv|poetry|pdm|hatch|pipenv)\s+run\s+")


def _title(purpose: Purpose, run: str) -> str:
    label = {"typecheck": "Type-check", "install": "Install dependencies"}.get(
        purpose, purpose.capitalize()
    )
    return f"{label} ({run})" if len(run) <= 40 else label


def step(purpose: Purpose, run: str, *, tool: str | None = None, name: str | None = None) -> Step:
    return Step(name=name or _title(purpose, run), run=run, purpose=purpose, tool=tool)


def browsers_step(draft: Draft, command: str, run: str) -> Step:
    """The step that installs the browsers a test suite drives, with the repository's CI
    command (`command`) as our job runs it (`run`), and the note that says why."""
    draft.notes.append(
        f"{draft.where()}: `{command}` before the tests, as the repository's CI installs the "
        "browsers its tests drive"
    )
    return step("install", run, name=f"Install browsers ({command})")


def assemble(draft: Draft, defaults: Sequence[Step]) -> list[Step]:
    """Our default steps, with the repository's own command taking the place of ours for
    every purpose it defines one for; in install, check, build, test order."""
    steps: list[Step] = []
    for purpose in PURPOSES:
        if purpose == "test":
            theirs = draft.ci_test_steps() or draft.repo_steps(purpose)
        else:
            theirs = draft.repo_steps(purpose) if purpose != "install" else []
        mine = [s for s in defaults if s.purpose == purpose] if not theirs else []
        steps.extend(theirs or [s for s in mine if draft.checked_in_ci(s)])
    return _build_after_linting_tests(draft, steps)


def _build_after_linting_tests(draft: Draft, steps: list[Step]) -> list[Step]:
    """A test command that lints first (`"test": "xo && ava"`) would lint what the build
    step wrote (dist/, generated types): the build then runs after the tests."""
    tests = [s for s in steps if s.purpose == "test"]
    builds = [s for s in steps if s.purpose == "build"]
    linting = [s for s in tests if any(_LINTERS.search(line) for line in draft.recipe(s.run))]
    if not linting or not builds:
        return steps
    draft.notes.append(
        f"{draft.where()}: `{linting[0].run}` lints before it tests; the build runs after "
        "it, so the linter never reads what the build writes"
    )
    rest = [s for s in steps if s.purpose != "build"]
    return rest + builds
