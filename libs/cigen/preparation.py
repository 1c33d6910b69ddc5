"""What the repository's CI test job prepares for its tests, carried over as its steps.

djangoproject.com's CI creates two database roles and databases with `createuser` and
`psql` against its PostgreSQL service, loads Trac's schema from a file, and writes the
settings file its tests read (`../conf/secrets.json`) before it runs them; without them
every test that touches the database fails. A CI step is carried whole, with its name
and working directory, when every line of it is one of:

- a database client (`psql`, `createdb`, `createuser`, `mysql`...) talking to the local
  service our job provisions, with our service's user and password (`PGPASSWORD=postgres
  createdb -U postgres -h localhost app`), reading SQL from the command line or from a
  file of the repository;
- a file written from literal text or copied inside the checkout (`mkdir conf`, `cp
  .env.ci .env`, `echo '{"db_host": "localhost"}' > conf/secrets.json`).

Nothing that expands variables or runs other programs: the rest of a test job (its
installs, its tools) is ours to choose.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence

import msgspec

from libs.analysis.report import CiCommand, CiJob, Pipeline, Task
from libs.cigen.ecosystems.ownership import FAMILY, command_family
from libs.cigen.evidence import RUNTIMES, checks_changes, ci_folder, task_chain
from libs.cigen.services import Credentials

# a database's clients, by the service kind they talk to
_CLIENTS = {
    "psql": "postgres",
    "createdb": "postgres",
    "createuser": "postgres",
    "dropdb": "postgres",
    "dropuser": "postgres",
    "pg_restore": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mysqladmin": "mysql",
}
# the password variables a client reads, by kind
_PASSWORD_ENV = {"postgres": "PGPASSWORD", "mysql": "MYSQL_PWD"}
_LOCAL = ("localhost", "127.0.0.1")
_FILES = ("mkdir", "touch", "cp", "echo", "printf")
_PATH = re.compile(r"^(?!/)(?!.*(?:^|/)\.\.(?:/|$))[A-Za-z0-9_.@+/-]{1,200}$")
MAX_LINES = 40


class CarriedStep(msgspec.Struct, frozen=True, kw_only=True):
    """A step of the repository's CI test job, as our job runs it."""

    name: str
    lines: tuple[str, ...]
    directory: str | None  # None: the job's folder; "..": beside the checkout, as the CI's
    source: str  # the CI file


def ci_test_preparation(
    pipelines: Sequence[Pipeline],
    tasks: Sequence[Task],
    ecosystem: str,
    directory: str,
    databases: Mapping[str, Credentials],
) -> tuple[list[CarriedStep], list[str]]:
    """The preparing steps of the first CI job that runs this ecosystem's tests in this
    folder and prepares anything we can carry (one job's: a second `mkdir conf` fails),
    and the reasons steps that look like preparation were left (database clients with
    other credentials, or for a service our job does not run)."""
    family = FAMILY.get(ecosystem)
    # a workflow that checks changes first: a nightly one's job tests something else
    # (djangoproject.com's against Django's main branch)
    ordered = sorted(pipelines, key=lambda p: not checks_changes(p))
    for pipeline in ordered:
        for job in pipeline.jobs:
            first = None if job.foreign else _first_test(job, tasks, family, directory)
            if first is None:
                continue
            carried: list[CarriedStep] = []
            left: list[str] = []
            for name, where, lines in _steps(job.commands[:first]):
                place = _place(where, directory)
                why = _why_not(lines, databases)
                if place == "elsewhere" or why == "":
                    continue  # not preparation of ours: installs, tools, other folders
                if why is not None:
                    left.append(f"`{name}` ({pipeline.path}): {why}")
                    continue
                carried.append(
                    CarriedStep(
                        name=name,
                        lines=tuple(_grouped(lines)),
                        directory=None if place == "here" else "..",
                        source=pipeline.path,
                    )
                )
            if carried or left:
                return carried, left
    return [], []


def _first_test(
    job: CiJob, tasks: Sequence[Task], family: str | None, directory: str
) -> int | None:
    """The index of the job's first test command, where the job runs this family's tests
    in this folder; a task-runner command counts when the tasks it runs include tests
    (`make ci`: compilemessages, collectstatics, test)."""
    tested = [i for i, c in enumerate(job.commands) if _tests(c, tasks)]
    if family is None or not tested:
        return None
    if any(ci_folder(job.commands[i].directory) != directory for i in tested):
        return None
    runtimes = {r.runtime for r in job.runtimes}
    if runtimes:
        if not runtimes & set(RUNTIMES.get(family, ())):
            return None
    elif not any(command_family(job.commands[i].run, "") == family for i in tested):
        return None
    return tested[0]


def _tests(command: CiCommand, tasks: Sequence[Task]) -> bool:
    if command.kind == "test":
        return True
    task = next((t for t in tasks if t.run == command.run.strip()), None)
    return task is not None and any(t.purpose == "test" for t in task_chain(task, tasks))


def _steps(commands: Sequence[CiCommand]) -> list[tuple[str, str | None, list[str]]]:
    """The commands grouped back into their steps: (name, working directory, lines)."""
    steps: list[tuple[str, str | None, list[str]]] = []
    for command in commands:
        key = (command.step or "Prepare", command.directory)
        if steps and steps[-1][:2] == key:
            steps[-1][2].append(command.run.strip())
        else:
            steps.append((key[0], key[1], [command.run.strip()]))
    return steps


def _place(where: str | None, directory: str) -> str:
    """Where a CI step runs for our job: here (its folder), beside the checkout, elsewhere."""
    folder = ci_folder(where)
    if folder == directory:
        return "here"
    if folder == ".." and directory == ".":
        return "beside"
    return "elsewhere"


def _why_not(lines: Sequence[str], databases: Mapping[str, Credentials]) -> str | None:
    """None when every line is preparation we carry; "" when the step is something else
    (an install, a tool); else why the preparation it is cannot be carried."""
    if len(lines) > MAX_LINES:
        return ""
    reasons = [_line(line, databases) for line in lines]
    if "" in reasons or all(line.startswith("mkdir ") for line in lines):
        return ""  # (folders alone are for outputs: `mkdir build`, `mkdir coverage`)
    return next((r for r in reasons if r is not None), None)


def _line(line: str, databases: Mapping[str, Credentials]) -> str | None:
    """None: a line we carry; "": not preparation; else why it is not carried."""
    # no expansions; a backslash only escapes a quote inside quotes (`\"code.project\"`)
    if not line or len(line) > 500 or re.search(r"[$`]|\{\{|\\(?!\")", line):
        return ""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>()")
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return ""
    assignments: dict[str, str] = {}
    while tokens and re.match(r"^[A-Z_][A-Z0-9_]*=", tokens[0]):
        key, _, value = tokens.pop(0).partition("=")
        assignments[key] = value
    if not tokens:
        return ""
    if tokens[0] in _CLIENTS:
        return _client(tokens, assignments, databases)
    if assignments or tokens[0] not in _FILES:
        return ""
    return None if _file_line(tokens) else ""


def _client(
    tokens: list[str], assignments: dict[str, str], databases: Mapping[str, Credentials]
) -> str | None:
    """A database client line: carried when it talks to our local service as our user."""
    kind = _CLIENTS[tokens[0]]
    words = tokens
    if "<" in tokens:  # SQL from a repository file, read as the CI reads it
        at = tokens.index("<")
        words, rest = tokens[:at], tokens[at + 1 :]
        if len(rest) != 1 or not _PATH.match(rest[0]):
            return ""
    if any(
        t in ("|", "&", ";", ">", "(", ")", "<") or t.startswith((">", "|", "&")) for t in words
    ):
        return ""
    if set(assignments) - {_PASSWORD_ENV[kind]}:
        return ""
    options = _options(words[1:], kind)
    ours = databases.get(kind)
    if ours is None:
        return f"`{tokens[0]}` needs a {kind} service, which our job does not run"
    if options.get("host") not in _LOCAL or options.get("port", _PORTS[kind]) != _PORTS[kind]:
        return ""
    password = options.get("password", assignments.get(_PASSWORD_ENV[kind]))
    user = options.get("user")
    if (user is not None and user != ours.user) or (
        password is not None and password != ours.password
    ):
        return (
            f"`{tokens[0]}` signs in as the CI's service user, not ours "
            f"({ours.user}); our service would refuse it"
        )
    return None


_PORTS = {"postgres": "5432", "mysql": "3306"}
# client options with a value: (short, long) -> the name we check
_OPTIONS = {
    "postgres": {"-h": "host", "--host": "host", "-p": "port", "--port": "port",
                 "-U": "user", "--username": "user"},
    "mysql": {"-h": "host", "--host": "host", "-P": "port", "--port": "port",
              "-u": "user", "--user": "user"},
}  # fmt: skip


def _options(words: list[str], kind: str) -> dict[str, str]:
    """The host, port, user (and MySQL's inline password) a client line names."""
    found: dict[str, str] = {}
    known = _OPTIONS[kind]
    index = 0
    while index < len(words):
        word = words[index]
        index += 1
        name, _, value = word.partition("=")
        if word.startswith("--") and value and name in known:
            found[known[name]] = value
        elif word in known and index < len(words):
            found[known[word]] = words[index]
            index += 1
        elif kind == "mysql" and word.startswith("--password="):
            found["password"] = word.removeprefix("--password=")
        elif kind == "mysql" and re.match(r"^-p.", word):
            found["password"] = word[2:]
        elif len(word) > 2 and word[:2] in known and not word.startswith("--"):
            found[known[word[:2]]] = word[2:]  # `-uroot`, `-hlocalhost`
    return found


def _file_line(tokens: list[str]) -> bool:
    """`mkdir conf`, `touch a`, `cp a b`, `echo 'text' > a`, `printf 'text' >> a`."""
    program, rest = tokens[0], tokens[1:]
    if program in ("echo", "printf"):
        if len(rest) < 2 or rest[-2] not in (">", ">>") or not _PATH.match(rest[-1]):
            return False
        text = rest[:-2]
        return not any(t in ("|", "&", ";", "<", ">", "(", ")") for t in text)
    paths = [t for t in rest if not re.match(r"^-[A-Za-z]+$", t)]
    return bool(paths) and all(_PATH.match(p) for p in paths) and len(rest) <= 20


_REDIRECT = re.compile(r"^((?:echo|printf)\s.*?)\s*(>>?)\s*(\S+)$")


def _grouped(lines: Sequence[str]) -> list[str]:
    """Lines that write one file in turn (`echo a > f`, `echo b >> f`) as one redirect
    of a group, which is what they do and what shellcheck (SC2129) asks for."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        first = _REDIRECT.match(lines[index])
        run = [first] if first else []
        while first and index + len(run) < len(lines):
            more = _REDIRECT.match(lines[index + len(run)])
            if more is None or more.group(2) != ">>" or more.group(3) != first.group(3):
                break
            run.append(more)
        if first is None or len(run) < 2:
            out.append(lines[index])
            index += 1
            continue
        body = [f"  {m.group(1)}" for m in run]
        out += ["{", *body, f"}} {first.group(2)} {first.group(3)}"]
        index += len(run)
    return out
