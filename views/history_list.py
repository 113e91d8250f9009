"""The History list: filters and search in the URL, a page of jobs, paging."""

from __future__ import annotations

from datetime import date

import streamlit as st

from generation.exports import history_csv
from generation.history import (
    PAGE_SIZES,
    SORTS,
    HistoryFilters,
    HistoryPage,
    distinct_values,
    list_history,
)
from generation.models import JobStatus
from views.common import EMPTY_CELL

ANY = "Any"
SORT_LABELS = {
    "date": "Date",
    "duration": "Duration",
    "cost": "Cost",
    "relevance": "Relevance (with a search)",
}
HISTORY_PAGE = "pages/history.py"
ROW_HEIGHT_PX = 35


def current_filters() -> HistoryFilters:
    """Read the filters from the URL, with a warning per value not understood."""
    params = {key: st.query_params.get_all(key) for key in st.query_params}
    filters = HistoryFilters.from_query_params(params)
    for sentence in filters.ignored:
        st.warning(sentence, icon=":material/filter_alt_off:")
    return filters


def show_history_list() -> None:
    st.title("History")
    filters = current_filters()
    _filter_form(filters)
    page = list_history(filters)
    if page.total == 0:
        _show_empty(filters)
        return
    if not page.rows:
        st.info(f"Page {page.page:,} is past the last page, {page.page_count:,}.")
        st.page_link(
            HISTORY_PAGE,
            label="Last page",
            icon=":material/last_page:",
            query_params=filters.with_page(page.page_count).to_query_params(),
        )
        return
    last_row = page.first_row_number + len(page.rows) - 1
    st.caption(
        f"Rows {page.first_row_number:,}–{last_row:,} of {page.total:,} · "
        f"page {page.page:,} of {page.page_count:,}. Times are UTC."
    )
    _table(page)
    _pager(filters, page)
    st.download_button(
        f"Download all {page.total:,} rows as CSV",
        data=lambda: history_csv(filters),
        file_name="history.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def _filter_form(filters: HistoryFilters) -> None:
    narrowed = filters.is_filtered or filters.sort != "date" or not filters.descending
    with st.form("history-filters", border=True):
        search = st.text_input(
            "Search reports",
            value=filters.search,
            max_chars=200,
            placeholder='Words in titles, topics or text; "an exact phrase"; pizz*',
        )
        options = st.expander("Filters and sort", expanded=narrowed)
        first, second, third, fourth = options.columns(4)
        statuses = [ANY, *(status.value for status in JobStatus)]
        status = first.selectbox(
            "Status",
            statuses,
            index=statuses.index(filters.status.value) if filters.status else 0,
        )
        category = second.selectbox(
            "Category", *_choices(distinct_values("category"), filters.category)
        )
        writer = third.selectbox(
            "Writer", *_choices(distinct_values("writer"), filters.writer)
        )
        model = fourth.selectbox(
            "Model", *_choices(distinct_values("model"), filters.model)
        )
        first, second, third, fourth = options.columns(4)
        topic = first.text_input("Topic contains", value=filters.topic, max_chars=100)
        date_from = second.date_input("From (UTC)", value=filters.date_from)
        date_to = third.date_input("To (UTC)", value=filters.date_to)
        schedule = fourth.text_input(
            "Schedule id",
            value=str(filters.schedule_id or ""),
            max_chars=18,
        )
        first, second, third, _ = options.columns(4)
        sort = first.selectbox(
            "Sort by",
            SORTS,
            index=SORTS.index(filters.sort),
            format_func=SORT_LABELS.__getitem__,
        )
        order = second.selectbox(
            "Order",
            ["desc", "asc"],
            index=0 if filters.descending else 1,
            format_func=lambda value: (
                "Newest or largest first"
                if value == "desc"
                else "Oldest or smallest first"
            ),
        )
        size = third.selectbox(
            "Rows per page", PAGE_SIZES, index=PAGE_SIZES.index(filters.page_size)
        )
        applied = st.form_submit_button(
            "Apply", type="primary", icon=":material/filter_alt:"
        )
    if applied:
        params = {
            "status": "" if status == ANY else status,
            "category": "" if category == ANY else category,
            "writer": "" if writer == ANY else writer,
            "model": "" if model == ANY else model,
            "topic": topic,
            "from": _iso(date_from),
            "to": _iso(date_to),
            "schedule": schedule.strip(),
            "q": search.strip(),
            "sort": sort,
            "order": order,
            "size": str(size),
        }
        chosen = HistoryFilters.from_query_params(
            {key: value for key, value in params.items() if value}
        )
        st.query_params.from_dict(chosen.to_query_params())
        st.rerun()
    if filters.is_filtered:
        st.page_link(HISTORY_PAGE, label="Clear filters", icon=":material/close:")


def _choices(values: list[str], current: str) -> tuple[list[str], int]:
    options = [ANY, *values]
    if current and current not in options:
        options.append(current)
    return options, options.index(current) if current else 0


def _iso(value: date | None) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def _table(page: HistoryPage) -> None:
    rows = [
        {
            "job": f"?job={row.job_id}",
            "submitted": row.created_at,
            "status": row.status.value,
            "title": row.title or None,
            "report": f"?report={row.report_id}"
            if row.report_id and not row.report_deleted
            else None,
            "cost": row.cost_usd,
            "seconds": row.run_seconds,
            "tokens": row.tokens,
            "category": row.category,
            "writer": f"{row.writer} {row.model}".strip(),
        }
        for row in page.rows
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        # Tall enough for the whole page, so the page scrolls, not the table.
        height=ROW_HEIGHT_PX * (len(rows) + 1) + 3,
        column_config={
            "job": st.column_config.LinkColumn("Job", display_text=r"\?job=(\d+)"),
            "submitted": st.column_config.DatetimeColumn(
                "Submitted", format="YYYY-MM-DD HH:mm"
            ),
            "status": st.column_config.TextColumn("Status"),
            "title": st.column_config.TextColumn("Title or topics", width="large"),
            "report": st.column_config.LinkColumn(
                "Report", display_text=r"\?report=(\d+)"
            ),
            "cost": st.column_config.NumberColumn("Cost (USD)", format="$%.4f"),
            "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
            "tokens": st.column_config.NumberColumn("Tokens", format="%d"),
            "category": st.column_config.TextColumn("Category"),
            "writer": st.column_config.TextColumn("Writer and model"),
        },
        placeholder=EMPTY_CELL,
    )


def _pager(filters: HistoryFilters, page: HistoryPage) -> None:
    columns = st.columns(4)
    links = [
        ("First", 1, ":material/first_page:", page.page > 1),
        ("Previous", page.page - 1, ":material/chevron_left:", page.page > 1),
        ("Next", page.page + 1, ":material/chevron_right:", page.has_next),
        ("Last", page.page_count, ":material/last_page:", page.has_next),
    ]
    for column, (label, number, icon, enabled) in zip(columns, links, strict=True):
        with column:
            st.page_link(
                HISTORY_PAGE,
                label=label,
                icon=icon,
                disabled=not enabled,
                query_params=filters.with_page(number).to_query_params(),
            )


def _show_empty(filters: HistoryFilters) -> None:
    if filters.is_filtered:
        st.info("No jobs match these filters. Change or clear them.")
        return
    st.info("No reports yet. Start one on the Generate page.")
    st.page_link(
        "pages/generate.py", label="Generate a report", icon=":material/edit_note:"
    )
