"""The expression language as GitHub documents it, and what a rehearsal cannot know."""

from __future__ import annotations

from typing import Any

import pytest

from libs.cigen.rehearse.expressions import (
    ExpressionError,
    Functions,
    Partial,
    Unevaluable,
    Unknown,
    condition,
    evaluate,
    interpolate,
    resolve,
)

CONTEXTS: dict[str, Any] = {
    "github": {
        "event_name": "push",
        "ref": "refs/heads/main",
        "event": Partial({"pull_request": None}, "the push event's payload"),
    },
    "matrix": {"python-version": "3.12", "os": "ubuntu-24.04", "include": None},
    "env": {"NAME": "value"},
    "secrets": Unknown("secrets are not available to a rehearsal"),
    "needs": {"changes": {"outputs": {"backend": "true", "docs": "false"}, "result": "success"}},
    "steps": {"filter": {"outputs": {"count": "3"}}},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.event.pull_request.number || github.ref", "refs/heads/main"),
        ("github.event_name == 'pull_request'", False),
        ("github.EVENT_NAME == 'PUSH'", True),  # names and string comparison ignore case
        ("matrix['python-version']", "3.12"),
        ("needs.changes.outputs.backend == 'true' && needs.changes.outputs.docs != 'true'", True),
        ("steps.filter.outputs.count > 2", True),  # a string compared as a number
        ("steps.missing.outputs.x", None),
        ("1 == '1' && null == 0 && !''", True),
        ("contains(fromJSON('[\"a\", \"b\"]'), 'B')", True),
        ("contains('refs/heads/main', 'heads')", True),
        ("startsWith(github.ref, 'refs/heads/') && endsWith(github.ref, 'main')", True),
        ("format('{0}-{{x}}-{1}', 'a', 1)", "a-{x}-1"),
        ("join(fromJSON('[1, 2]'), '+')", "1+2"),
        ("fromJSON('{\"a\": [0, 7]}').a[1]", 7.0),
        ('fromJSON(\'[{"n": 1}, {"n": 2}]\').*.n', [1.0, 2.0]),
        ("always() || secrets.TOKEN", True),  # the unknown side is never needed
        ("false && secrets.TOKEN == 'x'", False),
        ("(1 < 2) == true", True),
    ],
)
def test_values(expression: str, expected: object) -> None:
    assert evaluate(expression, CONTEXTS, Functions()) == expected


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("secrets.TOKEN", "secrets are not available"),
        ("secrets.TOKEN == 'x' || true", "secrets are not available"),
        ("github.event.head_commit.message", "the push event's payload"),
        ("true && (secrets.A || secrets.B)", "secrets are not available"),
    ],
)
def test_what_cannot_be_known_is_never_guessed(expression: str, why: str) -> None:
    with pytest.raises(Unevaluable, match=why):
        evaluate(expression, CONTEXTS, Functions())


@pytest.mark.parametrize("expression", ["github.", "1 ==", "nosuch.x", "unknownfn()", "(1"])
def test_invalid_expressions_are_errors(expression: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(expression, CONTEXTS, Functions())


def test_interpolation_and_types() -> None:
    text = "Python ${{ matrix.python-version }} on ${{ matrix.os }} ${{ '}}' }}"
    assert interpolate(text, CONTEXTS) == "Python 3.12 on ubuntu-24.04 }}"
    assert resolve('${{ fromJSON(\'["3.11", "3.12"]\') }}', CONTEXTS) == ["3.11", "3.12"]
    assert resolve({"a": ["${{ 1 == 1 }}"]}, CONTEXTS) == {"a": [True]}
    assert interpolate("${{ 3 }} ${{ 1.5 }} ${{ null }}|${{ true }}", CONTEXTS) == "3 1.5 |true"


def test_conditions_imply_success_unless_they_ask_for_status() -> None:
    ok, failed = Functions(), Functions(failed=True)
    assert condition(None, CONTEXTS, ok) is True
    assert condition(None, CONTEXTS, failed) is False
    assert condition("github.event_name == 'push'", CONTEXTS, failed) is False
    assert condition("${{ always() }}", CONTEXTS, failed) is True
    assert condition("failure()", CONTEXTS, failed) is True
    assert condition("failure()", CONTEXTS, ok) is False
    assert condition("success() || github.ref == 'x'", CONTEXTS, failed) is False
    assert condition(True, CONTEXTS, ok) is True
    assert condition("needs.changes.outputs.docs == 'true'", CONTEXTS, ok) is False


def test_hash_files_needs_a_workspace() -> None:
    with pytest.raises(Unevaluable):
        evaluate("hashFiles('**/x')", CONTEXTS, Functions())
    seen: list[list[str]] = []

    def hash_files(patterns: list[str]) -> str:
        seen.append(patterns)
        return "abc"

    functions = Functions(hash_files=hash_files)
    assert evaluate("hashFiles('a', 'b')", CONTEXTS, functions) == "abc"
    assert seen == [["a", "b"]]
