"""Which repository commands a generated step runs as they are (ecosystems.shell)."""

from __future__ import annotations

import pytest

from libs.cigen.ecosystems.shell import safe_command


@pytest.mark.parametrize(
    ("run", "safe"),
    [
        ("make test", True),
        ("npm run lint", True),
        ('pip install "pkg#egg=x"', True),
        # a `#` inside a word is part of it to the shell (shellcheck SC2288): the property
        # tests generated `run: 0#` from a report's test command
        ("0#", False),
        ("pytest # the fast ones", False),
        # a reserved word, whatever its case (shellcheck SC1081)
        ("THEN", False),
        ("done", False),
        ("echo $HOME", False),
        ("${{ github.event.issue.title }}", False),
    ],
)
def test_a_command_runs_as_it_is_only_when_it_is_plain_shell(run: str, safe: bool) -> None:
    assert safe_command(run) is safe
