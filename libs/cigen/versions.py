"""Which runtime versions a job runs: the repository's exact pin, or a matrix over the
supported release series a declared range admits, or our default when nothing is declared.

Ranges are evaluated against release *series* ("3.12", "22"), not single versions, which
none of the version libraries models: `>=3.10.4` admits the 3.10 series, `<3.12.5`
admits 3.12. The series tables are dated; refresh them with the pin table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from libs.analysis.report import RuntimeVersion
from libs.cigen.tools import BUN

TABLES_AS_OF = "2026-11-27"

# golangci-lint releases run through `go run` (the Go checksum database vouches for the
# module): v1 for configurations without `version: "2"` (v2 refuses them; v1.64.8 is the
# last v1 release), v2 on GitLab (GitHub uses golangci-lint-action from the pin table).
# Refreshed by hand with the tables.
GOLANGCI_LINT = {"1": "v1.64.8", "2": "v2.5.0"}

# known: every series a declared range may select; supported: not end-of-life on the
# hosted runners (a range that admits several of these becomes a matrix).
KNOWN: dict[str, tuple[str, ...]] = {
    "python": ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"),
    "node": ("16", "18", "20", "22", "24"),
    "ruby": ("2.7", "3.0", "3.1", "3.2", "3.3", "3.4"),
    "php": ("7.4", "8.0", "8.1", "8.2", "8.3", "8.4"),
    "elixir": ("1.13", "1.14", "1.15", "1.16", "1.17", "1.18"),
    "java": ("8", "11", "17", "21", "25"),
}
SUPPORTED: dict[str, tuple[str, ...]] = {
    "python": ("3.11", "3.12", "3.13", "3.14"),
    "node": ("22", "24"),
    "ruby": ("3.3", "3.4"),
    "php": ("8.2", "8.3", "8.4"),
    "elixir": ("1.17", "1.18"),
    "java": ("17", "21", "25"),
}
DEFAULTS: dict[str, str] = {
    "python": "3.13",
    "node": "24",
    "go": "stable",
    "rust": "stable",
    "java": "21",
    "ruby": "3.4",
    "php": "8.4",
    "dotnet": "10.0.x",
    "elixir": "1.18",
    "otp": "27",
    "bun": BUN,  # pinned like every tool: "latest" changed under CI
    "dart": "stable",
    "flutter": "stable",
}
# The newest OTP release each Elixir series supports, for repositories that pin Elixir only.
OTP_FOR_ELIXIR = {
    "1.13": "25",
    "1.14": "25",
    "1.15": "26",
    "1.16": "26",
    "1.17": "27",
    "1.18": "27",
}

ALIASES = {"nodejs": "node", "golang": "go", "jdk": "java", "erlang": "otp", "erl": "otp"}

# Files whose only job is to pin a version win over ranges in manifests.
VERSION_FILES = {
    ".python-version",
    ".nvmrc",
    ".node-version",
    ".tool-versions",
    "mise.toml",
    ".mise.toml",
    ".ruby-version",
    "rust-toolchain",
    "rust-toolchain.toml",
    "global.json",
    ".java-version",
    ".sdkmanrc",
    ".go-version",
    ".php-version",
    ".swift-version",
    ".bun-version",
}

_SAFE = re.compile(r"^[A-Za-z0-9.*^~<>=|, /_+-]{1,64}$")
_EXACT = re.compile(r"^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.-]+)?$")
_ALIAS = re.compile(
    r"^(lts/[a-z*]+|latest|stable|beta|node|nightly(-\d{4}-\d{2}-\d{2})?"
    r"|pypy-?\d+(\.\d+)*|(j|truffle)?ruby(-\d+(\.\d+)*)?|go\d+(\.\d+)*)$"
)
_TERM = re.compile(r"^(>=|<=|~>|~=|==|!=|>|<|=|\^|~)?v?(\d+(?:\.(?:\d+|[x*]))*)(?:\.\*)?$")


@dataclass(frozen=True)
class Choice:
    """The versions a job runs for one runtime; more than one means a matrix."""

    runtime: str
    versions: tuple[str, ...]
    declared: RuntimeVersion | None
    note: str | None = None

    @property
    def is_matrix(self) -> bool:
        return len(self.versions) > 1


def canonical(runtime: str) -> str:
    name = runtime.strip().lower()
    return ALIASES.get(name, name)


def is_exact(version: str) -> bool:
    return bool(_EXACT.match(version) or _ALIAS.match(version))


def choose(runtime: str, declared: Sequence[RuntimeVersion]) -> Choice:
    """Pick the version(s) for `runtime` from what the repository declares."""
    mine = [d for d in declared if canonical(d.runtime) == runtime]
    unsafe = [d for d in mine if not _SAFE.match(d.version.strip())]
    usable = sorted((d for d in mine if d not in unsafe), key=_preference)
    rejected = (
        f"ignored {runtime} version(s) that are not version strings in "
        + ", ".join(sorted({d.source for d in unsafe}))
        if unsafe
        else None
    )
    for decl in usable:
        version = _first(decl)
        if is_exact(version):
            if runtime == "rust" and _is_msrv(decl) and version != "stable":
                return Choice(runtime, (version, "stable"), decl, rejected)
            return Choice(runtime, (_normalise(runtime, version),), decl, rejected)
    for decl in usable:
        picked = _expand(runtime, _first(decl))
        if picked:
            return Choice(runtime, picked, decl, rejected)
    default = DEFAULTS.get(runtime)
    if default is None:
        return Choice(runtime, (), None, rejected)
    if usable and runtime not in KNOWN:  # no release series to match a range against
        note = f"{usable[0].source} allows {runtime} {usable[0].version!r}; using {default}"
    elif usable:
        note = (
            f"the {runtime} range {usable[0].version!r} in {usable[0].source} matches no "
            f"known release; using {default}"
        )
    else:
        note = f"no {runtime} version is declared; using {default}"
    return Choice(runtime, (default,), None, note if rejected is None else f"{rejected}; {note}")


def _preference(decl: RuntimeVersion) -> tuple[bool, bool, bool]:
    """Version files first, then Go's `toolchain` line; Rust's MSRV (a minimum) last."""
    version_file = decl.source.rsplit("/", 1)[-1] in VERSION_FILES
    return (not version_file, decl.field != "toolchain", _is_msrv(decl))


def _is_msrv(decl: RuntimeVersion) -> bool:
    return bool(decl.field and decl.field.endswith("rust-version"))


def _first(decl: RuntimeVersion) -> str:
    """asdf and mise list several versions; the first is the one they activate."""
    version = decl.version.strip()
    if decl.source.rsplit("/", 1)[-1] in (".tool-versions", "mise.toml", ".mise.toml"):
        return re.split(r"[\s,]+", version)[0]
    return version


def _normalise(runtime: str, version: str) -> str:
    if runtime == "java" and re.match(r"^1\.\d+$", version):
        return version.removeprefix("1.")  # Java 8 was "1.8"
    if re.match(r"^(v|go)\d", version):
        return version.removeprefix("v").removeprefix("go")
    return version


def _expand(runtime: str, spec: str) -> tuple[str, ...]:
    alternatives = _parse(spec, runtime)
    if alternatives is None:
        return ()
    for table in (SUPPORTED, KNOWN):
        series = table.get(runtime, ())
        hits = tuple(s for s in series if any(_admits(alt, _nums(s)) for alt in alternatives))
        if hits:
            return hits
    return ()


Bound = tuple[str, tuple[int, ...]]


def _parse(spec: str, runtime: str) -> list[list[Bound]] | None:
    spec = re.sub(r"(>=|<=|~>|~=|==|!=|>|<|=|\^|~)\s+", r"\1", spec)
    alternatives: list[list[Bound]] = []
    for alternative in spec.split("||"):
        alternative = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1 <=\2", alternative.strip())
        bounds: list[Bound] = []
        for term in alternative.replace(",", " ").split():
            match = _TERM.match(term)
            if not match:
                return None
            op, raw = match.group(1) or "", match.group(2)
            parts = tuple(int(p) for p in raw.split(".") if p.isdigit())
            if not parts:
                continue
            bounds.extend(_bounds(op, parts, runtime))
        if bounds:
            alternatives.append(bounds)
    return alternatives or None


def _bounds(op: str, v: tuple[int, ...], runtime: str) -> list[Bound]:
    if op == "^":
        first = next((i for i, p in enumerate(v) if p), len(v) - 1)
        return [(">=", v), ("<", (*v[:first], v[first] + 1))]
    if op == "~" and runtime != "php":  # npm and poetry: allow patch changes only
        upper: tuple[int, ...] = (v[0] + 1,) if len(v) == 1 else (v[0], v[1] + 1)
        return [(">=", v), ("<", upper)]
    if op in ("~>", "~=", "~"):  # pessimistic: the last given part may grow
        limit: tuple[int, ...] = (v[0] + 1,) if len(v) == 1 else (*v[:-2], v[-2] + 1)
        return [(">=", v), ("<", limit)]
    if op in ("", "=", "=="):
        return [("prefix", v)]
    return [(op, v)]


def _pad(v: tuple[int, ...], n: int) -> tuple[int, ...]:
    return v + (0,) * (n - len(v))


def _admits(bounds: list[Bound], series: tuple[int, ...]) -> bool:
    return all(_admit(op, v, series) for op, v in bounds)


def _admit(op: str, v: tuple[int, ...], c: tuple[int, ...]) -> bool:
    n = max(len(v), len(c))
    if op == "prefix":
        k = min(len(v), len(c))
        return c[:k] == v[:k]
    if op in (">=", ">"):  # a series has versions above any bound at its own precision
        return c >= _pad(v[: len(c)], len(c))
    if op == "<":
        return _pad(c, n) < _pad(v, n)
    if op == "<=":
        return _pad(c, n) <= _pad(v, n)
    if op == "!=":
        return not (len(v) <= len(c) and c[: len(v)] == v)
    return False


def _nums(series: str) -> tuple[int, ...]:
    return tuple(int(p) for p in series.split("."))
