"""The settings in effect, read from the environment and .streamlit/secrets.toml."""

from __future__ import annotations

import streamlit as st

from generation.config import get_settings
from views.api_tokens import show_api_tokens
from views.common import run_page
from views.gemini_form import show_gemini_settings
from views.schedules import show_schedules
from views.watchlists import show_watchlists
from views.webhooks import show_webhooks


def main() -> None:
    st.title("Settings")
    settings = get_settings()
    st.markdown(f"Reports are written by **{settings.effective_writer}**.")
    if settings.api_key is None:
        st.info(
            "No Gemini API key is set, so reports come from the offline data-brief "
            "writer. Set GEMINI_API_KEY in the environment or in .streamlit/secrets.toml "
            "to write them with Gemini."
        )
    show_gemini_settings(settings)
    st.dataframe(settings.describe(), hide_index=True, width="stretch")
    st.caption(
        "Change a setting in the environment or .streamlit/secrets.toml, then restart."
    )
    show_api_tokens()
    show_schedules()
    show_watchlists()
    show_webhooks()


run_page(main)
