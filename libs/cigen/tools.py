"""Every tool a generated job installs, pinned: the version the repository declares where
it declares one exactly, else the vetted default here.

An unpinned install (`pipx install pdm`, `npm i -g pnpm`) takes whatever was released that
morning, and broke CI the day a dependency of one such tool released. These are the
newest releases on PyPI and npm on TOOLS_AS_OF, read with pip and npm; refresh them with
the runtime tables in versions.py (and review the golden files).
"""

from __future__ import annotations

import re

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

TOOLS_AS_OF = "2026-12-06"

# PyPI
PYTHON: dict[str, str] = {
    "pip": "26.3",
    "pytest": "9.2.0",
    "ruff": "0.17.6",
    "mypy": "2.4.1",
    "black": "26.10.1",
    "isort": "9.0.2",
    "flake8": "7.5.0",
    "pyright": "1.1.414",
    "basedpyright": "1.40.2",
    "pre-commit": "4.7.0",
    "prek": "0.5.11",
    "poetry": "2.5.1",
    "pdm": "2.29.4",
    "pipenv": "2026.10.3",
    "hatch": "1.18.2",
    "uv": "0.13.9",
    "poethepoet": "0.49.0",
    "tox": "4.67.17",
    "nox": "2026.10.20",
}
# Dependencies of a package manager installed with pip that broke it when they released
# after it, pinned beside it: pdm 2.29.4 fails on hishel 2.0.0 (`module 'hishel' has no
# attribute 'SyncSqliteStorage'`).
WITH: dict[str, tuple[str, ...]] = {"pdm": ("hishel==1.4.0",)}
# npm: Bun (installed through setup-bun, or npm on GitLab), and pnpm per major, for
# lockfiles a newer pnpm would refuse to read
BUN = "1.4.5"
PNPM: dict[str, str] = {
    "6": "6.35.1",
    "7": "7.33.7",
    "8": "8.15.9",
    "9": "9.15.9",
    "10": "10.34.9",
    "11": "11.29.0",
    "12": "12.25.1",
}
PNPM_DEFAULT = "10"
# shivammathur/setup-php `tools:`; Packagist is not reachable from here to read it, so this
# is the 2.8 line setup-php resolves, checked by hand with the other tables
COMPOSER = "2.8.12"

# Maven Central and GitHub are not reachable from here either: sbt's launcher and the
# Coursier CLI that installs it, at releases checked by hand
SBT = "1.10.11"
COURSIER = "v2.1.24"

_EXACT = re.compile(r"^==\s*([0-9][0-9A-Za-z.+!-]*)$")


def python_tool(name: str, declared: str | None = None) -> str:
    """A pip requirement pinned to one version: the exact version the project declares,
    else our default when it satisfies the declared range, else the range's lowest
    admitted release (`>=24.1` -> `==24.1`). KeyError for a tool the table lacks."""
    spec = (declared or "").replace(" ", "")
    exact = _EXACT.match(spec)
    if exact:
        return f"{name}=={exact.group(1)}"
    default = PYTHON.get(name)
    if default is not None and _admits(spec, default):
        return f"{name}=={default}"
    floor = _floor(spec)
    if floor is not None:
        return f"{name}=={floor}"
    return pinned(name)  # a range with no lower bound we can name: ours, still pinned


def manager(name: str, version: str | None = None) -> str:
    """The pip requirements that install a package manager: it, pinned, and the
    dependencies of its that are pinned beside it (WITH)."""
    return " ".join((f"{name}=={version or PYTHON[name]}", *WITH.get(name, ())))


def pinned(name: str) -> str:
    """`name==version` from the table (for tools the repository does not declare)."""
    return f"{name}=={PYTHON[name]}"


def _admits(spec: str, version: str) -> bool:
    if not spec:
        return True
    try:
        return SpecifierSet(spec).contains(Version(version), prereleases=False)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _floor(spec: str) -> str | None:
    """The lower bound of a `>=X` (or `~=X`) range, when X itself is admitted."""
    for clause in spec.split(","):
        match = re.match(r"^(>=|~=)\s*([0-9][0-9A-Za-z.]*)$", clause)
        if match and _admits(spec, match.group(2)):
            return match.group(2)
    return None


def names_one_release(version: str) -> bool:
    """Whether a version as a workflow writes it names one release (`1.2.3`, `v1.2.3`,
    `1.2.3-rc1`), not a line, a range or a matrix expression: what the policy validator
    counts as pinned (validate/installs.py)."""
    return re.match(r"^v?\d+\.\d+\.\d+", version) is not None
