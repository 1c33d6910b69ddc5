"""The AI price table (AI_PRICES): what a Gemini call is estimated to cost, in US dollars.

The table is `model=input:output[,model=input:output...]`, prices per million tokens.
Thinking tokens are billed as output, as Gemini bills them. The estimate feeds the
`autodevops_ai_estimated_cost_dollars_total` metric; the bill itself is Google's.
"""

from __future__ import annotations

import re

import msgspec

# Gemini API list prices (USD per 1M tokens, paid tier, prompts up to 200k tokens).
DEFAULT_PRICES = (
    "gemini-2.5-flash=0.30:2.50,gemini-2.5-flash-lite=0.10:0.40,gemini-2.5-pro=1.25:10.00"
)
_ENTRY = re.compile(
    r"^(?P<model>[A-Za-z0-9._/-]+)=(?P<input>\d+(?:\.\d+)?):(?P<output>\d+(?:\.\d+)?)$"
)


class Price(msgspec.Struct, frozen=True):
    """Dollars per million input (prompt) and output (answer and thinking) tokens."""

    input: float
    output: float

    def cost(self, prompt: int, output: int, thinking: int) -> float:
        return (prompt * self.input + (output + thinking) * self.output) / 1_000_000


def parse_prices(text: str) -> dict[str, Price]:
    """The table in `text`; ValueError naming the entry that is not `model=input:output`."""
    table: dict[str, Price] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise ValueError(
                f"AI_PRICES entry {entry!r} is not `model=input:output` "
                "(US dollars per million tokens, e.g. gemini-2.5-flash=0.30:2.50)"
            )
        table[match["model"]] = Price(float(match["input"]), float(match["output"]))
    return table
