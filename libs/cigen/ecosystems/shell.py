"""Which repository commands a `run:` step can carry as they are: plain shell that
shellcheck (run by actionlint on every generated workflow) reads without complaint."""

from __future__ import annotations

import re
import shlex

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_COMMAND = 300
_WORD = r"[A-Za-z0-9_./:=@%+,~^-]"
_ARGUMENT = re.compile(rf"""^(?!\+?=)(?:{_WORD}+|{_WORD}*"[^"$`\\!']*")$""")
_ASSIGNMENT = re.compile(rf"^[A-Za-z_][A-Za-z0-9_]*=(?!=){_WORD}+$")
# a closing double quote ends its word
_QUOTED = re.compile(r'"[^"]*"(?![^\s&|;])')
# gradlew, ./gradlew, vendor/bin/phpunit: a name shellcheck reads as a command
_COMMAND_NAME = re.compile(
    r"^(?:\.{1,2}/)?(?:[A-Za-z0-9_][A-Za-z0-9_.+@-]*/)*[A-Za-z0-9_][A-Za-z0-9_.+@-]*(?<![.@+-])$"
)
_OPERATORS = frozenset({"&&", "||", ";", "|"})
# the shell's reserved words, in any case: never a command of ours
_KEYWORDS = frozenset(
    "if then else elif fi case esac for select while until do done in function time coproc".split()
)


def safe_command(run: str) -> bool:
    """A command we can put in a `run:` step as it is: short, no expressions, and plain
    shell (words, quotes, `&&`, `||`, `;`, `|`) that shellcheck reads without complaint.
    Anything richer (variables, globs, subshells, redirections) stays in the repository's
    own scripts, which a job runs by name."""
    run = run.strip()
    return (
        0 < len(run) <= MAX_COMMAND
        and "${{" not in run
        and "{{" not in run
        and not _CONTROL.search(run)
        and _plain_shell(run)
    )


def _plain_shell(run: str) -> bool:
    if "'" in run or run.count('"') != 2 * len(_QUOTED.findall(run)):
        return False
    lexer = shlex.shlex(run, posix=False, punctuation_chars="&|;")
    lexer.whitespace_split = True
    lexer.commenters = ""  # `0#` is one word to the shell (shellcheck SC2288), no comment
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote
        return False
    expect = "command"  # what may come next: a command (or assignments before it), or args
    command = ""
    for token in tokens:
        if token in _OPERATORS:
            if expect != "args" or (command == "cd" and token != "&&"):
                return False  # an operator at the start, two in a row, or `cd x; y`
            expect = "command"
        elif expect != "args" and _ASSIGNMENT.match(token):
            expect = "command after assignment"
        elif expect != "args":
            if not _COMMAND_NAME.match(token) or token in ("source", "."):
                return False
            if token.lower() in _KEYWORDS:
                return False  # `then`, or `THEN`, which shellcheck takes for it (SC1081)
            command, expect = token, "args"
        elif not _ARGUMENT.match(token) or token.startswith("="):
            return False
    return (expect == "args" or tokens[-1:] == [";"]) and command != "cd"
