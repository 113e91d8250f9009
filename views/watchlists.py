"""Watched terms on the Settings page, and their alerts on the Dashboard."""

from __future__ import annotations

import streamlit as st

from generation.errors import UserFacingError
from generation.queries import list_categories
from generation.trends.query import TIMEFRAMES
from generation.watchlists import (
    CHECK_INTERVALS_HOURS,
    add_watched_term,
    check_now,
    dismiss_alert,
    list_alerts,
    list_watched_terms,
    remove_watched_term,
    set_watched_term_paused,
    start_report,
)
from views.common import EMPTY_CELL, runner

MESSAGE_KEY = "watchlist-message"
ALERT_MESSAGE_KEY = "alert-message"
KIND_ICONS = {
    "jump": ":material/trending_up:",
    "breakout": ":material/rocket_launch:",
    "rising": ":material/north_east:",
}


def show_watchlists() -> None:
    """Draw the Watched terms section: add a term, the list, and its actions."""
    st.subheader("Watched terms")
    st.caption(
        "Follow a search term: a check on the same schedule as the runs reads "
        "its latest trends data and raises an alert on the Dashboard when it "
        "jumps by the set percentage, gets a Breakout related search, or gains "
        "a new rising search."
    )
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.success(message, icon=":material/visibility:")
    _add_form()
    terms = list_watched_terms()
    if not terms:
        st.info("No watched terms yet.")
        return
    st.dataframe(
        [
            {
                "Id": term.id,
                "Term": term.term,
                "Data": "live" if term.source == "live" else "saved datasets",
                "Region": term.geo or "worldwide",
                "Timeframe": term.timeframe if term.source == "live" else "",
                "Jump alert at": f"+{term.jump_percent:g}%",
                "Checked every": f"{term.check_every_hours} h",
                "Last checked (UTC)": term.last_checked_at,
                "Last value": term.last_value,
                "Last problem": term.last_error,
                "State": "paused" if term.paused else "active",
            }
            for term in terms
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "Last checked (UTC)": st.column_config.DatetimeColumn(
                format="YYYY-MM-DD HH:mm"
            )
        },
        placeholder=EMPTY_CELL,
    )
    _term_actions(terms)


def _add_form() -> None:
    with st.form("watch-term", clear_on_submit=True):
        first, second, third = st.columns(3)
        term = first.text_input("Term to follow", max_chars=100, key="watch-term-text")
        source = second.selectbox(
            "Data",
            ["live", "datasets"],
            format_func=lambda value: (
                "Live Google Trends"
                if value == "live"
                else "Newest saved dataset with the term"
            ),
            key="watch-term-source",
        )
        geo = third.text_input(
            "Region (empty is worldwide)", key="watch-term-geo", max_chars=10
        )
        fourth, fifth, sixth, seventh = st.columns(4)
        timeframe = fourth.selectbox(
            "Timeframe",
            list(TIMEFRAMES),
            index=list(TIMEFRAMES).index("today 3-m"),
            key="watch-term-timeframe",
        )
        jump = fifth.number_input(
            "Alert on a jump of (%)",
            min_value=1.0,
            max_value=10_000.0,
            value=50.0,
            key="watch-term-jump",
        )
        hours = sixth.selectbox(
            "Check every (hours)",
            list(CHECK_INTERVALS_HOURS),
            index=list(CHECK_INTERVALS_HOURS).index(24),
            key="watch-term-hours",
        )
        categories = [category.name for category in list_categories()]
        category = seventh.selectbox(
            "Category of reports", categories, key="watch-term-category"
        )
        submitted = st.form_submit_button("Watch term", icon=":material/visibility:")
    if not submitted:
        return
    try:
        watched = add_watched_term(
            term,
            source=source,
            geo=geo,
            timeframe=timeframe,
            category=category,
            jump_percent=jump,
            check_every_hours=hours,
        )
    except UserFacingError as error:
        st.error(error.message, icon=":material/error:")
        return
    st.session_state[MESSAGE_KEY] = (
        f"Watching '{watched.term}'; the first check runs within a minute."
    )
    st.rerun()


def _term_actions(terms) -> None:
    names = {term.id: term.term for term in terms}
    paused = {term.id for term in terms if term.paused}
    pick, check_column, pause_column, remove_column = st.columns(
        [3, 1, 1, 1], vertical_alignment="bottom"
    )
    term_id = pick.selectbox(
        "Watched term",
        list(names),
        format_func=lambda value: f"{value}: {names[value]}",
        key="watch-action-target",
    )
    check_column.button(
        "Check now", on_click=_check, args=(term_id,), key="watch-check-now"
    )
    if term_id in paused:
        pause_column.button(
            "Resume", on_click=_pause, args=(term_id, False), key="watch-resume"
        )
    else:
        pause_column.button(
            "Pause", on_click=_pause, args=(term_id, True), key="watch-pause"
        )
    remove_column.button(
        "Stop watching", on_click=_remove, args=(term_id,), key="watch-remove"
    )


def _check(term_id: int) -> None:
    try:
        outcome = check_now(term_id)
    except UserFacingError as error:
        st.session_state[MESSAGE_KEY] = error.message
        return
    if outcome.error:
        st.session_state[MESSAGE_KEY] = f"The check failed: {outcome.error}"
    elif outcome.alerts:
        st.session_state[MESSAGE_KEY] = " ".join(outcome.alerts)
    else:
        st.session_state[MESSAGE_KEY] = f"'{outcome.term}' checked: nothing new."


def _pause(term_id: int, paused: bool) -> None:
    set_watched_term_paused(term_id, paused)
    state = "paused" if paused else "resumed"
    st.session_state[MESSAGE_KEY] = f"Checks of watched term {term_id} {state}."


def _remove(term_id: int) -> None:
    remove_watched_term(term_id)
    st.session_state[MESSAGE_KEY] = f"Watched term {term_id} removed."


def show_alerts() -> None:
    """Draw the newest alerts with buttons to start a report or dismiss them."""
    st.subheader("Alerts on watched terms")
    message = st.session_state.pop(ALERT_MESSAGE_KEY, None)
    if message:
        st.success(message, icon=":material/edit_note:")
    alerts = list_alerts(limit=10)
    if not alerts:
        st.caption("No alerts. Follow terms in Settings to get them.")
        return
    for alert in alerts:
        with st.container(border=True):
            text, report, dismiss = st.columns([6, 1, 1], vertical_alignment="center")
            when = alert.created_at.strftime("%Y-%m-%d %H:%M UTC")
            text.markdown(f"{KIND_ICONS.get(alert.kind, '')} {alert.message}  \n{when}")
            if alert.report_id is not None:
                report.page_link(
                    "pages/history.py",
                    label="Report",
                    query_params={"report": str(alert.report_id)},
                )
            elif alert.job_id is not None:
                report.page_link(
                    "pages/history.py",
                    label=f"Job {alert.job_id}",
                    query_params={"job": str(alert.job_id)},
                )
            else:
                report.button(
                    "Report",
                    icon=":material/edit_note:",
                    on_click=_start_report,
                    args=(alert.id,),
                    key=f"alert-report-{alert.id}",
                    help="Start a report on this term from the data the check saw.",
                )
            dismiss.button(
                "Dismiss",
                on_click=dismiss_alert,
                args=(alert.id,),
                key=f"alert-dismiss-{alert.id}",
            )


def _start_report(alert_id: int) -> None:
    try:
        job_id = start_report(alert_id, runner=runner())
    except UserFacingError as error:
        st.session_state[ALERT_MESSAGE_KEY] = error.message
        return
    st.session_state[ALERT_MESSAGE_KEY] = (
        f"Report started: [job {job_id}](history?job={job_id})."
    )
