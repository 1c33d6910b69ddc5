from __future__ import annotations

import json

import pytest

from libs.ai.errors import AiBadOutput
from libs.ai.schema import MAX_RECOMMENDATIONS, parse_answer, response_schema
from libs.common.schemas import Usage
from tests.unit.ai.samples import answer, rec


def test_schema_is_self_contained_and_typed() -> None:
    schema = response_schema()
    text = json.dumps(schema)
    assert "$ref" not in text
    assert "$defs" not in text
    item = schema["properties"]["recommendations"]["items"]
    assert set(item["required"]) >= {"title", "category", "severity", "evidence", "fix"}
    assert item["properties"]["category"]["type"] == "string"
    assert item["properties"]["priority"]["maximum"] == 5


def test_out_of_range_values_are_clamped_and_trimmed() -> None:
    loud = rec("Cache dependencies", "pyproject.toml") | {"priority": 99, "fix": "x" * 5000}
    quiet = rec("Document setup", "README.md") | {"priority": -3}
    quiet["evidence"] = [{"path": "README.md", "line": 0}]
    many = [rec(f"Thing {i}") for i in range(MAX_RECOMMENDATIONS + 5)]
    parsed = parse_answer(json.dumps(answer(loud, quiet, *many)), Usage())
    assert parsed.recommendations[0].priority == 5
    assert len(parsed.recommendations[0].fix) <= 1200
    assert parsed.recommendations[1].priority == 1
    assert parsed.recommendations[1].evidence[0].line is None
    assert len(parsed.recommendations) == MAX_RECOMMENDATIONS


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ('{"summary": "cut', "invalid_json"),
        ("Sure! here you go", "invalid_json"),
        ('{"summary": 42, "recommendations": "none"}', "invalid_schema"),
        ('{"summary": "ok"}', "invalid_schema"),
        (json.dumps(answer(rec("x") | {"category": "astrology"})), "invalid_schema"),
    ],
)
def test_unusable_answers_are_rejected_with_their_outcome(text: str, outcome: str) -> None:
    usage = Usage(prompt=10, output=5, total=15)
    with pytest.raises(AiBadOutput) as caught:
        parse_answer(text, usage)
    assert caught.value.outcome == outcome
    assert caught.value.usage == usage
