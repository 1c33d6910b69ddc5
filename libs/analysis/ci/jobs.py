"""What every CI reader shares: matrices, variables, scripts as commands, version files."""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from libs.analysis.ci.commands import classify, script_lines
from libs.analysis.images import image_runtime
from libs.analysis.located import get, items, line_of, mapping, text, texts
from libs.analysis.report import CiCommand, CiRuntime, CiTrigger
from libs.analysis.tree import Tree

MAX_ROWS = 256  # matrix combinations expanded; a larger matrix keeps its axes only
GITHUB_REF = re.compile(r"\$\{\{\s*matrix\.([\w.-]+)\s*\}\}")
SHELL_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)|\$env:(\w+)|%(\w+)%")
AZURE_REF = re.compile(r"\$\(([\w.-]+)\)")
CIRCLE_REF = re.compile(r"<<\s*(?:matrix|parameters)\.([\w-]+)\s*>>")
# matrix axes and variables that name a runtime: python-version, NODE_VERSION, jdk, rvm...
_RUNTIME_AXES = (
    (re.compile(r"^(?:python|py|pythons|python[-_.]?ver(?:sion)?s?)$", re.I), "python"),
    (
        re.compile(
            r"^(?:node|nodejs|node[-_.]?js|node[-_.]?ver(?:sion)?s?|nodejs[-_]version)$", re.I
        ),
        "node",
    ),
    (re.compile(r"^(?:go|golang|go[-_.]?ver(?:sion)?s?)$", re.I), "go"),
    (re.compile(r"^(?:ruby|rvm|ruby[-_.]?ver(?:sion)?s?)$", re.I), "ruby"),
    (re.compile(r"^(?:php|php[-_.]?ver(?:sion)?s?)$", re.I), "php"),
    (re.compile(r"^(?:java|jdk|java[-_.]?ver(?:sion)?s?|jdk[-_.]?ver(?:sion)?s?)$", re.I), "java"),
    (re.compile(r"^(?:dotnet|dotnet[-_.]?ver(?:sion)?s?|net)$", re.I), "dotnet"),
    (re.compile(r"^(?:elixir|elixir[-_.]?ver(?:sion)?s?)$", re.I), "elixir"),
    (re.compile(r"^(?:otp|erlang|otp[-_.]?ver(?:sion)?s?|otp[-_]release)$", re.I), "otp"),
    (re.compile(r"^(?:rust|toolchain|rust[-_.]?ver(?:sion)?s?)$", re.I), "rust"),
)


def runtime_of_axis(name: str) -> str | None:
    """The runtime a matrix axis or variable is named for, if any."""
    for pattern, runtime in _RUNTIME_AXES:
        if pattern.match(name.rsplit(".", 1)[-1]):
            return runtime
    return None


@dataclass
class Matrix:
    """A job's matrix: its axes, and the include/exclude entries, all as text."""

    axes: dict[str, list[str]] = field(default_factory=dict)
    include: list[dict[str, str]] = field(default_factory=list)
    exclude: list[dict[str, str]] = field(default_factory=list)
    line: int | None = None

    @classmethod
    def from_mapping(cls, value: Any) -> Matrix:
        """A GitHub-style matrix: axes of scalars or mappings, plus include and exclude."""
        matrix = cls(line=line_of(value))
        for name, values in mapping(value).items():
            if name == "include":
                matrix.include = [_flat(item) for item in items(values) if isinstance(item, dict)]
            elif name == "exclude":
                matrix.exclude = [_flat(item) for item in items(values) if isinstance(item, dict)]
            elif isinstance(values, list):
                for item in values:
                    flat = _flat(item, name) if isinstance(item, dict) else {name: text(item) or ""}
                    for key, val in flat.items():
                        axis = matrix.axes.setdefault(key, [])
                        if val not in axis:
                            axis.append(val)
        return matrix

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> Matrix:
        """A matrix given as its rows (AppVeyor's environment matrix, Azure's legs)."""
        matrix = cls()
        for row in rows:
            matrix.include.append(row)
        return matrix

    def values(self, name: str) -> list[str]:
        found = list(self.axes.get(name, ()))
        for row in self.include:
            if name in row and row[name] not in found:
                found.append(row[name])
        return found

    def rows(self) -> list[dict[str, str]]:
        """The combinations the CI system runs: the product of the axes without the
        excluded ones, extended or added to by `include` (GitHub's rules)."""
        names = list(self.axes)
        product: list[dict[str, str]] = []
        if names:
            for combo in itertools.islice(
                itertools.product(*(self.axes[n] for n in names)), MAX_ROWS
            ):
                row = dict(zip(names, combo, strict=True))
                if not any(_matches(row, ex) for ex in self.exclude):
                    product.append(row)
        if not names:
            return [dict(row) for row in self.include]
        for extra in self.include:
            matched = False
            for row in product:
                if all(row.get(k) == v for k, v in extra.items() if k in self.axes):
                    row.update({k: v for k, v in extra.items() if k not in self.axes})
                    matched = True
            if not matched:
                product.append(dict(extra))
        return product

    def expand(self, template: str, pattern: re.Pattern[str]) -> list[str]:
        """Every distinct rendering of `template` across the rows; a reference to a name
        the matrix does not have stays as written."""
        if not pattern.search(template):
            return [template]
        rendered: list[str] = []
        for row in self.rows() or [{}]:
            value = pattern.sub(functools.partial(_lookup, row=row), template)
            if value not in rendered:
                rendered.append(value)
        return rendered

    def runtimes(self, used: set[str]) -> list[CiRuntime]:
        """Runtimes named by the matrix's own axes, for systems without setup actions
        (AppVeyor, GitLab, Azure): `PYTHON_VERSION: [...]`. `used` are runtimes already
        known from a more direct source."""
        found: list[CiRuntime] = []
        names = list(self.axes) + [k for row in self.include for k in row if k not in self.axes]
        for name in dict.fromkeys(names):
            runtime = runtime_of_axis(name)
            if runtime and runtime not in used:
                versions = tuple(v for v in self.values(name) if v)
                if versions:
                    found.append(
                        CiRuntime(runtime=runtime, versions=versions, source=f"matrix.{name}")
                    )
                    used.add(runtime)
        return found


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in item.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(_flat(value, name))
        elif isinstance(value, list):
            flat[name] = ",".join(t for t in (text(v) for v in value) if t)
        else:
            flat[name] = text(value) or ""
    return flat


def _matches(row: dict[str, str], partial: dict[str, str]) -> bool:
    return all(row.get(k) == v for k, v in partial.items())


def _lookup(match: re.Match[str], *, row: dict[str, str]) -> str:
    name = next(g for g in match.groups() if g is not None)
    return row.get(name, match.group(0))


def variables(value: Any, path: str) -> dict[str, str]:
    """A mapping of variables as text (nested values skipped), credentials redacted."""
    found: dict[str, str] = {}
    for name, raw in mapping(value).items():
        if isinstance(raw, dict):
            raw = raw.get("value")  # GitLab's {value: ..., description: ...}
        if isinstance(raw, str):
            found[str(name)] = redact(str(name), str(raw), path)
    return found


REDACTED = "<redacted>"


def redact(name: str, value: str, path: str) -> str:
    """`value`, or REDACTED when the secret scanner takes `name=value` for a credential:
    a literal credential in a CI file must not reach the report (it is a finding)."""
    if len(value) < 6:
        return value
    from libs.analysis.secrets import scan_text

    return REDACTED if scan_text(f"{name}={value}\n", path) else value


def script_commands(
    script: Any,
    *,
    step: str | None = None,
    env: dict[str, str] | None = None,
    directory: str | None = None,
    shell: str | None = None,
) -> list[CiCommand]:
    """One classified command per logical line of a script (a string or a list)."""
    found: list[CiCommand] = []
    for item in items(script):
        if not isinstance(item, str):
            continue
        for command, line in script_lines(str(item), line_of(item)):
            found.append(
                CiCommand(
                    run=command,
                    kind=classify(command),
                    line=line,
                    step=step,
                    directory=directory,
                    env=env or {},
                    shell=shell,
                )
            )
    return found


def image_of(value: Any) -> str | None:
    """An image given as a string or as `{name: ...}` / `{image: ...}`."""
    if isinstance(value, dict):
        return text(value.get("name")) or text(value.get("image"))
    return text(value)


def image_runtimes(images: Iterable[str], line: int | None, used: set[str]) -> list[CiRuntime]:
    """The runtimes job images provide: `python:3.12` is Python 3.12."""
    found: dict[str, list[str]] = {}
    for image in images:
        known = image_runtime(image)
        if known is not None and known[0] not in used:
            versions = found.setdefault(known[0], [])
            if known[1] not in versions:
                versions.append(known[1])
    used.update(found)
    return [
        CiRuntime(runtime=r, versions=tuple(v), source="image", line=line) for r, v in found.items()
    ]


# version files a setup step may read, and how to find the runtime's version in each
_TOOL_NAMES = {
    "python": ("python",),
    "node": ("nodejs", "node"),
    "go": ("golang", "go"),
    "java": ("java",),
    "ruby": ("ruby",),
    "php": ("php",),
    "elixir": ("elixir",),
    "otp": ("erlang",),
    "bun": ("bun",),
    "dotnet": ("dotnet", "dotnet-core"),
}


def versions_in_file(tree: Tree, path: str, runtime: str) -> list[str]:
    """The version(s) of `runtime` that the version file `path` asks for, as setup
    actions read it; empty when the file is missing or says nothing."""
    content = tree.read_text(path)
    if content is None:
        return []
    name = path.rsplit("/", 1)[-1]
    if name == ".tool-versions":
        for line in content.splitlines():
            parts = line.split("#", 1)[0].split()
            if len(parts) >= 2 and parts[0] in _TOOL_NAMES.get(runtime, (runtime,)):
                return [parts[1]]
        return []
    if name in ("go.mod", "go.work"):
        found = re.search(r"^go\s+(\S+)", content, re.M)
        return [found.group(1)] if found else []
    if name.endswith(".json"):
        return _json_version(content, runtime)
    if name == "pyproject.toml":
        import tomllib  # here: most scans never read a pyproject through a workflow

        try:
            data = tomllib.loads(content)
        except tomllib.TOMLDecodeError:
            return []
        spec = mapping(data.get("project")).get("requires-python")
        return [spec] if isinstance(spec, str) else []
    for line in content.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            return [line]
    return []


def _json_version(content: str, runtime: str) -> list[str]:
    try:
        data = json.loads(content)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    candidates = (
        mapping(data.get("sdk")).get("version"),  # global.json
        mapping(data.get("volta")).get(runtime),  # package.json, as setup-node reads it
        mapping(data.get("engines")).get(runtime),
    )
    return [c for c in candidates if isinstance(c, str)][:1]


def add_runtime(runtimes: list[CiRuntime], runtime: CiRuntime) -> None:
    """One entry per runtime in a job: a second setup of it adds its versions."""
    for index, known in enumerate(runtimes):
        if known.runtime == runtime.runtime:
            versions = tuple(dict.fromkeys(known.versions + runtime.versions))
            runtimes[index] = CiRuntime(
                runtime=known.runtime, versions=versions, source=known.source, line=known.line
            )
            return
    runtimes.append(runtime)


def branch_filters(branches: Any) -> list[CiTrigger]:
    """Travis and AppVeyor build pushes to the branches `only` allows (all without it)
    but those `except` names, and pull requests."""
    line = line_of(branches)
    push = CiTrigger(
        event="push",
        branches=tuple(texts(get(branches, "only"))),
        branches_ignore=tuple(texts(get(branches, "except"))),
        line=line,
    )
    return [push, CiTrigger(event="pull_request", line=line)]
