"""The AI price table: parsed from AI_PRICES, refused with a clear message when malformed,
and turned into the estimated-cost metric (thinking billed as output)."""

from __future__ import annotations

import pytest

from libs.common.config import ConfigError, load_settings
from libs.common.metrics import Metrics
from libs.common.pricing import DEFAULT_PRICES, Price, parse_prices
from libs.common.schemas import Usage

ENV = {"DATABASE_URL": "postgresql://h/d", "REDIS_URL": "redis://h"}


def test_the_default_table_prices_the_default_model() -> None:
    table = parse_prices(DEFAULT_PRICES)
    assert table["gemini-2.5-flash"] == Price(0.30, 2.50)
    assert load_settings(ENV).gemini_model in table


def test_a_call_costs_prompt_at_the_input_price_and_output_plus_thinking_at_the_output_price() -> (
    None
):
    metrics = Metrics(roles=("worker",), prices=parse_prices("m=2:10, other=1:1"))
    usage = Usage(prompt=1_000_000, output=200_000, thinking=300_000, total=1_500_000)
    metrics.record_ai_call("m", "ok", usage, 1.5)
    assert metrics.ai_cost.labels("m")._value.get() == pytest.approx(2.0 + 5.0)
    assert metrics.ai_tokens.labels("m", "thinking")._value.get() == 300_000
    metrics.record_ai_call("unpriced", "ok", usage, 1.0)  # counted, not costed
    assert metrics.ai_calls.labels("unpriced", "ok")._value.get() == 1
    assert metrics.ai_cost.labels("unpriced")._value.get() == 0


@pytest.mark.parametrize("bad", ["gemini-2.5-flash", "m=1", "m=a:b", "m=1:2:3", "=1:2"])
def test_a_malformed_table_stops_the_service_naming_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError, match="AI_PRICES entry") as raised:
        load_settings({**ENV, "AI_PRICES": bad})
    assert "model=input:output" in str(raised.value)
