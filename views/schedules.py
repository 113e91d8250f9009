"""Schedules on the Settings page, and the next runs on the Dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st

from generation.config import get_settings
from generation.errors import UserFacingError
from generation.queries import list_categories
from generation.requests import LENGTHS, REPORT_TYPES
from generation.scheduling import (
    Timing,
    create_schedule,
    delete_schedule,
    describe_schedules,
    get_schedule,
    list_runs,
    pause_schedule,
    resume_schedule,
    run_now,
    upcoming_runs,
    update_schedule,
)
from generation.scheduling.models import Schedule
from generation.scheduling.timing import FREQUENCIES, WEEKDAY_NAMES, time_zone_names
from generation.trends.query import TIMEFRAMES
from generation.trends.samples import DEFAULT_SAMPLE_BUNDLE, list_samples
from generation.writers import writer_names
from views.common import EMPTY_CELL, runner

MESSAGE_KEY = "schedules-message"
NEW = "new"
FREQUENCY_LABELS = {
    "daily": "Daily",
    "weekdays": "Weekdays (Monday to Friday)",
    "weekly": "Weekly",
    "cron": "Cron expression",
}
SOURCE_LABELS = {
    "samples": "Bundled samples",
    "dataset": "Saved dataset",
    "live": "Live Google Trends",
}


def show_schedules() -> None:
    """Draw the Schedules section: the list, its actions, the editor and runs."""
    st.subheader("Schedules")
    st.caption(
        "A schedule generates a report again and again at set times, in its own "
        f"time zone. While the app runs it looks for due runs every "
        f"{get_settings().scheduler_interval_seconds:g} seconds; when it is not "
        "running, `python -m generation run-due` (from cron or a container "
        "scheduler) starts them. Each due time runs once, and after downtime "
        "only the latest missed one runs."
    )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.success(message, icon=":material/schedule:")
    views = describe_schedules()
    if views:
        _caught_up_notes(views)
        _schedule_table(views)
        _schedule_actions(views)
    else:
        st.info("No schedules yet. Create one below.")
    _schedule_editor(views)
    _recent_runs()


def show_scheduled_work() -> None:
    """Draw the Dashboard's part for schedules: the next runs and the alerts."""
    from views.watchlists import show_alerts

    st.divider()
    show_next_runs()
    show_alerts()


def show_next_runs() -> None:
    """Draw the next scheduled runs, for the Dashboard."""
    upcoming = upcoming_runs(limit=5)
    st.subheader("Next scheduled runs")
    if not upcoming:
        st.caption("No active schedules. Add one on the Settings page.")
        return
    st.dataframe(
        [
            {
                "Schedule": run.schedule_name,
                "Next run": format_local(run.due_at, run.timezone),
                "When": run.timing,
            }
            for run in upcoming
        ],
        hide_index=True,
        width="stretch",
        placeholder=EMPTY_CELL,
    )


def format_local(moment: datetime | None, timezone: str) -> str:
    """Return ``moment`` on the wall clock of ``timezone``, e.g. 2024-06-03 09:00 CEST."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def _caught_up_notes(views) -> None:
    for view in views:
        run = view.last_run
        if run is not None and run.caught_up_note:
            due = format_local(run.due_at, view.timezone)
            st.info(
                f"**{view.name}** ran for {due}. {run.caught_up_note}",
                icon=":material/update:",
            )


def _schedule_table(views) -> None:
    rows = []
    for view in views:
        run = view.last_run
        rows.append(
            {
                "Id": view.id,
                "Name": view.name,
                "When": view.timing,
                "Next run": "paused"
                if view.paused
                else format_local(view.next_due_at, view.timezone),
                "Last run": _describe_run(run, view.timezone) if run else "",
                "Last job": f"history?job={run.job_id}" if run and run.job_id else None,
                "Topics": view.topics,
                "Data": view.data_source,
                "Writer": view.writer,
            }
        )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "Last job": st.column_config.LinkColumn(
                "Last job", display_text=r"history\?job=(\d+)"
            )
        },
        placeholder=EMPTY_CELL,
    )


def _describe_run(run, timezone: str) -> str:
    text = f"{format_local(run.due_at, timezone)}: {run.job_status}"
    if run.error:
        text += f" ({run.error})"
    return text


def _schedule_actions(views) -> None:
    names = {view.id: view.name for view in views}
    paused = {view.id for view in views if view.paused}
    pick, run_column, pause_column, delete_column = st.columns(
        [3, 1, 1, 1], vertical_alignment="bottom"
    )
    schedule_id = pick.selectbox(
        "Schedule",
        list(names),
        format_func=lambda value: f"{value}: {names[value]}",
        key="schedule-action-target",
    )
    run_column.button(
        "Run now",
        icon=":material/play_arrow:",
        on_click=_run_now,
        args=(schedule_id,),
        key="schedule-run-now",
    )
    if schedule_id in paused:
        pause_column.button(
            "Resume",
            icon=":material/play_circle:",
            on_click=_act,
            args=(resume_schedule, schedule_id, "resumed"),
            key="schedule-resume",
        )
    else:
        pause_column.button(
            "Pause",
            icon=":material/pause_circle:",
            on_click=_act,
            args=(pause_schedule, schedule_id, "paused"),
            key="schedule-pause",
        )
    delete_column.button(
        "Delete",
        icon=":material/delete:",
        on_click=_act,
        args=(delete_schedule, schedule_id, "deleted"),
        key="schedule-delete",
    )


def _act(action, schedule_id: int, done: str) -> None:
    # Button callbacks run before the rerun, so the table shows the change.
    try:
        action(schedule_id)
    except UserFacingError as error:
        st.session_state[MESSAGE_KEY] = error.message
        return
    st.session_state[MESSAGE_KEY] = f"Schedule {schedule_id} {done}."


def _run_now(schedule_id: int) -> None:
    try:
        outcome = run_now(schedule_id, runner=runner())
    except UserFacingError as error:
        st.session_state[MESSAGE_KEY] = error.message
        return
    if outcome.job_id is None:
        st.session_state[MESSAGE_KEY] = f"The run did not start: {outcome.error}"
    else:
        st.session_state[MESSAGE_KEY] = (
            f"Schedule {schedule_id} started [job {outcome.job_id}]"
            f"(history?job={outcome.job_id})."
        )


# The editor ---------------------------------------------------------------------


def _schedule_editor(views) -> None:
    names = {view.id: view.name for view in views}
    choice = st.selectbox(
        "Create or edit",
        [NEW, *names],
        format_func=lambda value: (
            "New schedule" if value == NEW else f"Edit {value}: {names[value]}"
        ),
        key="schedule-editor-choice",
    )
    existing = None if choice == NEW else get_schedule(choice)
    # Widget keys carry the choice, so switching schedules loads its values.
    suffix = str(choice)
    with st.container(border=True):
        values = _definition_inputs(existing, suffix)
        timing = _timing_inputs(existing, suffix)
        label = "Create schedule" if existing is None else "Save changes"
        if not st.button(label, icon=":material/save:", key=f"schedule-save-{suffix}"):
            return
    try:
        if existing is None:
            schedule = create_schedule(timing=timing, **values)
            st.session_state[MESSAGE_KEY] = f"Schedule '{schedule.name}' created."
        else:
            schedule = update_schedule(existing.id, timing=timing, **values)
            st.session_state[MESSAGE_KEY] = f"Schedule '{schedule.name}' saved."
    except UserFacingError as error:
        st.error(error.message, icon=":material/error:")
        return
    st.rerun()


def _definition_inputs(existing: Schedule | None, suffix: str) -> dict[str, Any]:
    request = dict(existing.request) if existing else {}
    name = st.text_input(
        "Name",
        value=existing.name if existing else "",
        max_chars=100,
        placeholder="For example: Weight-loss drugs, every weekday",
        key=f"schedule-name-{suffix}",
    )
    rule = st.radio(
        "Topics",
        ["fixed", "trending"],
        index=1 if existing and existing.trending_geo else 0,
        format_func=lambda value: (
            "These topics"
            if value == "fixed"
            else "The top searches trending now in a country"
        ),
        horizontal=True,
        key=f"schedule-rule-{suffix}",
    )
    topics: list[str] = []
    trending_geo, trending_count = "", 0
    if rule == "fixed":
        text = st.text_input(
            "Topics, separated by commas",
            value=", ".join(request.get("topics") or []),
            key=f"schedule-topics-{suffix}",
            help="Leave empty to write about every term in the data.",
        )
        topics = [topic.strip() for topic in text.split(",") if topic.strip()]
    else:
        left, right = st.columns(2)
        trending_geo = left.text_input(
            "Country code",
            value=existing.trending_geo if existing and existing.trending_geo else "GB",
            max_chars=2,
            key=f"schedule-trending-geo-{suffix}",
            help="Google publishes trending searches per country: GB, US, DE...",
        )
        trending_count = right.number_input(
            "How many of the top searches",
            min_value=1,
            max_value=5,
            value=existing.trending_count
            if existing and existing.trending_count
            else 3,
            key=f"schedule-trending-count-{suffix}",
        )
    source_request = _source_inputs(request, rule, suffix)
    return {
        "name": name,
        "request": {
            **_report_inputs(request, suffix),
            **source_request,
            "topics": topics,
        },
        "trending_geo": trending_geo,
        "trending_count": int(trending_count),
    }


def _source_inputs(request: dict[str, Any], rule: str, suffix: str) -> dict[str, Any]:
    current = "samples"
    if request.get("trends_query") is not None:
        current = "live"
    elif request.get("dataset_id") is not None:
        current = "dataset"
    options = ["live"] if rule == "trending" else list(SOURCE_LABELS)
    source = st.radio(
        "Data",
        options,
        index=options.index(current) if current in options else 0,
        format_func=SOURCE_LABELS.get,
        horizontal=True,
        key=f"schedule-source-{suffix}-{rule}",
        help="Trending searches change daily, so they always use live data.",
    )
    if source == "samples":
        samples = {sample.name: sample.title for sample in list_samples()}
        chosen = st.multiselect(
            "Samples",
            list(samples),
            default=request.get("samples") or list(DEFAULT_SAMPLE_BUNDLE),
            format_func=samples.get,
            key=f"schedule-samples-{suffix}",
        )
        return {"samples": chosen}
    if source == "dataset":
        dataset_id = st.number_input(
            "Dataset id",
            min_value=1,
            value=int(request.get("dataset_id") or 1),
            key=f"schedule-dataset-{suffix}",
            help="The id shown when an export was imported.",
        )
        return {"dataset_id": int(dataset_id)}
    query = request.get("trends_query") or {}
    left, right = st.columns(2)
    timeframe = left.selectbox(
        "Timeframe",
        list(TIMEFRAMES),
        index=list(TIMEFRAMES).index(query.get("timeframe", "today 3-m"))
        if query.get("timeframe") in TIMEFRAMES
        else list(TIMEFRAMES).index("today 3-m"),
        key=f"schedule-timeframe-{suffix}",
    )
    geo = right.text_input(
        "Region (empty is worldwide)",
        value=query.get("geo", ""),
        key=f"schedule-geo-{suffix}",
    )
    return {"trends_query": {"timeframe": timeframe, "geo": geo}}


def _report_inputs(request: dict[str, Any], suffix: str) -> dict[str, Any]:
    categories = [category.name for category in list_categories()]
    writers = ["default", *writer_names()]
    left, middle, right, last = st.columns(4)
    category = left.selectbox(
        "Category",
        categories,
        index=_index(categories, request.get("category")),
        key=f"schedule-category-{suffix}",
    )
    writer = middle.selectbox(
        "Writer",
        writers,
        index=_index(writers, request.get("writer") or "default"),
        key=f"schedule-writer-{suffix}",
        help="'default' follows the REPORT_WRITER setting at run time.",
    )
    report_type = right.selectbox(
        "Report type",
        list(REPORT_TYPES),
        index=_index(list(REPORT_TYPES), request.get("report_type")),
        key=f"schedule-report-type-{suffix}",
    )
    length = last.selectbox(
        "Length",
        list(LENGTHS),
        index=_index(list(LENGTHS), request.get("length") or "standard"),
        key=f"schedule-length-{suffix}",
    )
    return {
        "category": category,
        "writer": None if writer == "default" else writer,
        "report_type": report_type,
        "length": length,
        "options": dict(request.get("options") or {}),
    }


def _timing_inputs(existing: Schedule | None, suffix: str) -> Timing:
    zones = time_zone_names()
    left, middle, right = st.columns(3)
    frequency = left.selectbox(
        "Runs",
        list(FREQUENCIES),
        index=_index(list(FREQUENCIES), existing.frequency if existing else "daily"),
        format_func=FREQUENCY_LABELS.get,
        key=f"schedule-frequency-{suffix}",
    )
    timezone = right.selectbox(
        "Time zone",
        zones,
        index=_index(zones, existing.timezone if existing else "UTC"),
        key=f"schedule-timezone-{suffix}",
    )
    at_time, weekday, cron = "09:00", 0, ""
    if frequency == "cron":
        cron = middle.text_input(
            "Cron expression",
            value=existing.cron if existing else "0 9 * * 1-5",
            key=f"schedule-cron-{suffix}",
            help="Five fields: minute hour day-of-month month day-of-week.",
        )
    else:
        at_time = middle.text_input(
            "At (HH:MM)",
            value=existing.at_time if existing else "09:00",
            key=f"schedule-at-{suffix}",
        )
    if frequency == "weekly":
        weekday = st.selectbox(
            "On",
            list(range(7)),
            index=existing.weekday if existing else 0,
            format_func=lambda day: WEEKDAY_NAMES[day],
            key=f"schedule-weekday-{suffix}",
        )
    return Timing(frequency, at_time, weekday, cron, timezone)


def _index(options: list[str], value: str | None) -> int:
    return options.index(value) if value in options else 0


def _recent_runs() -> None:
    runs = list_runs(limit=20)
    if not runs:
        return
    with st.expander("Recent runs"):
        st.dataframe(
            [
                {
                    "Schedule": run.schedule_id,
                    "Due (UTC)": run.due_at,
                    "Started by": "Run now" if run.trigger == "manual" else "schedule",
                    "Status": run.job_status,
                    "Job": f"history?job={run.job_id}" if run.job_id else None,
                    "Report": f"history?report={run.report_id}"
                    if run.report_id
                    else None,
                    "Topics": ", ".join(run.topics),
                    "Note": run.error or run.caught_up_note,
                }
                for run in runs
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "Due (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
                "Job": st.column_config.LinkColumn(
                    "Job", display_text=r"history\?job=(\d+)"
                ),
                "Report": st.column_config.LinkColumn(
                    "Report", display_text=r"history\?report=(\d+)"
                ),
            },
            placeholder=EMPTY_CELL,
        )
