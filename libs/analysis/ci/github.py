"""GitHub Actions workflows: triggers, and per job its runners, matrix, setup actions'
runtimes (matrix references and version files resolved), services, env and commands."""

from __future__ import annotations

import re
from typing import Any

from libs.analysis.ci.jobs import (
    GITHUB_REF,
    Matrix,
    add_runtime,
    image_of,
    image_runtimes,
    script_commands,
    variables,
    versions_in_file,
)
from libs.analysis.located import YMap, get, items, key_line, line_of, mapping, text, texts
from libs.analysis.report import CiJob, CiRuntime, CiTrigger
from libs.analysis.tree import Tree, join

# setup action -> (input, runtime) pairs it reads versions from
SETUP_INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "actions/setup-python": (("python-version", "python"),),
    "actions/setup-node": (("node-version", "node"),),
    "actions/setup-go": (("go-version", "go"),),
    "actions/setup-java": (("java-version", "java"),),
    "graalvm/setup-graalvm": (("java-version", "java"),),
    "ruby/setup-ruby": (("ruby-version", "ruby"), ("bundler", "bundler")),
    "shivammathur/setup-php": (("php-version", "php"),),
    "actions/setup-dotnet": (("dotnet-version", "dotnet"),),
    "erlef/setup-beam": (("elixir-version", "elixir"), ("otp-version", "otp")),
    "oven-sh/setup-bun": (("bun-version", "bun"),),
    "denoland/setup-deno": (("deno-version", "deno"),),
    "astral-sh/setup-uv": (("python-version", "python"), ("version", "uv")),
    "pnpm/action-setup": (("version", "pnpm"),),
    "dtolnay/rust-toolchain": (("toolchain", "rust"),),
    "actions-rs/toolchain": (("toolchain", "rust"),),
    "gradle/actions/setup-gradle": (("gradle-version", "gradle"),),
    "subosito/flutter-action": (("flutter-version", "flutter"),),
    "dart-lang/setup-dart": (("sdk", "dart"),),
    "swift-actions/setup-swift": (("swift-version", "swift"),),
    "conda-incubator/setup-miniconda": (("python-version", "python"),),
    "haskell-actions/setup": (("ghc-version", "ghc"),),
    "mlugg/setup-zig": (("version", "zig"),),
    "pdm-project/setup-pdm": (("python-version", "python"), ("version", "pdm")),
    "snok/install-poetry": (("version", "poetry"),),
    "abatilo/actions-poetry": (("poetry-version", "poetry"),),
    "actions-rust-lang/setup-rust-toolchain": (("toolchain", "rust"),),
    "volta-cli/action": (("node-version", "node"),),
}
# setup action -> (input naming a version file, runtime)
FILE_INPUTS: dict[str, tuple[str, str]] = {
    "actions/setup-python": ("python-version-file", "python"),
    "actions/setup-node": ("node-version-file", "node"),
    "actions/setup-go": ("go-version-file", "go"),
    "actions/setup-java": ("java-version-file", "java"),
    "shivammathur/setup-php": ("php-version-file", "php"),
    "actions/setup-dotnet": ("global-json-file", "dotnet"),
    "erlef/setup-beam": ("version-file", "elixir"),
    "oven-sh/setup-bun": ("bun-version-file", "bun"),
    "astral-sh/setup-uv": ("version-file", "uv"),
}
_SHA = re.compile(r"^[0-9a-f]{40}$")
_ENV_REF = re.compile(r"\$\{\{\s*env\.([\w-]+)\s*\}\}")


def read(data: YMap, path: str, tree: Tree) -> tuple[list[CiTrigger], list[CiJob]]:
    env = variables(data.get("env"), path)
    defaults = mapping(get(data, "defaults", "run"))
    jobs = [
        _job(str(name), job, env, defaults, path, tree)
        for name, job in mapping(data.get("jobs")).items()
        if isinstance(job, dict)
    ]
    return triggers(data.get("on")), jobs


def triggers(on: Any) -> list[CiTrigger]:
    """Events with their branch filters; a push limited to tags is a "tag" trigger."""
    if isinstance(on, str | list):
        return [CiTrigger(event=_event(e), line=line_of(on)) for e in texts(on)]
    found: list[CiTrigger] = []
    for event, spec in mapping(on).items():
        spec = mapping(spec)
        branches = tuple(texts(spec.get("branches")))
        ignored = tuple(texts(spec.get("branches-ignore")))
        line = key_line(on, event) or line_of(on)
        tagged = "tags" in spec and event == "push"
        if tagged:
            found.append(CiTrigger(event="tag", line=line))
        if not tagged or branches or ignored:
            found.append(
                CiTrigger(
                    event=_event(event), branches=branches, branches_ignore=ignored, line=line
                )
            )
    return found


def _event(name: str) -> str:
    return "pull_request" if name == "pull_request_target" else name


def _job(
    name: str,
    job: dict[str, Any],
    env: dict[str, str],
    defaults: dict[str, Any],
    path: str,
    tree: Tree,
) -> CiJob:
    matrix = Matrix.from_mapping(get(job, "strategy", "matrix"))
    run_defaults = {**defaults, **mapping(get(job, "defaults", "run"))}
    result = CiJob(
        name=text(job.get("name")) or name,
        line=line_of(job),
        os=_runners(job.get("runs-on"), matrix),
        matrix=matrix.axes,
        matrix_include=matrix.include,
        matrix_exclude=matrix.exclude,
        env={**env, **variables(job.get("env"), path)},
    )
    container = image_of(job.get("container"))
    if container:
        result.image = container
    for service in mapping(job.get("services")).values():
        image = image_of(service)
        if image:
            result.services.extend(matrix.expand(image, GITHUB_REF))
    reusable = text(job.get("uses"))
    if reusable:
        result.uses.append(reusable)
    used: set[str] = set()
    for step in items(job.get("steps")):
        if isinstance(step, dict):
            _step(result, step, matrix, run_defaults, path, tree, used)
    if container:
        images = matrix.expand(container, GITHUB_REF)
        result.runtimes.extend(image_runtimes(images, line_of(job.get("container")), used))
    return result


def _runners(value: Any, matrix: Matrix) -> list[str]:
    if isinstance(value, dict):  # {group: ..., labels: [...]}
        value = value.get("labels") or value.get("group")
    if isinstance(value, list):
        return [", ".join(texts(value))] if value else []
    label = text(value)
    return matrix.expand(label, GITHUB_REF) if label else []


def _step(
    job: CiJob,
    step: dict[str, Any],
    matrix: Matrix,
    defaults: dict[str, Any],
    path: str,
    tree: Tree,
    used: set[str],
) -> None:
    uses = text(step.get("uses"))
    directory = text(step.get("working-directory")) or text(defaults.get("working-directory"))
    if uses:
        job.uses.append(uses)
        inputs = mapping(step.get("with"))
        other = text(inputs.get("repository"))
        root = (text(inputs.get("path")) or ".").strip().removeprefix("./").rstrip("/") in ("", ".")
        if uses.startswith("actions/checkout@") and other and root and "${{ github" not in other:
            job.foreign = True  # another repository at the workspace root
        for runtime in _setup_runtimes(uses, inputs, matrix, tree, directory, job.env):
            add_runtime(job.runtimes, runtime)
            used.add(runtime.runtime)
    if "run" in step:
        job.commands.extend(
            script_commands(
                step.get("run"),
                step=text(step.get("name")),
                env=variables(step.get("env"), path),
                directory=directory,
                shell=text(step.get("shell")) or text(defaults.get("shell")),
            )
        )


def _setup_runtimes(
    uses: str,
    inputs: dict[str, Any],
    matrix: Matrix,
    tree: Tree,
    directory: str | None,
    env: dict[str, str],
) -> list[CiRuntime]:
    action, _, ref = uses.partition("@")
    found: list[CiRuntime] = []
    for name, runtime in SETUP_INPUTS.get(action, ()):
        raw = inputs.get(name)
        values = [_ENV_REF.sub(lambda m: env.get(m.group(1), m.group(0)), v) for v in _lines(raw)]
        versions = [v for value in values for v in matrix.expand(value, GITHUB_REF)]
        if versions:
            found.append(_runtime(runtime, versions, name, raw))
    if action == "dtolnay/rust-toolchain" and not found and ref and not _SHA.match(ref):
        found.append(CiRuntime(runtime="rust", versions=(ref,), source="uses"))
    file_input = FILE_INPUTS.get(action)
    if file_input is not None and not found:
        file_name = text(inputs.get(file_input[0]))
        if file_name:
            versions = versions_in_file(tree, file_name, file_input[1])
            if versions:
                found.append(_runtime(file_input[1], versions, file_name, inputs[file_input[0]]))
    if action == "ruby/setup-ruby" and not any(r.runtime == "ruby" for r in found):
        # without ruby-version it reads .ruby-version, then .tool-versions
        for name in (".ruby-version", ".tool-versions"):
            file_name = join(directory or ".", name)
            versions = versions_in_file(tree, file_name, "ruby")
            if versions:
                found.append(CiRuntime(runtime="ruby", versions=tuple(versions), source=file_name))
                break
    return found


def _lines(raw: Any) -> list[str]:
    """An input's values: setup-python and setup-dotnet take several, one per line."""
    if isinstance(raw, list):
        return texts(raw)
    value = text(raw)
    if value is None:
        return []
    return [line.strip() for line in value.splitlines() if line.strip()]


def _runtime(runtime: str, versions: list[str], source: str, raw: Any) -> CiRuntime:
    unique = tuple(dict.fromkeys(versions))
    return CiRuntime(runtime=runtime, versions=unique, source=source, line=line_of(raw))
