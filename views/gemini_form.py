"""Gemini's part of the Generate form and of the Settings page.

The inputs sit inside the Generate form, so they only reach the engine when
a form button is pressed: "Estimate cost" shows the estimate for the values
on screen without starting a job.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from generation.config import Settings
from generation.errors import UserFacingError
from generation.writers.gemini_estimate import estimate_request_cost
from generation.writers.pricing import (
    PRICE_TABLE_CHECKED_ON,
    PRICE_TABLE_SOURCE,
    PRICES,
    known_models,
)


def model_choices(settings: Settings) -> list[str]:
    """Return the models with a known price, plus the configured one."""
    models = known_models()
    if settings.gemini_model not in models:
        models.insert(0, settings.gemini_model)
    return models


def gemini_inputs(settings: Settings) -> dict[str, Any]:
    """Draw the Gemini inputs inside a form; return them as request options."""
    with st.expander("Gemini options (used when the writer is gemini)"):
        models = model_choices(settings)
        left, middle, right = st.columns(3)
        model = left.selectbox(
            "Model",
            models,
            index=models.index(settings.gemini_model),
            accept_new_options=True,
            help="Models with a known price are listed; type another Gemini "
            "model name to use it (its cost is then unknown).",
        )
        cost_cap = middle.number_input(
            "Cost cap (USD)",
            min_value=0.0,
            value=float(settings.job_cost_cap_usd),
            step=0.01,
            format="%.2f",
            help="The job stops, keeping the text so far, once its estimated "
            "cost reaches this; 0 means no cap.",
        )
        grounding = right.checkbox(
            "Search Google and cite sources",
            value=settings.gemini_grounding,
            help="Grounding with Google Search: sources become numbered "
            "citations. Google bills it separately.",
        )
        review_outline = st.checkbox(
            "Review the outline before the sections are written",
            help="The job pauses after Gemini's outline, holding no worker: edit "
            "the title and sections on the job's status, then approve them.",
        )
    options = {"model": model, "cost_cap_usd": cost_cap, "grounding": grounding}
    if review_outline:
        options["review_outline"] = True
    return options


def show_cost_estimate(request: dict[str, Any], settings: Settings) -> None:
    """Show the estimated tokens and cost of ``request`` with Gemini."""
    if request.get("writer") != "gemini":
        st.info(
            "The data brief writer sends nothing to Gemini, so this report costs "
            "nothing. Choose the gemini writer to see its estimate.",
            icon=":material/payments:",
        )
        return
    try:
        estimate = estimate_request_cost(request, settings=settings)
    except UserFacingError as error:
        st.error(error.message, icon=":material/error:")
        return
    tokens = (
        f"about {estimate.prompt_tokens:,} prompt and {estimate.output_tokens:,} "
        f"output tokens with {estimate.model}"
    )
    if estimate.usd is None:
        st.info(f"Estimate: {tokens}. {estimate.note}", icon=":material/payments:")
        return
    st.info(
        f"Estimate: {tokens}, about ${estimate.usd:.4f}. {estimate.note}",
        icon=":material/payments:",
    )


def show_gemini_settings(settings: Settings) -> None:
    """Show the default model, whether a key is set, and the price table."""
    key_state = "set" if settings.api_key else "not set"
    st.markdown(
        f"Gemini model: **{settings.gemini_model}** (GEMINI_MODEL; the Generate "
        f"form can pick another per report). Gemini API key: **{key_state}**."
    )
    rows = [
        {
            "model": model,
            "input USD per 1M tokens": price.input_usd,
            "output USD per 1M tokens": price.output_usd,
        }
        for model, price in sorted(PRICES.items())
    ]
    with st.expander("Gemini prices used for cost estimates"):
        st.dataframe(rows, hide_index=True, width="stretch")
        st.caption(
            f"Paid-tier prices from {PRICE_TABLE_SOURCE}, checked on "
            f"{PRICE_TABLE_CHECKED_ON}. Thinking tokens are billed as output. "
            "Costs shown in the app are estimates, not bills."
        )
