"""Gemini prices and the token and cost arithmetic built on them.

Prices are US dollars per million tokens on the Gemini API's paid tier, as
published on https://ai.google.dev/gemini-api/docs/pricing. The table was
checked on 2026-07-04 against copies of that page's rates quoted by
factquire.com (accessed 2026-07-04) and deploybase.ai (March 2026). Google
changes prices, so every figure computed here is an estimate, not a bill.

Thinking tokens are billed at the output rate. Grounding with Google Search is
billed per request or per search query on top of tokens, with a free daily
allowance, so it is left out of every figure here.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

logger = logging.getLogger(__name__)

PRICE_TABLE_SOURCE = "https://ai.google.dev/gemini-api/docs/pricing"
PRICE_TABLE_CHECKED_ON = "2026-07-04"

# Prompts longer than this many tokens are billed at a model's long-prompt rate.
LONG_PROMPT_THRESHOLD_TOKENS = 200_000

# Google documents a Gemini token as about four characters of English text.
CHARACTERS_PER_TOKEN = 4
# Scripts outside ASCII (accented letters, Cyrillic, CJK) take more tokens
# per character, so each such character is counted as one token. The
# estimate therefore errs high for those languages.
TOKENS_PER_NON_ASCII_CHARACTER = 1


@dataclass(frozen=True)
class ModelPrice:
    """Paid-tier rates of one model, in US dollars per million tokens."""

    input_usd: float
    output_usd: float
    # Rates above LONG_PROMPT_THRESHOLD_TOKENS; None where the model has one rate.
    long_input_usd: float | None = None
    long_output_usd: float | None = None


PRICES: dict[str, ModelPrice] = {
    "gemini-2.5-pro": ModelPrice(
        1.25, 10.00, long_input_usd=2.50, long_output_usd=15.00
    ),
    "gemini-2.5-flash": ModelPrice(0.30, 2.50),
    "gemini-2.5-flash-lite": ModelPrice(0.10, 0.40),
    # NOTE: only the rate for prompts up to 200,000 tokens was checked; longer
    # prompts cost more and are under-estimated here.
    "gemini-3-pro-preview": ModelPrice(2.00, 12.00),
    "gemini-3-flash-preview": ModelPrice(0.50, 3.00),
}


@dataclass(frozen=True)
class CostEstimate:
    """Tokens and US dollars a report is expected to use, before it is written.

    ``usd`` is None when no price is known for the model.
    """

    prompt_tokens: int
    output_tokens: int
    usd: float | None
    model: str = ""
    note: str = ""


def known_models() -> list[str]:
    """Return the model names that have a price, for the model picker."""
    return sorted(PRICES)


def price_for(model: str) -> ModelPrice | None:
    """Return the rates of ``model``, matching dated variants to their family.

    ``gemini-2.5-flash-preview-09-2025`` is priced as ``gemini-2.5-flash``:
    the longest table entry that the name starts with, followed by a hyphen,
    wins. Returns None for a model outside the table.
    """
    name = model.strip().lower().removeprefix("models/")
    if name in PRICES:
        return PRICES[name]
    candidates = [key for key in PRICES if name.startswith(key + "-")]
    if not candidates:
        return None
    return PRICES[max(candidates, key=len)]


def cost_usd(
    model: str, prompt_tokens: int, output_tokens: int, thinking_tokens: int = 0
) -> float | None:
    """Return the cost of one request in US dollars, or None for an unknown model."""
    price = price_for(model)
    if price is None:
        return None
    long_prompt = prompt_tokens > LONG_PROMPT_THRESHOLD_TOKENS
    input_rate = price.input_usd
    output_rate = price.output_usd
    if long_prompt and price.long_input_usd is not None:
        input_rate = price.long_input_usd
    if long_prompt and price.long_output_usd is not None:
        output_rate = price.long_output_usd
    billed_output = output_tokens + thinking_tokens
    return (prompt_tokens * input_rate + billed_output * output_rate) / 1_000_000


def estimate_tokens(text: str) -> int:
    """Return an estimate of the tokens in ``text``, counted from its characters."""
    ascii_characters = sum(1 for character in text if character.isascii())
    other_characters = len(text) - ascii_characters
    return math.ceil(ascii_characters / CHARACTERS_PER_TOKEN) + (
        other_characters * TOKENS_PER_NON_ASCII_CHARACTER
    )
