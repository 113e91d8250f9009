"""An overview: jobs by status, what runs now, reports, tokens, cost, topics."""

from __future__ import annotations

from datetime import UTC, date, datetime

import streamlit as st

from generation.config import get_settings
from generation.dashboard import (
    DEFAULT_WINDOW,
    WINDOWS,
    DashboardFigures,
    dashboard_figures,
)
from generation.db import get_engine
from views.common import run_page
from views.dashboard_panels import (
    per_day_charts,
    running_jobs,
    since_text,
    status_figures,
    summary_figures,
    top_topics,
)

WINDOW_KEY = "days"
CACHE_SECONDS = 10


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def cached_figures(days: int, today: str, database_url: str) -> DashboardFigures:
    # A short cache: a year's window at 100 000 reports takes about half a
    # second, and the running jobs below are read fresh anyway.
    return dashboard_figures(
        days, today=date.fromisoformat(today), engine=get_engine(database_url)
    )


def main() -> None:
    st.title("Dashboard")
    days = _window()
    today = datetime.now(UTC).date()
    figures = cached_figures(days, today.isoformat(), get_settings().database_url)
    if figures.total_jobs == 0 and figures.running_count == 0:
        st.info("Nothing here yet. Explore some trends data, then generate a report.")
        st.page_link(
            "pages/explore.py", label="Explore trends", icon=":material/query_stats:"
        )
    st.caption(
        f"Jobs submitted and reports written {since_text(figures.since, figures.until)}."
    )
    status_figures(figures)
    summary_figures(figures)
    running_jobs()
    per_day_charts(figures)
    top_topics(figures)


def _window() -> int:
    value = st.query_params.get(WINDOW_KEY, str(DEFAULT_WINDOW))
    if not value.isdigit() or int(value) not in WINDOWS:
        st.warning(
            f"The window '{value[:20]}' is not one of "
            f"{', '.join(map(str, WINDOWS))} days, so the last {DEFAULT_WINDOW} "
            "days are shown."
        )
        value = str(DEFAULT_WINDOW)
    chosen = st.segmented_control(
        "Window",
        WINDOWS,
        default=int(value),
        format_func=lambda days: f"{days} days",
        required=True,
    )
    if chosen != int(value):
        st.query_params[WINDOW_KEY] = str(chosen)
        st.rerun()
    return int(chosen)


run_page(main)
