"""One job (one matrix combination) rehearsed: its service stand-ins started, its steps
run in order with the runner's environment, each step's result recorded."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from libs.cigen.rehearse import (
    account,
    actions,
    dating,
    environment,
    mirrors,
    network,
    runner_image,
    servers,
    steps,
    sudo,
)
from libs.cigen.rehearse.expressions import (
    ExpressionError,
    Functions,
    Unevaluable,
    condition,
    interpolate,
    resolve,
    to_string,
    truthy,
)
from libs.cigen.rehearse.model import JobResult, StepResult, matrix_of
from libs.cigen.rehearse.toolchains import Missing, Runtime, ToolCache
from libs.cigen.rehearse.workspace import (
    Checkout,
    copy_checkout,
    drop_tags,
    fetch_history,
    submodules,
)


@dataclass
class Options:
    step_timeout: float
    tool_cache: ToolCache
    allow_other_minor: bool = False
    on_step: Callable[[str, StepResult], None] | None = None
    as_of: dating.AsOf | None = None  # package managers resolve as of then
    # who steps run as (account.py): the runner's unprivileged user when this is root
    account: account.Account = field(default_factory=lambda: account.Account(""))
    git_mirrors: mirrors.Mirrors | None = None  # github.com repositories from local mirrors


@dataclass
class Shared:
    """What every job of one rehearsal shares."""

    checkout: Checkout
    base: Path  # the throwaway directory
    workflow: dict[str, Any]
    github: dict[str, Any]
    options: Options
    needs: dict[str, Any] = field(default_factory=dict)


class JobRun:
    def __init__(
        self,
        shared: Shared,
        job_id: str,
        job: dict[str, Any],
        matrix: dict[str, Any],
        name: str,
        index: int,
        total: int,
    ) -> None:
        self.shared = shared
        self.job_id = job_id
        self.job = job
        self.matrix = matrix
        self.root = shared.base / "jobs" / f"{job_id}-{index}"
        self.workspace = self.root / "work"
        self.temp = self.root / "temp"
        self.home = self.root / "home"
        self.tools = self.root / "tools"
        self.result = JobResult(id=job_id, name=name, status="passed", matrix=matrix_of(matrix))
        self.env: dict[str, str] = {}  # workflow + job env, then GITHUB_ENV
        self.path: list[str] = []  # PATH entries from setup actions and GITHUB_PATH
        self.step_outputs: dict[str, Any] = {}
        self.functions = Functions(hash_files=self._hash_files)
        self.services = servers.Services()
        self.strategy = {
            "fail-fast": True,
            "job-index": float(index),
            "job-total": float(total),
            "max-parallel": float(total),
        }
        self.stopped: str | None = None  # why later steps are not rehearsed
        self.inconclusive: str | None = None  # after what a later failure proves nothing
        self.deadline = float("inf")  # the job's timeout-minutes, from its start
        self.account = shared.options.account
        self.broker: sudo.Broker | None = None

    # -- contexts ---------------------------------------------------------------------
    def contexts(self, step_env: dict[str, str] | None = None) -> dict[str, Any]:
        github = dict(self.shared.github, workspace=str(self.workspace), job=self.job_id)
        return {
            "github": github,
            "env": {**self.env, **(step_env or {})},
            "vars": self.shared.github["__vars"],
            "secrets": self.shared.github["__secrets"],
            "inputs": self.shared.github["__inputs"],
            "matrix": self.matrix,
            "strategy": self.strategy,
            "needs": self.shared.needs,
            "runner": {
                "os": "Linux",
                "arch": "X64",
                "name": "rehearsal",
                "temp": str(self.temp),
                "tool_cache": str(self.tools),
                "environment": "github-hosted",
                "debug": "",
            },
            "job": {
                "status": "failure" if self.functions.failed else "success",
                "services": self.services.context(),
                "container": {"id": "", "network": ""},
            },
            "steps": self.step_outputs,
        }

    def _hash_files(self, patterns: list[str]) -> str:
        matched: set[Path] = set()
        for pattern in patterns:
            negate = pattern.startswith("!")
            try:
                found = {p for p in self.workspace.glob(pattern.lstrip("!")) if p.is_file()}
            except ValueError:  # an absolute pattern: hashFiles matches inside the workspace
                found = set()
            matched = matched - found if negate else matched | found
        if not matched:
            return ""
        total = hashlib.sha256()
        for path in sorted(matched):
            total.update(hashlib.sha256(path.read_bytes()).digest())
        return total.hexdigest()

    # -- the job ----------------------------------------------------------------------
    def run(self) -> JobResult:
        started = time.monotonic()
        try:
            minutes = _minutes(
                resolve(self.job.get("timeout-minutes"), self.contexts(), self.functions)
            )
        except (Unevaluable, ExpressionError):
            minutes = None
        if minutes is not None:
            self.deadline = started + minutes * 60
        for directory in (self.workspace, self.temp, self.home, self.tools):
            directory.mkdir(parents=True, exist_ok=True)
        try:
            if self._prepare():
                for index, step in enumerate(self.job["steps"]):
                    self._guarded_step(index, step if isinstance(step, dict) else {})
        finally:
            if self.broker is not None:
                self.broker.stop()
            self.services.stop()
            self.result.seconds = round(time.monotonic() - started, 1)
        self._conclude()
        return self.result

    def _start_services(self) -> bool:
        """Stand-ins for the job's service containers, and its env pointed at them."""
        try:
            self.services = servers.start(self.job.get("services") or {}, self.root / "services")
        except servers.NoStandIn as exc:
            return self._cannot(str(exc))
        self.result.substitutions += [s.note for s in self.services.running]
        self.env = {k: self.services.rewrite(k, v) for k, v in self.env.items()}
        for name, port in self.services.client_ports.items():
            if name not in self.env:
                self.env[name] = port
                self.result.substitutions.append(
                    f"{name}={port}: the database clients' default port is the stand-in's, "
                    "as a runner's is its service's"
                )
        return True

    def _prepare(self) -> bool:
        """The job's env and services; False (with the reason) when it cannot start."""
        try:
            for layer in (self.shared.workflow.get("env"), self.job.get("env")):
                for key, value in (layer or {}).items():
                    self.env[str(key)] = to_string(resolve(value, self.contexts(), self.functions))
        except (Unevaluable, ExpressionError) as exc:
            return self._cannot(f"the job's env: {exc}")
        if self.env.get("UV_PYTHON_PREFERENCE") == "only-managed":
            # uv cannot download its own Pythons here: with only-managed it would remake
            # .venv from nothing on every `uv run`, dropping the groups `uv sync` installed
            self.env["UV_PYTHON_PREFERENCE"] = "managed"
            self.result.substitutions.append(
                "UV_PYTHON_PREFERENCE=managed for only-managed: uv's own Python builds "
                "cannot be downloaded here, a local Python stands in"
            )
        if self.job.get("container"):
            return self._cannot("the job runs in a container; only runner jobs are rehearsed")
        if not self._start_services():
            return False
        scripts = " ".join(str(s.get("run", "")) for s in self.job["steps"] if isinstance(s, dict))
        self._choose_account(scripts)
        wanted = {t for t in runner_image.RUNNER_IMAGE_TOOLS if re.search(rf"\b{t}\b", scripts)}
        uid, gid = self.account.uid, self.account.gid
        if uid is not None and gid is not None:
            # always: a script the repository holds may call sudo where no step names it
            token = hashlib.sha256(str(self.root).encode()).hexdigest()[:12]
            try:
                self.broker = sudo.Broker(self.shared.base / f"sudo-{token}.sock", uid, gid)
            except OSError as exc:  # its steps' `sudo` then fails, and the report says why
                self.result.substitutions.append(f"no sudo for the job's user: {exc}")
        if self.account.dropped and self.broker is None:
            wanted.discard("sudo")  # the root shim would run it as the user, unsaid
        self.result.substitutions += runner_image.install(
            self.shared.options.tool_cache,
            self.tools / "runner-image",
            wanted,
            environment.machine_path(),
            self.broker,
        )
        niceness = os.getpriority(os.PRIO_PROCESS, 0)
        if niceness > 0 and os.geteuid() != 0:
            self.result.substitutions.append(
                f"steps ran at nice {niceness}, the rehearsal's own (a runner's run at 0; "
                "only root can go back): a test that raises its priority fails here"
            )
        git_mirrors = self.shared.options.git_mirrors
        if git_mirrors is not None:
            git_mirrors.configure(self.home)
            self.result.substitutions.append(git_mirrors.note)
        self.account.own(self.root, self.workspace, self.temp, self.home)
        self.account.own(self.home / ".gitconfig")
        self.account.own(self.tools, recursive=True)
        return True

    def _choose_account(self, scripts: str) -> None:
        """The runner's user, unless this job needs what that user cannot reach: rustup's
        toolchains in root's home (they are not copied out, unlike Pythons)."""
        uses = " ".join(str(s.get("uses", "")) for s in self.job["steps"] if isinstance(s, dict))
        rustup = Path(environment.rustup_home())
        rust = "rust-toolchain" in uses or re.search(r"\b(cargo|rustc|rustup)\b", scripts)
        if self.account.dropped and rust and not self.account.can_reach(rustup):
            self.account = account.Account(
                "root",
                note=f"steps ran as root, not as {self.account.name}: rustup's toolchains "
                f"({rustup}) are out of that user's reach; permission checks do not apply",
            )
        if self.account.note:
            self.result.substitutions.append(self.account.note)

    def _cannot(self, reason: str) -> bool:
        self.result.status = "not_rehearsed"
        self.result.reason = reason
        return False

    def _conclude(self) -> None:
        if self.result.status == "not_rehearsed" and not self.result.steps:
            return
        statuses = [s.status for s in self.result.steps]
        ran = [s for s in self.result.steps if s.kind == "run" and s.status in ("passed", "failed")]
        if any(s.status == "failed" and not s.continue_on_error for s in self.result.steps):
            self.result.status = "failed"
            if network.answers_any_address():  # said beside the failure, which it may explain
                self.result.substitutions.append(network.NETWORK_NOTE)
        elif "not_rehearsed" in statuses:
            self.result.status = "partial" if ran else "not_rehearsed"
            self.result.reason = self.result.reason or next(
                s.reason for s in self.result.steps if s.status == "not_rehearsed"
            )
        elif not ran:
            self.result.status = "not_rehearsed"
            self.result.reason = "no run step ran"
        else:
            self.result.status = "passed"

    def _record(self, step: StepResult) -> None:
        self.result.steps.append(step)
        if self.shared.options.on_step:
            self.shared.options.on_step(self.result.name, step)

    def _guarded_step(self, index: int, step: dict[str, Any]) -> None:
        """A step; a fault of the rehearsal itself ends this job, reported, and the
        rehearsal goes on with the next job instead of losing every result."""
        try:
            self._step(index, step)
        except Exception as exc:  # the rehearsal's own bug, never the repository's
            name = self._step_name(step)
            why = f"the rehearsal itself failed here: {type(exc).__name__}: {exc}"
            self._record(StepResult(name=name, status="not_rehearsed", kind="run", reason=why))
            self.stopped = "an earlier step could not be rehearsed"

    def _step(self, index: int, step: dict[str, Any]) -> None:
        kind: Any = "uses" if "uses" in step else "run"
        name = self._step_name(step)
        outcome = StepResult(name=name, status="skipped", kind=kind)
        if self.stopped:
            outcome.status, outcome.reason = "not_rehearsed", self.stopped
            return self._record(outcome)
        try:
            step_env = {
                str(k): self.services.rewrite(
                    str(k), to_string(resolve(v, self.contexts(), self.functions))
                )
                for k, v in (step.get("env") or {}).items()
            }
            contexts = self.contexts(step_env)
            self.functions.used_status.clear()
            run_it = condition(step.get("if"), contexts, self.functions)
            continue_on_error = truthy(
                resolve(step.get("continue-on-error", False), contexts, self.functions)
            )
        except Unevaluable as exc:
            outcome.status, outcome.reason = "not_rehearsed", f"cannot evaluate: {exc}"
            return self._record(outcome)
        except ExpressionError as exc:
            outcome.status, outcome.reason = "failed", f"invalid expression: {exc}"
            self.functions.failed = True
            return self._record(outcome)
        if not run_it:
            outcome.reason = (
                "an earlier step failed"
                if self.functions.failed and not self.functions.used_status
                else "its `if:` is false"
            )
            return self._record(outcome)
        outcome.continue_on_error = continue_on_error
        if kind == "uses":
            self._uses(step, step_env, contexts, outcome)
        else:
            self._run(str(step.get("run", "")), step, step_env, contexts, outcome)
        if outcome.status == "failed" and not continue_on_error:
            self.functions.failed = True
        if outcome.status == "not_rehearsed" and not self.inconclusive:
            # What it would have done (installed a tool, set a variable) is missing: a
            # later failure may follow from that, so it would prove nothing.
            self.inconclusive = f"an earlier step that was not rehearsed ({name})"
        sid = step.get("id")
        if sid:
            entry = self.step_outputs.setdefault(str(sid), {"outputs": {}})
            conclusion = "success" if continue_on_error and outcome.status == "failed" else None
            entry["outcome"] = {"passed": "success", "failed": "failure"}.get(
                outcome.status, "skipped"
            )
            entry["conclusion"] = conclusion or entry["outcome"]
        return self._record(outcome)

    def _step_name(self, step: dict[str, Any]) -> str:
        raw = step.get("name")
        if raw:
            try:
                return interpolate(str(raw), self.contexts(), self.functions)
            except (Unevaluable, ExpressionError):
                return str(raw)
        if "uses" in step:
            return f"Run {step['uses']}"
        first = str(step.get("run", "")).strip().splitlines()
        return f"Run {first[0][:80]}" if first else "Run"

    # -- uses: -----------------------------------------------------------------------
    def _uses(
        self,
        step: dict[str, Any],
        step_env: dict[str, str],
        contexts: dict[str, Any],
        outcome: StepResult,
    ) -> None:
        uses = str(step["uses"])
        skip = actions.skip_reason(actions.action_name(uses)[0])
        if skip is not None:  # decided before its inputs, which may need what it caches
            outcome.reason = skip
            return
        try:
            inputs = {
                str(k): to_string(resolve(v, contexts, self.functions))
                for k, v in (step.get("with") or {}).items()
            }
        except (Unevaluable, ExpressionError) as exc:
            outcome.status, outcome.reason = "not_rehearsed", f"cannot evaluate its inputs: {exc}"
            return
        name, _ = actions.action_name(uses)
        if name == "actions/checkout":
            return self._checkout(inputs, outcome)
        job_tools = actions.JobTools(
            self.workspace,
            self.tools,
            self.shared.options.tool_cache,
            self.env,
            self.shared.options.allow_other_minor,
            self.shared.options.as_of is not None,
        )
        if self.account.dropped:
            job_tools.reach = self._reachable_python
        try:
            setup = actions.prepare(uses, inputs, job_tools)
        except actions.Skip as exc:
            outcome.reason = str(exc)
            return
        except actions.NotRehearsable as exc:
            outcome.status, outcome.reason = "not_rehearsed", str(exc)
            if exc.blocks_job:
                self.stopped = f"the job needs {name}, which was not rehearsed"
            return
        except Missing as exc:
            outcome.status, outcome.reason = "not_rehearsed", f"toolchain or version missing: {exc}"
            self.stopped = f"the job needs {name}, which was not rehearsed"
            return
        self.account.own(self.tools, self.home, recursive=True)
        self.path = [str(p) for p in setup.path] + self.path
        self.env.update(setup.env)
        if step.get("id"):
            self.step_outputs[str(step["id"])] = {"outputs": dict(setup.outputs)}
        if setup.note:
            self.result.substitutions.append(setup.note)
        if setup.script is not None:
            self._run(setup.script, {}, step_env, contexts, outcome)
            outcome.kind = "uses"
            return
        outcome.status, outcome.reason = "passed", setup.note

    def _checkout(self, inputs: dict[str, str], outcome: StepResult) -> None:
        repository = inputs.get("repository", "").strip()
        own = self.shared.checkout.repository
        if repository and repository.lower() != (own or "").lower():
            outcome.status = "not_rehearsed"
            outcome.reason = f"checks out another repository ({repository})"
            return
        target = (self.workspace / inputs.get("path", "")).resolve()
        if not target.is_relative_to(self.workspace):
            outcome.status, outcome.reason = "failed", "checkout path outside the workspace"
            return
        wanted = inputs.get("submodules", "false").strip().lower() in ("true", "recursive")
        copied = copy_checkout(self.shared.checkout.root, target, submodules=wanted)
        whole = inputs.get("fetch-depth", "1").strip() == "0"
        dropped = 0 if whole else drop_tags(target)  # before the copy changes hands
        self.account.own(self.workspace, recursive=True)
        outcome.status = "passed"
        outcome.reason = f"the checkout copied ({copied} files)"
        if dropped:
            outcome.reason += ", without its tags (a one-commit clone has none)"
        if whole:
            env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.home)}
            fetched, why = fetch_history(target, env, self.account.uid, self.account.gid)
            if not fetched:
                outcome.status = "not_rehearsed"
                outcome.reason = f"its history and tags (fetch-depth 0) not fetched: {why}"
                return
            outcome.reason += ", with its history and tags"
        absent = [s for s in submodules(self.shared.checkout.root) if not s.present]
        if wanted and absent:
            # the copy holds what the checkout has; fetching submodules needs their hosts
            named = ", ".join(f"{s.path} ({s.url})" if s.url else s.path for s in absent)
            outcome.status = "not_rehearsed"
            outcome.reason = (
                f"submodules not in the checkout at their recorded commit (a rehearsal does "
                f"not fetch them): {named}; {outcome.reason}"
            )
        elif wanted:
            outcome.reason += ", with its submodules"

    def _reachable_python(self, runtime: Runtime) -> Runtime:
        if self.account.can_reach(runtime.home):
            return runtime
        copied = self.shared.options.tool_cache.relocated_python(runtime)
        if not self.account.can_reach(copied.home):
            raise Missing(
                f"Python {runtime.version}: {copied.home} is out of reach of {self.account.name}"
            )
        return copied

    # -- run: ------------------------------------------------------------------------
    def _environment(self, step_env: dict[str, str], files: steps.CommandFiles) -> dict[str, str]:
        env = environment.runner_env(
            self.shared.github,
            job_id=self.job_id,
            workspace=self.workspace,
            temp=self.temp,
            home=self.home,
            tools=self.tools,
            tool_cache=self.shared.options.tool_cache.root,
            path=[
                *self.path,
                str(runner_image.corepack_links(self.tools / "runner-image")),
                str(self.tools / "runner-image"),
                # a folder the steps' user cannot enter (root's ~/.cargo/bin) makes every
                # command not found there "Permission denied": commander's tests of a
                # missing executable, and make's of a missing pre-commit, read EACCES
                *(p for p in environment.machine_path() if self.account.can_reach(Path(p, "-"))),
            ],
        )
        if self.account.dropped:
            env |= {"USER": self.account.name, "LOGNAME": self.account.name}
        return env | self.env | step_env | files.variables()

    def _run(
        self,
        script: str,
        step: dict[str, Any],
        step_env: dict[str, str],
        contexts: dict[str, Any],
        outcome: StepResult,
    ) -> None:
        defaults = {
            **((self.shared.workflow.get("defaults") or {}).get("run") or {}),
            **((self.job.get("defaults") or {}).get("run") or {}),
        }
        try:
            body = interpolate(script, contexts, self.functions)
            shell = step.get("shell") or defaults.get("shell")
            shell = interpolate(str(shell), contexts, self.functions) if shell else None
            directory = step.get("working-directory") or defaults.get("working-directory") or ""
            directory = interpolate(str(directory), contexts, self.functions)
            minutes = resolve(step.get("timeout-minutes"), contexts, self.functions)
        except Unevaluable as exc:
            outcome.status, outcome.reason = "not_rehearsed", f"cannot evaluate: {exc}"
            return
        except ExpressionError as exc:
            outcome.status, outcome.reason = "failed", f"invalid expression: {exc}"
            return
        cwd = (self.workspace / directory) if directory else self.workspace
        if not cwd.is_dir():
            outcome.status, outcome.exit_code = "failed", 1
            outcome.reason = f"working directory {directory!r} does not exist"
            return
        files = steps.CommandFiles(self.temp / "_runner_file_commands")
        env = self._environment(step_env, files)
        env, first = self._dated(env, body, cwd, step_env, outcome)
        script_file = self.temp / f"{files.env.name[4:]}{steps.script_suffix(shell)}"
        script_file.write_text(body)
        self.account.own(files.env.parent, *files.variables_paths(), script_file)
        try:
            command = steps.shell_command(shell, script_file, env["PATH"])
        except steps.UnknownShell as exc:
            outcome.status, outcome.reason = "not_rehearsed", str(exc)
            return
        limit = self.shared.options.step_timeout
        if _minutes(minutes) is not None:
            limit = min(limit, float(minutes) * 60)
        if self.deadline - time.monotonic() < limit:
            # What is left of the job's timeout-minutes: GitHub cancels the job there.
            limit = max(self.deadline - time.monotonic(), 0.0)
        log = self.root / "logs" / f"{len(self.result.steps):02d}.log"
        if first:  # the step's own install reports what matters; this one only prepares
            prepare = self.temp / f"first-{script_file.name}"
            prepare.write_text(
                "python -m pip install --disable-pip-version-check " + " ".join(first)
            )
            self.account.own(prepare)
            undated = {k: v for k, v in env.items() if k != "PIP_UPLOADED_PRIOR_TO"}
            steps.run_script(
                steps.shell_command(None, prepare, env["PATH"]),
                cwd=cwd,
                env=undated,
                timeout=limit,
                log=log.with_suffix(".first.log"),
                run_as=self.account.popen_args(),
            )
        ran = steps.run_script(
            command, cwd=cwd, env=env, timeout=limit, log=log, run_as=self.account.popen_args()
        )
        outcome.exit_code, outcome.seconds = ran.exit_code, round(ran.seconds, 1)
        self._absorb(files, step)
        if ran.exit_code == 0:
            outcome.status = "passed"
            return
        problem, after = self._unknown(ran.output, ran.exit_code, body)
        outcome.output_tail = steps.tail(ran.output)
        if problem is not None:
            # Its outcome is unknown, not failed: the steps after it still run (a test step
            # after a pre-commit step that could not fetch its hooks tells something), but
            # a failure after it may follow from it, so it proves nothing either.
            outcome.status, outcome.reason = "not_rehearsed", problem
            self.inconclusive = self.inconclusive or after
            return
        why = f"exit code {ran.exit_code}"
        if ran.exit_code is None:
            why = f"timed out after {limit:.0f} s"
        if self.inconclusive:
            outcome.status = "not_rehearsed"
            outcome.reason = f"{why}, after {self.inconclusive}"
            return
        outcome.status, outcome.reason = "failed", why

    def _dated(
        self,
        env: dict[str, str],
        body: str,
        cwd: Path,
        step_env: dict[str, str],
        outcome: StepResult,
    ) -> tuple[dict[str, str], list[str]]:
        """With --as-of, the step's environment with the dating variables (and the step's
        note on which of its package managers they date), and the exact pins to install
        undated before it."""
        as_of = self.shared.options.as_of
        if as_of is None:
            return env, []
        dating.write_age_gates(as_of, self.home)
        self.account.own(self.home / ".config", recursive=True)
        self.account.own(self.home / ".bunfig.toml")
        dated = dating.for_step(
            as_of,
            body,
            cwd,
            self.workspace,
            env,
            self.env | step_env,
            run_as=self.account.popen_args(),
        )
        outcome.dating = dated.note
        return env | dated.env, dated.first

    def _unknown(
        self, output: str, exit_code: int | None, script: str = ""
    ) -> tuple[str | None, str]:
        """Why a failed step's outcome is unknown here (a registry out of reach, a version
        it needs that is not dated, a refusal to run as root), and what a later failure is
        said to follow; (None, "") when it failed. Killed at its time limit, it timed out,
        whatever it printed."""
        if exit_code is None:
            return None, ""
        git_mirrors = self.shared.options.git_mirrors
        problem = git_mirrors.missing(output, script) if git_mirrors is not None else None
        problem = problem or network.registry_problem(output) or self._undated(output)
        if problem is not None:
            return problem, "an earlier step could not get its dependencies"
        refused = runner_image.refuses_root(output, self.account.uid)  # None: this process's
        return refused, "an earlier step would not run as root"

    def _undated(self, output: str) -> str | None:
        as_of = self.shared.options.as_of
        return dating.undated_failure(output, as_of) if as_of is not None else None

    def _absorb(self, files: steps.CommandFiles, step: dict[str, Any]) -> None:
        self.env.update({k: self.services.rewrite(k, v) for k, v in files.read_env().items()})
        self.path = list(reversed(files.read_path())) + self.path
        if step.get("id"):
            entry = self.step_outputs.setdefault(str(step["id"]), {"outputs": {}})
            entry["outputs"].update(files.read_output())

    def outputs(self) -> dict[str, Any]:
        """The job's `outputs:`, evaluated after its steps."""
        values: dict[str, Any] = {}
        for key, value in (self.job.get("outputs") or {}).items():
            try:
                values[str(key)] = to_string(resolve(value, self.contexts(), self.functions))
            except (Unevaluable, ExpressionError):
                continue
        return values


def _minutes(value: Any) -> float | None:
    """A `timeout-minutes` value (already resolved) as a number, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def event_payload(path: Path, github: dict[str, Any], head_commit: Any) -> None:
    payload = {"ref": github["ref"], "after": github["sha"], "head_commit": head_commit}
    path.write_text(json.dumps(payload))


def remove(path: Path) -> None:
    # One pass has left tens of thousands of node_modules files behind here (the directory
    # listing and the unlinks disagreed), and a second pass removed them: retry a little.
    for _ in range(3):
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            return
