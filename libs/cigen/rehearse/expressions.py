"""GitHub Actions expressions (`${{ ... }}`): a parser and evaluator for the language as
GitHub documents it (literals, contexts, `. [] ! < <= > >= == != && ||`, the object
filter `*`, and the functions contains, startsWith, endsWith, format, join, toJSON,
fromJSON, hashFiles, success, failure, always, cancelled).

What the rehearsal cannot know (secrets, repository variables, most of the event
payload) is an `Unknown` value in the contexts: reading it raises `Unevaluable` with the
reason, so a step that needs it is reported "not rehearsed", never run with a guess.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Value = Any  # None, bool, float, str, list, dict (JSON values), or Unknown / Partial


class ExpressionError(ValueError):
    """The expression is not valid in the language (the workflow itself is wrong)."""


class Unevaluable(Exception):
    """The expression is valid but needs a value the rehearsal does not have."""


@dataclass(frozen=True)
class Unknown:
    """A value the rehearsal cannot know; `why` ends up in the report."""

    why: str


@dataclass(frozen=True)
class Partial:
    """An object whose listed keys are known and every other key is not (the event
    payload of a pretend push: `pull_request` is null on a push, `head_commit` unknown)."""

    known: Mapping[str, Value]
    why: str


@dataclass
class Functions:
    """What the context-dependent functions need: the job's state so far, and hashFiles."""

    failed: bool = False  # an earlier step of this job failed (or a needed job did)
    hash_files: Callable[[list[str]], str] | None = None
    used_status: list[str] = field(default_factory=list)


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>0x[0-9a-fA-F]+|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<op>&&|\|\||==|!=|<=|>=|[!<>()\[\].,*])
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.X,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected {text[pos : pos + 10]!r} in expression {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    """Recursive descent; precedence from loosest: ||, &&, == !=, < <= > >=, !, postfix."""

    def __init__(self, text: str, contexts: Mapping[str, Value], functions: Functions) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.contexts = contexts
        self.functions = functions

    def parse(self) -> Value:
        if not self.tokens:
            raise ExpressionError("empty expression")
        value = self._or()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.pos][1]!r} in {self.text!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise ExpressionError(f"unexpected end of expression {self.text!r}")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            raise ExpressionError(f"expected {expected!r}, found {token[1]!r} in {self.text!r}")
        self.pos += 1
        return token

    # `a || b` and `a && b` short-circuit: an unknown right-hand side makes the whole
    # expression unknown only when its value is used (`always() || secrets.X` is true).
    def _or(self) -> Value:
        left = self._and()
        while self._peek() == "||":
            self._take()
            right = self._lazy(self._and)
            left = left if truthy(left) else right()
        return left

    def _and(self) -> Value:
        left = self._equality()
        while self._peek() == "&&":
            self._take()
            right = self._lazy(self._equality)
            left = right() if truthy(left) else left
        return left

    def _lazy(self, parse: Callable[[], Value]) -> Callable[[], Value]:
        """Parse the operand now; raise its Unevaluable only if its value is used."""
        start = self.pos
        try:
            value = parse()
        except Unevaluable as exc:
            self._skip_operand(start)
            error = exc

            def fail() -> Value:
                raise error

            return fail
        return lambda: value

    def _skip_operand(self, start: int) -> None:
        # An Unevaluable stopped the parser mid-operand: from the operand's start, move to
        # the first `&&`, `||`, `,` or closing bracket outside the operand's own brackets.
        depth = 0
        self.pos = start
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos][1]
            if token in "([":
                depth += 1
            elif token in ")]":
                if depth == 0:
                    return
                depth -= 1
            elif depth == 0 and token in ("&&", "||", ","):
                return
            self.pos += 1

    def _equality(self) -> Value:
        left = self._comparison()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._comparison()
            same = equal(left, right)
            left = same if op == "==" else not same
        return left

    def _comparison(self) -> Value:
        left = self._unary()
        while self._peek() in ("<", "<=", ">", ">="):
            op = self._take()[1]
            right = self._unary()
            left = compare(left, right, op)
        return left

    def _unary(self) -> Value:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._postfix()

    def _postfix(self) -> Value:
        value = self._primary()
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                kind, name = self._take()
                if name == "*":
                    value = _filter(value)
                elif kind != "name":
                    raise ExpressionError(f"expected a property name after '.' in {self.text!r}")
                else:
                    value = _index(value, name)
            else:
                key = self._or()
                self._take("]")
                value = _index(value, key)
        return value

    def _primary(self) -> Value:
        kind, text = self._take()
        if kind == "number":
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise ExpressionError(f"unexpected {text!r} in {self.text!r}")
        if text in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[text]
        if self._peek() == "(":
            return self._call(text)
        for name, value in self.contexts.items():
            if name.lower() == text.lower():
                return _reveal(value)
        raise ExpressionError(f"unknown context {text!r} in {self.text!r}")

    def _call(self, name: str) -> Value:
        self._take("(")
        args: list[Value] = []
        while self._peek() != ")":
            args.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        return call(name, args, self.functions)


def _reveal(value: Value) -> Value:
    if isinstance(value, Unknown):
        raise Unevaluable(value.why)
    return value


class _Filtered(list[Value]):
    """The result of `.*`: a property read after it applies to every element."""


def _index(value: Value, key: Value) -> Value:
    if isinstance(value, _Filtered):
        return _Filtered(item for item in (_index(v, key) for v in value) if item is not None)
    if isinstance(value, Partial):
        found = _lookup(value.known, key)
        if found is None:
            raise Unevaluable(value.why)
        return _reveal(found[0])
    if isinstance(value, dict):
        found = _lookup(value, key)
        return _reveal(found[0]) if found is not None else None
    if isinstance(value, list):
        if isinstance(key, float) and key.is_integer() and 0 <= key < len(value):
            return _reveal(value[int(key)])
    return None


def _lookup(mapping: Mapping[str, Value], key: Value) -> tuple[Value] | None:
    """(value,) for a key, matched exactly first and then ignoring case; None if absent."""
    if not isinstance(key, str):
        return None
    if key in mapping:
        return (mapping[key],)
    for name, item in mapping.items():
        if name.lower() == key.lower():
            return (item,)
    return None


def _filter(value: Value) -> list[Value]:
    if isinstance(value, Partial):
        raise Unevaluable(value.why)
    if isinstance(value, dict):
        return _Filtered(_reveal(item) for item in value.values())
    if isinstance(value, list):
        return _Filtered(_reveal(item) for item in value)
    return _Filtered()


def truthy(value: Value) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, float | int):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


def _number(value: Value) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float | int):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def equal(left: Value, right: Value) -> bool:
    """GitHub's loose equality: strings case-insensitively, other mixed types as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        return left is right
    if type(left) is type(right) and not isinstance(left, float):
        return bool(left == right)
    return _number(left) == _number(right)


def compare(left: Value, right: Value, op: str) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a: Any = left.casefold()
        b: Any = right.casefold()
    else:
        a, b = _number(left), _number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def to_string(value: Value) -> str:
    """How a value reads where it is interpolated into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | int):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2)


def call(name: str, args: list[Value], functions: Functions) -> Value:
    lowered = name.lower()
    if lowered in ("success", "failure", "always", "cancelled"):
        functions.used_status.append(lowered)
        return {
            "success": not functions.failed,
            "failure": functions.failed,
            "always": True,
            "cancelled": False,
        }[lowered]
    if lowered == "hashfiles":
        if functions.hash_files is None:
            raise Unevaluable("hashFiles() outside a job's workspace")
        return functions.hash_files([to_string(a) for a in args])
    function = _PURE.get(lowered)
    if function is None:
        raise ExpressionError(f"unknown function {name}()")
    return function(name, args)


def _contains(name: str, args: list[Value]) -> Value:
    haystack, needle = _args(name, args, 2)
    if isinstance(haystack, list):
        return any(equal(item, needle) for item in haystack)
    return to_string(needle).casefold() in to_string(haystack).casefold()


def _affix(name: str, args: list[Value]) -> Value:
    text, part = (to_string(a).casefold() for a in _args(name, args, 2))
    return text.startswith(part) if name.lower() == "startswith" else text.endswith(part)


def _format_call(name: str, args: list[Value]) -> Value:
    if not args:
        raise ExpressionError("format() needs a format string")
    return _format(to_string(args[0]), [to_string(a) for a in args[1:]])


def _join(name: str, args: list[Value]) -> Value:
    items = args[0] if args else None
    separator = to_string(args[1]) if len(args) > 1 else ","
    if isinstance(items, list):
        return separator.join(to_string(item) for item in items)
    return to_string(items)


def _from_json_call(name: str, args: list[Value]) -> Value:
    try:
        return _from_json(json.loads(to_string(_args(name, args, 1)[0])))
    except json.JSONDecodeError as exc:
        raise ExpressionError(f"fromJSON: not JSON: {exc}") from exc


_PURE: dict[str, Callable[[str, list[Value]], Value]] = {
    "contains": _contains,
    "startswith": _affix,
    "endswith": _affix,
    "format": _format_call,
    "join": _join,
    "tojson": lambda name, args: json.dumps(_args(name, args, 1)[0], indent=2),
    "fromjson": _from_json_call,
}


def _args(name: str, args: list[Value], count: int) -> list[Value]:
    if len(args) != count:
        raise ExpressionError(f"{name}() takes {count} argument(s), got {len(args)}")
    return args


def _from_json(value: Any) -> Value:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _from_json(item) for key, item in value.items()}
    return value


def _format(template: str, values: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        index = int(match.group(1))
        if index >= len(values):
            raise ExpressionError(f"format(): no argument {{{index}}}")
        return values[index]

    return re.sub(r"\{\{|\}\}|\{(\d+)\}", replace, template)


def evaluate(text: str, contexts: Mapping[str, Value], functions: Functions | None = None) -> Value:
    """The value of one expression (without its `${{ }}`)."""
    return _Parser(text, contexts, functions or Functions()).parse()


def _closing(text: str, start: int) -> int:
    """Index of the `}}` that closes the expression starting at `start`, outside strings."""
    pos = start
    while pos < len(text):
        char = text[pos]
        if char == "'":
            end = text.find("'", pos + 1)
            while end != -1 and text[end + 1 : end + 2] == "'":
                end = text.find("'", end + 2)
            if end == -1:
                break
            pos = end + 1
            continue
        if text.startswith("}}", pos):
            return pos
        pos += 1
    raise ExpressionError(f"unclosed '${{{{' in {text[:80]!r}")


def interpolate(
    text: str, contexts: Mapping[str, Value], functions: Functions | None = None
) -> str:
    """`text` with every `${{ expression }}` replaced by its value as a string."""
    if "${{" not in text:
        return text
    out: list[str] = []
    pos = 0
    while (start := text.find("${{", pos)) != -1:
        end = _closing(text, start + 3)
        out.append(text[pos:start])
        out.append(to_string(evaluate(text[start + 3 : end], contexts, functions)))
        pos = end + 2
    out.append(text[pos:])
    return "".join(out)


def resolve(
    value: Value, contexts: Mapping[str, Value], functions: Functions | None = None
) -> Value:
    """A YAML value with its expressions evaluated: a string that is one whole
    `${{ expression }}` keeps the expression's type (a matrix list stays a list)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("${{") and stripped.endswith("}}"):
            try:
                if _closing(stripped, 3) == len(stripped) - 2:
                    return evaluate(stripped[3:-2], contexts, functions)
            except ExpressionError:
                pass
        return interpolate(value, contexts, functions)
    if isinstance(value, list):
        return [resolve(item, contexts, functions) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, contexts, functions) for key, item in value.items()}
    return value


def condition(text: Any, contexts: Mapping[str, Value], functions: Functions) -> bool:
    """An `if:` value: without a status function it implies `success() && (...)`."""
    if text is None:
        return not functions.failed
    if isinstance(text, bool):
        return text and not functions.failed
    if isinstance(text, int | float):
        return truthy(float(text)) and not functions.failed
    body = text.strip()
    if body.startswith("${{") and body.endswith("}}"):
        body = body[3:-2]
    mentions_status = re.search(r"\b(success|failure|always|cancelled)\s*\(", body, re.I)
    if not mentions_status and functions.failed:
        return False
    return truthy(evaluate(body, contexts, functions))
