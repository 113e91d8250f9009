"""Charts and tables of one set of trends data, with where it came from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from generation.analysis import analyse
from generation.charts import interest_by_region_chart, interest_over_time_chart
from generation.reading import summarise_analysis
from generation.text import escape_markdown
from generation.trends.base import RelatedItem, RelatedList, TrendsData
from generation.trends.csv_export import ExportKind, trends_download
from generation.trends.provenance import describe_data_quality
from views.picked import add_picked_topics

BREAKOUT_STYLE = "background-color: rgba(255, 189, 69, 0.25); font-weight: 600"


def show_trends(data: TrendsData, key: str, *, pick_related: bool = False) -> None:
    """Draw interest over time, the reading, regions and related lists of ``data``.

    ``pick_related`` lets the analyst add related searches to the picked
    topics, which only Explore shows.
    """
    over_time = interest_over_time_chart(data)
    if over_time is not None:
        st.altair_chart(over_time, width="stretch")
    st.caption(_data_quality(data, charted=over_time is not None))
    if over_time is not None:
        _download(data, "interest_over_time", key)
        _reading(data)
    has_regions = _regions(data, key)
    if over_time is None and not has_regions and not data.related:
        st.info("This data has no time series, regions or related queries to show.")
    _related(data, key, pick_related=pick_related)


def _data_quality(data: TrendsData, *, charted: bool) -> str:
    text = describe_data_quality(data)
    if charted and data.partial_last:
        text += " The dashed end of each line is that partial period."
    return escape_markdown(text)


def _reading(data: TrendsData) -> None:
    sentences = summarise_analysis(analyse(data))
    with st.container(border=True):
        st.markdown("**Reading**")
        st.markdown("\n".join(f"- {escape_markdown(text)}" for text in sentences))


def _regions(data: TrendsData, key: str) -> bool:
    frame = data.interest_by_region
    if frame is None or frame.empty:
        return False
    st.markdown("**Interest by region**")
    chart_column, table_column = st.columns([3, 2])
    with chart_column:
        term = st.selectbox(
            "Regions for", list(frame.columns), key=f"{key}-region-term"
        )
        chart = interest_by_region_chart(data, term)
        if chart is None:
            st.info(f"Google Trends has no regional data for {term}.")
        else:
            st.altair_chart(chart, width="stretch")
    with table_column:
        share = data.region_values == "share"
        st.dataframe(
            frame.sort_values(term, ascending=False),
            key=f"{key}-region-table",
            column_config={
                column: st.column_config.NumberColumn(
                    column,
                    format="%.1f%%" if share else "%.1f",
                    help="Share of the compared terms' searches in the region"
                    if share
                    else "Interest from 0 to 100",
                )
                for column in frame.columns
            },
        )
        _download(data, "interest_by_region", key)
    return True


def _related(data: TrendsData, key: str, *, pick_related: bool) -> None:
    for position, related in enumerate(data.related):
        label = f"Related {related.kind}"
        if related.term:
            label += f" for {related.term}"
        with st.expander(label):
            if not related.top and not related.rising:
                st.info(f"Google Trends lists no related {related.kind} here.")
                continue
            _related_lists(related, f"{key}-related-{position}", pick_related)
    for kind, related_kind in (
        ("related_queries", "queries"),
        ("related_topics", "topics"),
    ):
        if any(item.kind == related_kind for item in data.related):
            _download(data, kind, key)


def _related_lists(related: RelatedList, key: str, pick_related: bool) -> None:
    noun = "query" if related.kind == "queries" else "topic"
    top_column, rising_column = st.columns(2)
    top_column.markdown("**Top**")
    top_rows = _related_rows(related.top, noun)
    selection = (
        {"on_select": "rerun", "selection_mode": "multi-row"} if pick_related else {}
    )
    top = top_column.dataframe(
        top_rows,
        key=f"{key}-top",
        hide_index=True,
        column_config={"breakout": None},
        **selection,
    )
    rising_column.markdown("**Rising**")
    rising_rows = _related_rows(related.rising, noun)
    rising = rising_column.dataframe(
        rising_rows.style.apply(_highlight_breakout, axis=1),
        key=f"{key}-rising",
        hide_index=True,
        column_config={
            "breakout": st.column_config.CheckboxColumn(
                "Breakout", help="Searches grew by more than 5000 %."
            )
        },
        **selection,
    )
    if not pick_related:
        return
    chosen = [top_rows[noun].iloc[row] for row in top.selection.rows]
    chosen += [rising_rows[noun].iloc[row] for row in rising.selection.rows]
    st.button(
        "Add the selected to the topics",
        key=f"{key}-add",
        icon=":material/playlist_add:",
        disabled=not chosen,
        on_click=add_picked_topics,
        args=(chosen,),
        help="Select rows in the tables, then add them to the topics for a report.",
    )


def _related_rows(items: list[RelatedItem], noun: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {noun: item.label, "value": item.display, "breakout": item.breakout}
            for item in items
        ],
        columns=[noun, "value", "breakout"],
    )


def _highlight_breakout(row: pd.Series) -> list[str]:
    return [BREAKOUT_STYLE if row["breakout"] else ""] * len(row)


def _download(data: TrendsData, kind: ExportKind, key: str) -> None:
    download = trends_download(data, kind)
    what = kind.replace("_", " ")
    st.download_button(
        f"Download {what} ({download.filename.rsplit('.', 1)[-1].upper()})",
        data=download.content,
        file_name=download.filename,
        mime=download.mime_type,
        key=f"{key}-download-{kind}",
        icon=":material/download:",
        on_click="ignore",
        help="In the layout of a Google Trends export, which Explore's Upload reads.",
    )
