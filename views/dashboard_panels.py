"""Dashboard panels: figures that link to History, running jobs, charts."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st

from generation.dashboard import DashboardFigures, running_now
from generation.history import HistoryFilters
from generation.models import JobStatus
from generation.text import escape_markdown
from views.common import EMPTY_CELL

HISTORY_PAGE = "pages/history.py"
HISTORY_URL = "history"
RUNNING_REFRESH_SECONDS = 2.0
STATUS_LABELS = {
    JobStatus.SUCCEEDED: "Succeeded",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
    JobStatus.INTERRUPTED: "Interrupted",
    JobStatus.RUNNING: "Running",
    JobStatus.QUEUED: "Queued",
}


def figure_link(
    label: str, value: str, filters: HistoryFilters, help_text: str = ""
) -> None:
    """Show one figure with a link to the History rows behind it."""
    with st.container(border=True):
        st.metric(label, value, help=help_text or None)
        st.page_link(
            HISTORY_PAGE,
            label="History",
            icon=":material/arrow_forward:",
            query_params=filters.to_query_params(),
        )


def status_figures(figures: DashboardFigures) -> None:
    since = figures.since
    columns = st.columns(len(STATUS_LABELS))
    for column, (status, label) in zip(columns, STATUS_LABELS.items(), strict=True):
        with column:
            figure_link(
                label,
                f"{figures.status_counts.get(status, 0):,}",
                HistoryFilters(status=status, date_from=since),
                f"Jobs submitted since {since} (UTC) that are {status.value} now.",
            )


def summary_figures(figures: DashboardFigures) -> None:
    since = figures.since
    rate = figures.success_rate
    median = figures.median_seconds
    columns = st.columns(4)
    with columns[0]:
        figure_link(
            "Success rate",
            "n/a" if rate is None else f"{rate:.1%}",
            HistoryFilters(status=JobStatus.SUCCEEDED, date_from=since),
            "Succeeded jobs among those that ended (failed, cancelled, interrupted).",
        )
    with columns[1]:
        figure_link(
            "Median time to write",
            "n/a" if median is None else f"{median:,.1f} s",
            HistoryFilters(date_from=since, sort="duration"),
            "The middle of the reports' run times, from start to saved report.",
        )
    with columns[2]:
        figure_link(
            "Tokens",
            f"{figures.tokens:,}",
            HistoryFilters(status=JobStatus.SUCCEEDED, date_from=since, sort="cost"),
            "Prompt, output and thinking tokens of the reports written.",
        )
    with columns[3]:
        figure_link(
            "Cost",
            f"${figures.cost_usd:,.2f}",
            HistoryFilters(status=JobStatus.SUCCEEDED, date_from=since, sort="cost"),
            "What the reports' model calls cost, at list prices.",
        )


def running_jobs() -> None:
    """Jobs running now; refreshed every few seconds while any job is active."""
    _, running_count, queued_count = running_now()
    every = RUNNING_REFRESH_SECONDS if running_count or queued_count else None
    st.fragment(run_every=every)(_running_body)(bool(every))


def _running_body(was_active: bool) -> None:
    running, running_count, queued_count = running_now()
    if was_active and not (running_count or queued_count):
        # Draw the page once more, so the refresh stops and the figures update.
        st.rerun(scope="app")
    st.subheader(f"Running now: {running_count:,} · queued: {queued_count:,}")
    if not running:
        st.caption("No job is running.")
    for job in running:
        st.progress(
            job.progress / 100,
            text=f"Job {job.job_id} · {escape_markdown(job.topics)} · "
            f"{job.progress}% · {escape_markdown(job.stage or 'starting')}",
        )
        st.page_link(
            HISTORY_PAGE,
            label=f"Follow job {job.job_id}",
            icon=":material/monitoring:",
            query_params={"job": str(job.job_id)},
        )


def history_url(filters: HistoryFilters) -> str:
    return f"{HISTORY_URL}?{urlencode(filters.to_query_params())}"


def per_day_charts(figures: DashboardFigures) -> None:
    # Points help read a month; over a year they only hide the line.
    points = len(figures.per_day) <= 90
    frame = pd.DataFrame(
        [
            {
                "day": day.day.isoformat(),
                "reports": day.reports,
                "tokens": day.tokens,
                "cost": day.cost_usd,
                "history": history_url(
                    HistoryFilters(
                        status=JobStatus.SUCCEEDED, date_from=day.day, date_to=day.day
                    )
                ),
            }
            for day in figures.per_day
        ]
    )
    reports = (
        alt.Chart(frame, title="Reports per day (UTC); click a bar for its jobs")
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("reports:Q", title="Reports"),
            href="history:N",
            tooltip=["day:T", "reports:Q"],
        )
    )
    st.altair_chart(reports, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(
        alt.Chart(frame, title="Tokens per day")
        .mark_line(point=points)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("tokens:Q", title="Tokens"),
            tooltip=["day:T", "tokens:Q"],
        ),
        width="stretch",
    )
    right.altair_chart(
        alt.Chart(frame, title="Cost per day (USD)")
        .mark_line(point=points)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("cost:Q", title="USD"),
            tooltip=["day:T", alt.Tooltip("cost:Q", format="$.4f")],
        ),
        width="stretch",
    )


def top_topics(figures: DashboardFigures) -> None:
    st.subheader("Most reported topics")
    if not figures.top_topics:
        st.caption("No reports in this window.")
        return
    rows = [
        {
            "topic": topic,
            "reports": count,
            "history": history_url(
                HistoryFilters(topic=topic, date_from=figures.since)
            ),
        }
        for topic, count in figures.top_topics
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "topic": st.column_config.TextColumn("Topic"),
            "reports": st.column_config.ProgressColumn(
                "Reports",
                format="%d",
                min_value=0,
                max_value=max(count for _, count in figures.top_topics),
            ),
            "history": st.column_config.LinkColumn(
                "History", display_text="Show in History"
            ),
        },
        placeholder=EMPTY_CELL,
    )


def since_text(since: date, until: date) -> str:
    return f"{since:%Y-%m-%d} to {until:%Y-%m-%d} (UTC)"
