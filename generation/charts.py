"""Altair charts of trends data, shared by the pages and the exports.

The partial last period (Google marks it as incomplete) is drawn dashed so
nobody reads a dip that is only a week not yet over.
"""

from __future__ import annotations

import logging

import altair as alt
import pandas as pd

from generation.trends.base import TrendsData

logger = logging.getLogger(__name__)

CHART_WIDTH = 640
CHART_HEIGHT = 280
MAX_REGIONS = 15


def interest_over_time_chart(data: TrendsData) -> alt.Chart | None:
    """Line chart of interest over time per term; None when there is no series."""
    frame = data.interest_over_time
    if frame is None or frame.empty:
        return None
    long = (
        frame.reset_index()
        .melt(id_vars="date", var_name="term", value_name="interest")
        .dropna(subset=["interest"])
    )
    long["period"] = "complete"
    base = alt.Chart().encode(
        x=alt.X("date:T", title=None),
        y=alt.Y(
            "interest:Q", title="Interest (0-100)", scale=alt.Scale(domain=[0, 100])
        ),
        color=alt.Color("term:N", title="Term", sort=list(frame.columns)),
        tooltip=[
            alt.Tooltip("term:N", title="Term"),
            alt.Tooltip("date:T", title="Period"),
            alt.Tooltip("interest:Q", title="Interest", format=".1f"),
        ],
    )
    layers: list[alt.Chart] = []
    if data.partial_last and len(frame) >= 2:
        last_two = frame.index[-2:]
        complete = long[long["date"] < last_two[-1]]
        partial = long[long["date"].isin(last_two)].copy()
        partial["period"] = "partial"
        layers.append(base.mark_line().properties(data=complete))
        layers.append(base.mark_line(strokeDash=[4, 4]).properties(data=partial))
    else:
        layers.append(base.mark_line().properties(data=long))
    chart = alt.layer(*layers).properties(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        title=_title("Interest over time", data),
    )
    return chart


def interest_by_region_chart(
    data: TrendsData, term: str | None = None
) -> alt.Chart | None:
    """Bar chart of the regions with the most interest for one term."""
    frame = data.interest_by_region
    if frame is None or frame.empty:
        return None
    term = term if term in frame.columns else frame.columns[0]
    series = frame[term].dropna().sort_values(ascending=False).head(MAX_REGIONS)
    if series.empty:
        return None
    rows = pd.DataFrame(
        {"region": series.index.astype(str), "interest": series.to_numpy()}
    )
    value_title = (
        "Share of searches (%)" if data.region_values == "share" else "Interest (0-100)"
    )
    return (
        alt.Chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("interest:Q", title=value_title),
            y=alt.Y("region:N", title=None, sort="-x"),
            tooltip=[
                alt.Tooltip("region:N", title="Region"),
                alt.Tooltip("interest:Q", title=value_title, format=".1f"),
            ],
        )
        .properties(
            width=CHART_WIDTH,
            height=max(120, 22 * len(rows)),
            title=f"Interest by region: {term}",
        )
    )


def _title(text: str, data: TrendsData) -> str:
    where = data.geo or "Worldwide"
    return f"{text} ({where})"
