"""Cost before and after: the estimate on the form, usage on the draft, the cap."""

from __future__ import annotations

import json

import pytest
from werkzeug import Response

from generation.errors import InvalidRequest
from generation.writers import prompts
from generation.writers.gemini import GeminiWriter, estimate_cost
from generation.writers.gemini_failures import GeminiCostCapReached
from generation.writers.pricing import (
    PRICES,
    cost_usd,
    estimate_tokens,
    known_models,
    price_for,
)
from tests.generation.writers.gemini_fake import (
    prompt_of,
    recorded_sse,
    recorded_thinking_chunks,
    sse,
)


def no_sleep(seconds: float) -> None:
    """Stand-in for time.sleep."""


def test_price_for_matches_dated_variants() -> None:
    assert price_for("gemini-2.5-flash") == PRICES["gemini-2.5-flash"]
    assert price_for("models/gemini-2.5-flash") == PRICES["gemini-2.5-flash"]
    assert price_for("gemini-2.5-flash-preview-09-2025") == PRICES["gemini-2.5-flash"]
    assert price_for("gemini-2.5-flash-lite") == PRICES["gemini-2.5-flash-lite"]
    assert (
        price_for("gemini-2.5-flash-lite-preview-06-17")
        == PRICES["gemini-2.5-flash-lite"]
    )
    assert price_for("gemini-2.5-flashy") is None
    assert price_for("gemini-1.0-pro") is None
    assert "gemini-2.5-flash" in known_models()


def test_cost_uses_long_prompt_rate() -> None:
    short = cost_usd("gemini-2.5-pro", 200_000, 1_000)
    long = cost_usd("gemini-2.5-pro", 200_001, 1_000)

    assert short == pytest.approx((200_000 * 1.25 + 1_000 * 10.0) / 1e6)
    assert long == pytest.approx((200_001 * 2.50 + 1_000 * 15.0) / 1e6)
    assert cost_usd("gemini-unknown", 10, 10) is None


def test_estimate_tokens_counts_characters() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd" * 25) == 25
    assert estimate_tokens("abcde") == 2
    # Outside ASCII each character counts as a token.
    assert estimate_tokens("검색") == 2
    assert estimate_tokens("Grüße") == 1 + 2


def test_estimate_sends_nothing(fake_gemini, make_settings, brief) -> None:
    estimate = estimate_cost(brief, settings=make_settings())

    assert fake_gemini.requests == []
    assert estimate.model == "gemini-2.5-flash"
    assert estimate.output_tokens == int(1000 * 1.5)
    assert estimate.usd == pytest.approx(
        cost_usd("gemini-2.5-flash", estimate.prompt_tokens, estimate.output_tokens)
    )
    assert "thinking tokens" in estimate.note


def test_estimate_close_to_sent_prompt(
    fake_gemini, make_settings, brief, progress
) -> None:
    fake_gemini.stream(recorded_sse())
    settings = make_settings()
    estimate = estimate_cost(brief, settings=settings)

    GeminiWriter(settings, sleep=no_sleep).write(brief, progress)

    body = json.loads(fake_gemini.requests[0].get_data())
    sent = (
        prompt_of(fake_gemini.requests[0])
        + body["systemInstruction"]["parts"][0]["text"]
    )
    assert estimate.prompt_tokens == pytest.approx(len(sent) / 4, rel=0.05)


def test_estimate_grows_with_length(make_settings, brief) -> None:
    settings = make_settings()
    estimates = {}
    for length in ("short", "standard", "long"):
        brief.length = length
        estimates[length] = estimate_cost(brief, settings=settings)

    assert estimates["short"].output_tokens < estimates["standard"].output_tokens
    assert estimates["standard"].output_tokens < estimates["long"].output_tokens
    # A long report sends the data once for the outline and once per section.
    sections = len(prompts.section_headings(brief))
    assert (
        estimates["long"].prompt_tokens
        > sections * estimates["standard"].prompt_tokens * 0.9
    )
    assert estimates["short"].usd < estimates["standard"].usd < estimates["long"].usd


def test_estimate_model_argument_and_unknown_price(make_settings, brief) -> None:
    settings = make_settings()

    pro = estimate_cost(brief, "gemini-2.5-pro", settings=settings)
    flash = estimate_cost(brief, "gemini-2.5-flash", settings=settings)
    unknown = estimate_cost(brief, "gemini-0.9-imaginary", settings=settings)

    assert pro.usd > flash.usd
    assert pro.prompt_tokens == flash.prompt_tokens
    assert unknown.usd is None
    assert (
        unknown.note
        == "No price is known for gemini-0.9-imaginary, so no cost is shown."
    )


def test_estimate_notes_grounding_fee(make_settings, brief) -> None:
    brief.options = {"grounding": True}

    estimate = estimate_cost(brief, settings=make_settings())

    assert estimate.note.endswith(
        "Google bills grounding with Google Search separately."
    )


def test_cap_stops_stream_and_keeps_text(
    fake_gemini, make_settings, brief, progress
) -> None:
    # gemini-3-pro-preview: the first recorded chunk already reports 9 prompt,
    # 5 output and 185 thinking tokens, about $0.0023 at $2 and $12 per million.
    fake_gemini.stream(sse(recorded_thinking_chunks()))
    brief.options = {"model": "gemini-3-pro-preview", "cost_cap_usd": 0.001}

    with pytest.raises(GeminiCostCapReached) as raised:
        GeminiWriter(make_settings(), sleep=no_sleep).write(brief, progress)

    assert raised.value.message == (
        "The job stopped because its estimated cost reached the cap of $0.0010 "
        "($0.0023 so far). Raise the cost cap, choose a shorter length, or pick a "
        "cheaper model; the text written so far is kept."
    )
    assert raised.value.partial_text == "There are **3**"
    assert len(fake_gemini.requests) == 1


def test_cap_from_settings_applies(fake_gemini, make_settings, brief, progress) -> None:
    fake_gemini.stream(recorded_sse())
    # The first recorded event reports 15 prompt tokens: $0.0000045.
    settings = make_settings(job_cost_cap_usd=0.000001)

    with pytest.raises(GeminiCostCapReached) as raised:
        GeminiWriter(settings, sleep=no_sleep).write(brief, progress)

    assert raised.value.message.startswith(
        "The job stopped because its estimated cost reached the cap of $0.0000 "
        "($0.0000 so far)."
    )
    assert raised.value.partial_text == "The"


def test_cap_stops_long_report_in_second_step(
    fake_gemini, make_settings, brief, progress
) -> None:
    fake_gemini.handler(
        lambda request: Response(
            sse(recorded_thinking_chunks()), content_type="text/event-stream"
        )
    )
    brief.length = "long"
    # Each step costs $0.002514 at gemini-3-pro-preview rates; the first chunk
    # of the second step takes the total to $0.004812.
    brief.options = {"model": "gemini-3-pro-preview", "cost_cap_usd": 0.004}

    with pytest.raises(GeminiCostCapReached) as raised:
        GeminiWriter(make_settings(), sleep=no_sleep).write(brief, progress)

    assert len(fake_gemini.requests) == 2
    assert "($0.0048 so far)" in raised.value.message
    assert raised.value.partial_text == (
        "# Health: ozempic, monjauro, wegovy — briefing\n\nThere are **3**"
    )


def test_cap_with_unknown_price_rejected(
    fake_gemini, make_settings, brief, progress
) -> None:
    brief.options = {"model": "gemini-0.9-imaginary", "cost_cap_usd": 0.5}

    with pytest.raises(InvalidRequest) as raised:
        GeminiWriter(make_settings(), sleep=no_sleep).write(brief, progress)

    assert raised.value.field == "options.cost_cap_usd"
    assert fake_gemini.requests == []


def test_unknown_price_records_zero_cost(
    fake_gemini, make_settings, brief, progress, caplog
) -> None:
    fake_gemini.stream(recorded_sse())
    brief.options = {"model": "gemini-0.9-imaginary"}

    draft = GeminiWriter(make_settings(), sleep=no_sleep).write(brief, progress)

    assert draft.cost_usd == 0.0
    assert draft.prompt_tokens == 13
    assert "No price is known for Gemini model gemini-0.9-imaginary" in caplog.text
