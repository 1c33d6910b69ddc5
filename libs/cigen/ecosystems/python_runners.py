"""The pytest arguments of the tox environment or nox session the repository's CI runs its
tests through, carried onto our own pytest step.

A job that runs bare `pytest` where the CI runs `tox -e py` or `nox -s test-3.12` runs
another suite: isort's tox environment runs `pytest tests/unit/ -s` (its integration
tests clone other repositories), urllib3's session runs `pytest ... test/`. What is
carried is what chooses and shows the tests (paths, `-m`, `-k`, `--ignore`, `-p no:NAME`,
configuration and output options); options of plugins our install may not bring (and
`-p NAME`, which loads one), and checks stricter than the suite's defaults (`-W error`,
`--strict-markers`), are left to the repository's own runner.
"""

from __future__ import annotations

import re
import shlex

from libs.analysis.report import Task
from libs.cigen.ecosystems.common import SECONDARY, Draft
from libs.cigen.ecosystems.shell import safe_command

# the CI line starts tox or nox (not one that installs it)
_RUNNER = re.compile(r"^(?!.*\binstall\b).*?(?:^|[\s/])(tox|nox)(?:\s|$)(.*)$")
# a pytest run inside a runner's command: `pytest`, `python -m pytest`, `coverage run -m
# pytest`; group 1 is what follows it
_PYTEST = re.compile(r"(?:^|\s)(?:-m\s+)?pytest(?:\s(.*))?$")
# nox names a session's run on one interpreter `NAME-3.12` (`test-pypy3.11`, `tests-3.14t`)
_NOX_PYTHON = re.compile(r"-(?:pypy)?\d[\d.]*t?$")
# tox's environments for the tests on an interpreter: `py`, `py311`, `py3.12`, `pypy3`
_TOX_PYTHON = re.compile(r"^(?:py|pypy)[\d.]*$")

# a CI line that only asks the runner something (`tox --version`, `nox --list`)
_ASKS = re.compile(r"^\s*(?:--version|--list|-l|--help|-h|--list-sessions)\s*$")
# arguments the CI line hands on to pytest itself, after `--`
_GIVEN = re.compile(r"(?:^|\s)--\s+\S")

# pytest's own options that take a value as the next word (or after `=`)
_VALUED = frozenset(
    {
        "-m", "-k", "-p", "-c", "-o", "--override-ini", "--rootdir", "--confcutdir",
        "--ignore", "--ignore-glob", "--deselect", "--import-mode", "--tb", "--durations",
        "--durations-min", "--color", "--maxfail", "-r",
    }
)  # fmt: skip
# of those, the ones whose value is a path: it must be one of the repository's
_PATH_VALUED = frozenset({"-c", "--rootdir", "--confcutdir", "--ignore", "--deselect"})
# pytest's own flags that change neither what runs nor whether it passes
_FLAGS = frozenset({"-s", "-v", "-vv", "-vvv", "-q", "-qq", "-l", "-x", "--showlocals"})
_SHORT_REPORT = re.compile(r"^-r[a-zA-Z]+$")
_CAPTURE = re.compile(r"^--capture=(?:no|sys|fd|tee-sys)$")
# plugins' options known to take a value: dropped with it (`-n auto`, `--cov src`)
_PLUGIN_VALUED = frozenset(
    {
        "-n", "--numprocesses", "--maxprocesses", "--dist", "--cov", "--cov-report",
        "--cov-config", "--cov-fail-under", "--timeout", "--timeout-method", "--reruns",
        "--reruns-delay", "--hypothesis-profile", "--hypothesis-seed", "--randomly-seed",
        "--junitxml", "--junit-xml", "--basetemp", "--benchmark-json", "--html",
        "--cov-context", "--splits", "--group",
    }
)  # fmt: skip
# a test path or node id: `tests/unit/`, `test_x.py::TestA::test_b`
_PATH = re.compile(r"^[\w.][\w./-]*(?:::[\w\[\]./:-]+)?$")


def runner_pytest_args(draft: Draft) -> str:
    """` ARGS` for our pytest step, as the CI's tox environments or nox sessions pass
    them (with a note), or "" where they run none, several different ones (packaging's
    `tests` and `property_tests` sessions), or one we cannot read word by word."""
    tasks: list[Task] = []
    for line in dict.fromkeys(run.strip() for run in draft.ci_here):
        found = _RUNNER.match(line)
        if found is None or _ASKS.match(found.group(2)):
            continue
        if _GIVEN.search(found.group(2)):
            return ""  # the CI passes pytest its own arguments (`tox -e py -- tests/unit`)
        tasks += [t for t in _tasks(draft, found.group(1), found.group(2)) if t not in tasks]
    runs = {m.group(1) or "" for t in tasks for c in t.commands if (m := _PYTEST.search(c))}
    # commands run in another folder (tox's changedir, `session.cd`): their paths are not ours
    if len(runs) != 1 or any(c.startswith("cd ") for t in tasks for c in t.commands):
        return ""
    words = _carried(runs.pop())
    args = " " + " ".join(_quoted(w) for w in words)
    if not words or not safe_command("pytest" + args):
        return ""
    task = next(t for t in tasks if any(_PYTEST.search(c) for c in t.commands))
    draft.notes.append(
        f"{draft.where()}: pytest runs with `{args.strip()}`, as the repository's CI runs "
        f"its tests through {task.runner} (`{task.run}`, {task.source})"
    )
    return args


def _tasks(draft: Draft, runner: str, rest: str) -> list[Task]:
    """The environments or sessions a CI line runs (`-e py,lint`, `-s test-3.12`); all of
    those for the tests where it names them through a variable or not at all."""
    # a secondary suite's environment (setuptools' `tox -e integration`) is not the tests'
    ours = [t for t in draft.sub.tasks if t.runner == runner and not SECONDARY.search(t.name)]
    named = _named(rest, runner)
    if named is None:
        return [t for t in ours if _for_tests(t.name, t.purpose, runner)]
    chosen: list[Task] = []
    for name in named:
        base = _NOX_PYTHON.sub("", name) if runner == "nox" else name
        for task in ours:
            if task.name in (name, base) or (
                runner == "tox" and name == "py" and _TOX_PYTHON.match(task.name)
            ):
                chosen.append(task)
    return chosen


def _for_tests(name: str, purpose: str | None, runner: str) -> bool:
    return purpose == "test" or (runner == "tox" and bool(_TOX_PYTHON.match(name)))


_NOX_NAMES = frozenset({"-e", "-s", "--session", "--sessions"})
_TOX_NAMES = frozenset({"-e", "--env"})


def _named(rest: str, runner: str) -> list[str] | None:
    """The names after `-e`/`-s` (comma or space separated), or None where there are none
    or one is computed (`"$NOX_SESSION"`, `${{ matrix.env }}`)."""
    try:
        words = shlex.split(rest)
    except ValueError:
        return None
    options = _NOX_NAMES if runner == "nox" else _TOX_NAMES
    names: list[str] = []
    taking = False
    for word in words:
        if word == "--":
            break
        if word.startswith("-"):
            key, eq, value = word.partition("=")
            taking = key in options and not eq
            if key in options and eq:
                names.extend(value.split(","))
            continue
        if taking:
            names.extend(word.split(","))
    names = [n for n in names if n]
    if not names or any("$" in n or "{" in n for n in names):
        return None
    return names


def _carried(text: str) -> list[str]:
    """The words of a runner's pytest arguments that our step keeps; [] where an option
    we do not know may have taken the next word as its value."""
    try:
        words = shlex.split(_computed(_posargs(text)))
    except ValueError:
        return []
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        if word == _COMPUTED:
            continue  # computed by the runner: empty unless some condition holds
        if _COMPUTED in word:
            return []  # part of a word: `{toxinidir}/tests`
        if not word.startswith("-"):
            if not _inside(word):
                return []
            kept.append(word)
            continue
        following = words[index] if index < len(words) else None
        taken = _option(word, following)
        if taken is None:
            return []
        kept += taken[0]
        index += taken[1]
    return kept


def _option(word: str, following: str | None) -> tuple[list[str], int] | None:
    """(the words kept, how many following words it took) for an option, or None where
    it is one we do not know and `following` may be its value."""
    key, eq, given = word.partition("=")
    value = following is not None and not following.startswith("-")
    if key in _VALUED:
        argument = given if eq else following
        if argument is None or _COMPUTED in argument:
            return None
        if key in _PATH_VALUED and not _inside(argument.partition("::")[0]):
            return None
        if key == "-p" and not argument.startswith("no:"):
            return [], 0 if eq else 1  # loads a plugin our install may not bring
        return ([word], 0) if eq else ([word, argument], 1)
    if word in _FLAGS or _SHORT_REPORT.match(word) or _CAPTURE.match(word):
        return [word], 0
    if key in _PLUGIN_VALUED:
        return [], 1 if not eq and value else 0  # its value goes with it
    return ([], 0) if eq or not value else None


def _inside(path: str) -> bool:
    """A relative path or node id that stays inside the folder (`tests/unit/`,
    `test_x.py::T::t`)."""
    return bool(_PATH.match(path)) and ".." not in path.partition("::")[0].split("/")


def _quoted(word: str) -> str:
    """A word as a `run:` line spells it: double quotes where it has spaces (`-m "not
    network"`); safe_command refuses what double quotes would still expand."""
    return word if re.fullmatch(r"[\w@%+=:,./\[\]-]+", word) else f'"{word}"'


_COMPUTED = "\0"


def _computed(text: str) -> str:
    """`text` with each `{...}` the runner computes (`{pytest_extra_args}`, nox's
    `{('--memray',) if memray else ()}`, tox's `{envtmpdir}`) as one marker character,
    braces nested inside it included."""
    out: list[str] = []
    depth = 0
    for char in text:
        if char == "{":
            if depth == 0:
                out.append(_COMPUTED)
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


_POSARGS = re.compile(r"\{posargs(?::([^}]*))?\}")


def _posargs(text: str) -> str:
    """`{posargs}` as nothing was given on the command line: its default where it has one
    (tox's `{posargs:tests}`, nox's `session.posargs or ("test/",)`)."""
    return _POSARGS.sub(lambda m: m.group(1) or "", text)
