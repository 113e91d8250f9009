"""Charts and tables of one set of trends data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from generation.charts import interest_by_region_chart, interest_over_time_chart
from generation.trends.base import TrendsData


def show_trends(data: TrendsData, key: str) -> None:
    """Draw interest over time, by region and the related queries of ``data``."""
    over_time = interest_over_time_chart(data)
    if over_time is not None:
        st.altair_chart(over_time, width="stretch")
        if data.partial_last:
            st.caption(
                "The dashed end of each line is the current period, which is not over "
                "yet; growth figures leave it out."
            )
    region_terms = (
        list(data.interest_by_region.columns)
        if data.interest_by_region is not None
        else []
    )
    if region_terms:
        term = st.selectbox("Regions for", region_terms, key=f"{key}-region-term")
        chart = interest_by_region_chart(data, term)
        if chart is None:
            st.info(f"Google Trends has no regional data for {term}.")
        else:
            st.altair_chart(chart, width="stretch")
    if over_time is None and not region_terms and not data.related:
        st.info("This data has no time series, regions or related queries to show.")
    for related in data.related:
        with st.expander(f"Related {related.kind} for {related.term}"):
            top, rising = st.columns(2)
            top.markdown("**Top**")
            top.dataframe(_related_rows(related.top), hide_index=True, width="stretch")
            rising.markdown("**Rising**")
            rising.dataframe(
                _related_rows(related.rising), hide_index=True, width="stretch"
            )


def _related_rows(items) -> pd.DataFrame:
    return pd.DataFrame(
        [{"query": item.label, "value": item.display} for item in items],
        columns=["query", "value"],
    )
