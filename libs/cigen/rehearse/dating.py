"""`--as-of`: package managers resolve as of a date, not today.

A checkout at a months-old commit that declares its dependencies unpinned, with no
lockfile, gets today's releases in a rehearsal, where its own CI at that commit got the
releases of its day. Each package manager that has a supported way to resolve as of a
date is given it through the step's environment; every step says which tools it names
were dated and which were not (and why), so a dated rehearsal never passes for a plain one.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The first pip with --uploaded-prior-to is 26.0; 26.0.1 is the newest that still runs
# on Python 3.9 (26.1 needs 3.10).
DATING_PIP = "26.0.1"
DATING_PIP_PYTHON = (3, 9)
_PIP_MIN = (26, 0)

# The tools a step may resolve packages with, as they appear in a script.
_TOOLS = {
    "pip": r"(?<![\w.-])(?<!uv )(pip3?(\.\d+)?|-m\s+pip)(?![\w-])",  # not `uv pip`
    "uv": r"(?<![\w.-])uvx?(?![\w.-])",
    "npm": r"(?<![\w.-])(npm|npx)(?![\w.-])",
    "pnpm": r"(?<![\w.-])pnpm(?![\w.-])",
    "yarn": r"(?<![\w.-])yarn(?![\w.-])",
    "bun": r"(?<![\w.-])bunx?(?![\w.-])",
    "poetry": r"(?<![\w.-])poetry(?![\w.-])",
    "pdm": r"(?<![\w.-])pdm(?![\w.-])",
    "pipx": r"(?<![\w.-])pipx(?![\w.-])",
    "pre-commit": r"(?<![\w.-])pre-commit(?![\w.-])",
    "tox": r"(?<![\w.-])tox(?![\w.-])",
    "nox": r"(?<![\w.-])nox(?![\w.-])",
    "hatch": r"(?<![\w.-])hatch(?![\w.-])",
}
# Tools whose dating needs a version: (first version with it, the mechanism). pnpm, Yarn
# and Bun have no as-of option, only a minimum age of a release counted from now: the
# rehearsal sets it to now minus the as-of date at each step's start.
_GATES = {
    "pip": ((26, 0), "PIP_UPLOADED_PRIOR_TO"),
    "pnpm": ((10, 16), "minimum-release-age in ~/.config/pnpm/rc, minutes before the step"),
    "yarn": ((4, 10), "YARN_NPM_MINIMAL_AGE_GATE, minutes before the step"),
    "bun": ((1, 3), "minimumReleaseAge in ~/.bunfig.toml, seconds before the step"),
}
_GATE_NAMES = {
    "pip": "--uploaded-prior-to",
    "pnpm": "minimumReleaseAge",
    "yarn": "npmMinimalAgeGate",
    "bun": "minimumReleaseAge",
}
# Tools the rehearsal gives no date.
_UNDATED = {
    "poetry": "poetry resolves with its own resolver, which has no such option",
    "pdm": "the rehearsal sets no date for pdm",
    "pipx": "pipx installs with its own shared pip, not dated by the rehearsal",
    "pre-commit": "pre-commit installs hooks with the pip virtualenv seeds, not dated",
    "tox": "tox installs with the pip virtualenv seeds, not dated",
    "nox": "nox installs with the pip virtualenv seeds (or uv, dated), not checked",
    "hatch": "hatch installs with uv (dated) or pip, not checked",
}
# npm 7 and later; npm 6 (Node.js 14's) says "with an Enjoy By date of"
_NPM_UNDATED = re.compile(
    r"No matching version found for (\S+) with (?:a date before|an Enjoy By date of)"
)


class BadDate(ValueError):
    """--as-of names neither a date nor `commit`, or `commit` on a directory without one."""


@dataclass(frozen=True)
class AsOf:
    moment: datetime  # UTC
    origin: str  # where the date came from, for the report

    @property
    def iso(self) -> str:
        return self.moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def label(self) -> str:
        return f"{self.iso} ({self.origin})"


def parse(text: str, commit_date: str | None, sha: str) -> AsOf:
    """An ISO date or date-time (UTC unless it says otherwise), or `commit`: the
    checkout's HEAD committer date."""
    if text.strip().lower() == "commit":
        if not commit_date:
            raise BadDate("--as-of commit: the checkout is not a git repository with a commit")
        return AsOf(_utc(datetime.fromisoformat(commit_date)), f"committer date of {sha[:12]}")
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadDate(
            f"--as-of {text!r}: not an ISO date (2025-06-01 or 2025-06-01T00:00:00Z) nor `commit`"
        ) from None
    return AsOf(_utc(moment), "given")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass
class StepDating:
    env: dict[str, str]  # what the step's environment gets (files: write_age_gates)
    note: str  # per tool named in the script: dated or not, and why
    # exact pins a dated pip install names beside other requirements (`-e . pytest==9.2.0`):
    # installed undated before the step, since pip has no per-package exemption and a
    # date before their release would refuse them
    first: list[str] = field(default_factory=list)


def for_step(
    as_of: AsOf,
    script: str,
    cwd: Path,
    workspace: Path,
    env: dict[str, str],
    own: dict[str, str] | None = None,
    run_as: dict[str, Any] | None = None,
) -> StepDating:
    """The dating variables for one step and what the report says about them.

    The variables go to every step (a tool a script does not name may still resolve:
    `make install` running pip); the note speaks of the tools the script names. `own`:
    the workflow's own env; a date it sets wins, a cooldown it sets (`P2D`: uploaded two
    days before now) is taken back from the as-of date, as its CI applied it then.
    """
    pins = pinned_installs(script)
    if pins:
        return _pinned_step(pins, own or {})
    wanted = {"PIP_UPLOADED_PRIOR_TO": as_of.iso, "npm_config_before": as_of.iso}
    lock = _uv_lock(cwd, workspace)
    if lock is None:
        wanted["UV_EXCLUDE_NEWER"] = as_of.iso
    added: dict[str, str] = {}
    rebased = []
    for key, value in wanted.items():
        theirs = (own or {}).get(key)
        before = _duration(theirs) if theirs is not None else None
        if theirs is None:
            added[key] = value
        elif before is not None:
            added[key] = (as_of.moment - before).strftime("%Y-%m-%dT%H:%M:%SZ")
            rebased.append(f"the workflow's {key}={theirs} counted back from the as-of date")
    named = [tool for tool, pattern in _TOOLS.items() if re.search(pattern, script)]
    notes = []
    gate = str(age_gate(as_of, 60))
    first = pip_pins_beside_others(script) if "PIP_UPLOADED_PRIOR_TO" in added else []
    if first:
        notes.append(f"exact pins installed undated first ({', '.join(first)})")
    for tool in named:
        if tool in _GATES:
            note = _gate_note(tool, script, cwd, env | added, run_as or {})
            notes.append(note)
            # Yarn reads it from the environment, and a Yarn older than 4.10 refuses a
            # setting it does not know ("Unrecognized or legacy configuration settings")
            if (
                tool == "yarn"
                and " dated (" in note
                and "YARN_NPM_MINIMAL_AGE_GATE" not in (own or {})
            ):
                added["YARN_NPM_MINIMAL_AGE_GATE"] = gate
        elif tool == "uv":
            notes.append(
                f"uv not dated: {lock.relative_to(workspace)} pins its resolution (a date "
                "would make `uv sync --locked` refuse the lock)"
                if lock is not None
                else "uv dated (UV_EXCLUDE_NEWER)"
            )
        elif tool == "npm":
            notes.append("npm dated (npm_config_before)")
        else:
            notes.append(f"{tool} not dated: {_UNDATED[tool]}")
    return StepDating(added, "; ".join(notes + (rebased if notes else [])), first)


# An install command, and an exact pin among its arguments.
_INSTALL = re.compile(
    r"(?:\bpip3?|-m\s+pip|\buv\s+pip|\buv\s+tool|\bpipx)\s+install\s+(?P<py>[^\n;&|]*)"
    r"|\bnpm\s+(?:install|i|add)\s+(?=[^\n;&|]*(?:-g|--global)\b)(?P<npm>[^\n;&|]*)"
)
_PY_PIN = re.compile(r"[A-Za-z0-9][\w.-]*(\[[\w,.-]+\])?==[\w.+!-]+")
_NPM_PIN = re.compile(r"(@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.+-]*")
_FLAG_ARGUMENT = re.compile(r"-(r|c|e|-requirement|-constraint|-editable|-group)$")


def _installs(script: str) -> Iterator[tuple[re.Match[str], list[str], list[str]]]:
    """Each install command in a script, its words and the words that name a package."""
    for found in _INSTALL.finditer(script):
        words = (found.group("py") or found.group("npm") or "").split()
        yield found, words, [w.strip("'\"") for w in words if not w.startswith("-")]


def pinned_installs(script: str) -> list[str]:
    """The exact pins a script installs when every install in it names only exact pins
    (`pip install pip==26.3`, `npm install -g pnpm@10.34.9`: the tools our workflows pin),
    else []. Those resolve the same on any date; a date before their release refuses them.
    """
    pins: list[str] = []
    for found, words, named in _installs(script):
        if any(_FLAG_ARGUMENT.match(word) for word in words):
            return []
        pattern = _PY_PIN if found.group("py") is not None else _NPM_PIN
        if not named or not all(pattern.fullmatch(w) for w in named):
            return []
        pins += named
    return pins


def pip_pins_beside_others(script: str) -> list[str]:
    """The exact pins of pip installs that also name something else (the package, a
    requirements file): `python -m pip install -e . pytest==9.2.0` -> [pytest==9.2.0]."""
    pins: list[str] = []
    for found, _, named in _installs(script):
        if found.group("py") is None or re.match(r"\s*(uv|pipx)\b", found.group(0)):
            continue
        exact = [w for w in named if _PY_PIN.fullmatch(w)]
        if exact and len(exact) < len(named):
            pins += exact
    return pins


def _pinned_step(pins: list[str], own: dict[str, str]) -> StepDating:
    """A step of exact pins runs undated; a cooldown of the workflow's own (`P2D`) is
    made a date counted from now, which every pip that can date reads."""
    now = datetime.now(UTC)
    env = {}
    for key in ("PIP_UPLOADED_PRIOR_TO", "UV_EXCLUDE_NEWER"):
        span = _duration(own[key]) if key in own else None
        if span is not None:
            env[key] = (now - span).strftime("%Y-%m-%dT%H:%M:%SZ")
    return StepDating(
        env,
        f"not dated: it installs exact pins only ({', '.join(pins)}), the same on any "
        "date (a date before their release would refuse them)",
    )


_ISO_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?"
    r"(?:(?P<seconds>\d+)S)?)?"
)
_FRIENDLY = re.compile(r"(\d+)\s*(week|day|hour|minute|second)s?")


def _duration(value: str) -> timedelta | None:
    """A cooldown (`P2D`, `PT12H`, uv's `7 days`) as a span, or None for a date."""
    text = value.strip()
    iso = _ISO_DURATION.fullmatch(text.upper())
    if iso and text.upper() != "P":
        return timedelta(**{k: int(v) for k, v in iso.groupdict().items() if v})
    friendly = _FRIENDLY.fullmatch(text.lower())
    if friendly:
        return timedelta(**{friendly.group(2) + "s": int(friendly.group(1))})
    return None


def _uv_lock(cwd: Path, workspace: Path) -> Path | None:
    for directory in [cwd, *cwd.parents]:
        if (directory / "uv.lock").is_file():
            return directory / "uv.lock"
        if directory == workspace or not directory.is_relative_to(workspace):
            break
    return None


def age_gate(as_of: AsOf, unit: int) -> int:
    """Now minus the as-of date in `unit` seconds, rounded up: a minimum release age that
    admits what was published by the as-of date (and, during the step, nothing newer
    than the step's own minutes)."""
    return -(-int((datetime.now(UTC) - as_of.moment).total_seconds()) // unit)


def write_age_gates(as_of: AsOf, home: Path) -> None:
    """pnpm's and Bun's minimum release ages in the job's home (the user-level files each
    reads: a repository's own setting still wins), counted from now."""
    pnpm = home / ".config" / "pnpm" / "rc"
    pnpm.parent.mkdir(parents=True, exist_ok=True)
    pnpm.write_text(f"minimum-release-age={age_gate(as_of, 60)}\n")
    (home / ".bunfig.toml").write_text(f"[install]\nminimumReleaseAge = {age_gate(as_of, 1)}\n")


def _gate_note(
    tool: str, script: str, cwd: Path, env: dict[str, str], run_as: dict[str, Any]
) -> str:
    """Whether the version of `tool` the step would run has its dating mechanism (asked
    as the step's user: npm, run as root, would leave root-owned logs in its cache)."""
    command = [tool]
    if tool == "pip" and re.search(r"-m\s+pip\b", script):
        command = ["python", "-m", "pip"]
    try:
        done = subprocess.run(
            [*command, "--version"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            **run_as,
        )
    except (OSError, subprocess.TimeoutExpired):
        done = None
    found = re.search(r"(\d+)\.(\d+)[\w.+-]*", done.stdout) if done else None
    if found is None:
        return f"{tool}: its version could not be read, so whether it was dated is unknown"
    first, how = _GATES[tool]
    if (int(found.group(1)), int(found.group(2))) >= first:
        return f"{tool} {found.group(0)} dated ({how})"
    since = ".".join(map(str, first))
    return f"{tool} {found.group(0)} NOT dated: {_GATE_NAMES[tool]} needs {tool} {since}"


def undated_failure(output: str, as_of: AsOf) -> str | None:
    """Why a failed step's failure comes from dating, not from the workflow: npm found no
    version of a package dated before the as-of date. The npm registry reachable here
    records for some old releases the day it took them in, not their publication."""
    found = _NPM_UNDATED.search(output)
    if found is None:
        return None
    return (
        f"the npm registry reachable here dates no version of {found.group(1)} before "
        f"{as_of.iso} (it records, for some old releases, when it took them in)"
    )
