"""One report in History: its text, citations, charts, inputs and costs, the
actions on it (rerun, duplicate, delete, compare) and its downloads."""

from __future__ import annotations

import json

import streamlit as st

from generation.errors import NotFound
from generation.exports import (
    FIGURE_COLUMNS,
    MEDIA_TYPES,
    describe_report,
    export_filename,
    export_report,
    figure_row,
    input_rows,
    safe_link,
)
from generation.report_actions import (
    ReportContext,
    delete_report,
    duplicate_inputs,
    get_report,
    load_report,
    rerun,
    same_topic_reports,
)
from generation.requests import LENGTHS, REPORT_TYPES
from generation.text import escape_markdown, without_remote_images
from views.common import runner
from views.picked import PICKED_KEY, Picked
from views.trends_view import show_trends

HISTORY_PAGE = "pages/history.py"
DOWNLOADS = (
    ("md", "Markdown", ":material/description:"),
    ("html", "HTML", ":material/html:"),
    ("pdf", "PDF", ":material/picture_as_pdf:"),
    ("json", "JSON", ":material/data_object:"),
    ("zip", "Bundle (zip)", ":material/folder_zip:"),
)
CONFIRM_DELETE_KEY = "history-confirm-delete"
# A second click on a download reuses the file for this long.
EXPORT_CACHE_SECONDS = 300


def show_report_page(report_id: int) -> None:
    st.page_link(HISTORY_PAGE, label="All reports", icon=":material/arrow_back:")
    try:
        context = load_report(report_id)
    except NotFound as error:
        st.warning(error.message, icon=":material/delete:")
        report = _deleted_report(report_id)
        if report is not None:
            st.page_link(
                HISTORY_PAGE,
                label=f"Job {report.job_id}",
                icon=":material/work_history:",
                query_params={"job": str(report.job_id)},
            )
        return

    report = context.report
    st.title(escape_markdown(report.title))
    st.caption(escape_markdown(describe_report(report)))
    _actions(context)
    _downloads(context)

    text, citations, charts, inputs, costs = st.tabs(
        ["Report", "Citations", "Charts and data", "Inputs", "Writer and cost"]
    )
    with text:
        st.markdown(without_remote_images(_without_title(report.body)))
    with citations:
        _citations(report.sources)
    with charts:
        _figures(context)
        if context.trends is not None:
            show_trends(context.trends, key=f"report-{report.id}")
        else:
            st.info(context.trends_problem)
    with inputs:
        _inputs(context)
    with costs:
        _costs(context)


def _deleted_report(report_id: int):
    try:
        return get_report(report_id, include_deleted=True)
    except NotFound:
        return None


def _without_title(body: str) -> str:
    first, _, rest = body.strip().partition("\n")
    return rest.lstrip("\n") if first.startswith("# ") else body


def _actions(context: ReportContext) -> None:
    report = context.report
    rerun_column, duplicate_column, delete_column, compare_column = st.columns(4)
    if rerun_column.button("Rerun", icon=":material/replay:", key="rerun"):
        _start_rerun(report.id, None)
    if duplicate_column.button(
        "Duplicate into the form", icon=":material/content_copy:", key="duplicate"
    ):
        inputs = duplicate_inputs(report.id)
        st.session_state[PICKED_KEY] = Picked(
            dataset_id=inputs["dataset_id"],
            topics=list(inputs.get("topics") or context.topics),
            description=f"{report.topics} (from report {report.id})",
            inputs=inputs,
        )
        st.switch_page("pages/generate.py")
    if delete_column.button("Delete", icon=":material/delete:", key="delete"):
        st.session_state[CONFIRM_DELETE_KEY] = report.id
    with compare_column.popover("Compare", icon=":material/compare_arrows:"):
        _compare_picker(report.id)
    if st.session_state.get(CONFIRM_DELETE_KEY) == report.id:
        _confirm_delete(report.id, report.job_id)
    with st.expander("Rerun with changes", icon=":material/tune:"):
        _rerun_form(context)


def _start_rerun(report_id: int, edits: dict | None) -> None:
    submission = rerun(report_id, edits, runner=runner())
    st.switch_page("pages/generate.py", query_params={"job": str(submission.job_id)})


def _confirm_delete(report_id: int, job_id: int) -> None:
    with st.container(border=True):
        st.warning(
            f"Delete report {report_id}? It leaves the lists and the search; "
            f"job {job_id} stays in History, marked report deleted.",
            icon=":material/warning:",
        )
        confirm, keep = st.columns(2)
        if confirm.button("Yes, delete it", type="primary", key="delete-confirm"):
            delete_report(report_id)
            st.session_state.pop(CONFIRM_DELETE_KEY, None)
            st.toast(f"Report {report_id} deleted; job {job_id} is kept.")
            st.query_params.clear()
            st.rerun()
        if keep.button("Keep it", key="delete-cancel"):
            st.session_state.pop(CONFIRM_DELETE_KEY, None)
            st.rerun()


def _rerun_form(context: ReportContext) -> None:
    inputs = context.report.inputs or {}
    with st.form("rerun-with-changes"):
        left, middle, right = st.columns(3)
        report_type = left.selectbox(
            "Report type",
            REPORT_TYPES,
            index=_index(REPORT_TYPES, inputs, "report_type"),
        )
        length = middle.selectbox(
            "Length", LENGTHS, index=_index(LENGTHS, inputs, "length")
        )
        tone = right.text_input("Tone", value=inputs.get("tone", "neutral"))
        language = left.text_input("Language", value=inputs.get("language", "English"))
        instructions = st.text_area(
            "Notes for the writer", value=inputs.get("instructions", ""), max_chars=4000
        )
        if st.form_submit_button("Rerun with these changes", icon=":material/replay:"):
            _start_rerun(
                context.report.id,
                {
                    "report_type": report_type,
                    "length": length,
                    "tone": tone,
                    "language": language,
                    "instructions": instructions,
                },
            )


def _index(options: tuple[str, ...], inputs: dict, key: str) -> int:
    value = inputs.get(key)
    return options.index(value) if value in options else 0


def _compare_picker(report_id: int) -> None:
    choices = same_topic_reports(report_id)
    if not choices:
        st.caption("No other report covers exactly these topics.")
        return
    labels = {
        choice.report_id: f"{choice.report_id}: {choice.title[:60]} "
        f"({choice.created_at:%Y-%m-%d}, {choice.writer} {choice.model})".strip()
        for choice in choices
    }
    other = st.selectbox(
        "Report on the same topics", list(labels), format_func=labels.__getitem__
    )
    if st.button("Compare side by side", key="compare-go"):
        st.query_params.from_dict({"compare": f"{report_id},{other}"})
        st.rerun()


def _downloads(context: ReportContext) -> None:
    report = context.report
    columns = st.columns(len(DOWNLOADS))
    for column, (fmt, label, icon) in zip(columns, DOWNLOADS, strict=True):
        # Rendered only when clicked: charts take seconds to draw.
        column.download_button(
            label,
            data=lambda fmt=fmt: _export_bytes(report.id, fmt),
            file_name=export_filename(report, fmt),
            mime=MEDIA_TYPES[fmt],
            icon=icon,
            key=f"download-{fmt}",
            on_click="ignore",
        )


@st.cache_data(ttl=EXPORT_CACHE_SECONDS, max_entries=20, show_spinner=False)
def _export_bytes(report_id: int, fmt: str) -> bytes:
    return export_report(report_id, fmt).content


def _citations(sources: list[dict]) -> None:
    if not sources:
        st.info("This report cites no web sources.")
        return
    lines = []
    for number, source in enumerate(sources, start=1):
        title = escape_markdown(str(source.get("title") or source.get("uri") or ""))
        uri = safe_link(str(source.get("uri") or ""))
        if uri:
            address = uri.replace("(", "%28").replace(")", "%29")
            lines.append(f"{number}. [{title}]({address})")
        else:
            lines.append(f"{number}. {title}")
    st.markdown("\n".join(lines))


def _figures(context: ReportContext) -> None:
    if context.analysis is None or not context.analysis.terms:
        return
    st.markdown("**Key figures**")
    rows = [
        dict(zip(FIGURE_COLUMNS, figure_row(item), strict=True))
        for item in context.analysis.terms
    ]
    st.dataframe(rows, hide_index=True, width="stretch")


def _inputs(context: ReportContext) -> None:
    rows = [
        {"input": label, "value": value} for label, value in input_rows(context.report)
    ]
    st.dataframe(rows, hide_index=True, width="stretch")
    with st.expander("The request as JSON"):
        st.code(
            json.dumps(context.report.inputs, indent=2, ensure_ascii=False),
            language="json",
        )


def _costs(context: ReportContext) -> None:
    report = context.report
    first, second, third, fourth = st.columns(4)
    first.metric("Writer", f"{report.writer} {report.writer_version}".strip())
    second.metric("Model", report.model or "none")
    third.metric(
        "Tokens",
        f"{report.prompt_tokens + report.output_tokens + report.thinking_tokens:,}",
        help=f"{report.prompt_tokens:,} prompt, {report.output_tokens:,} output, "
        f"{report.thinking_tokens:,} thinking",
    )
    fourth.metric("Cost", f"${report.cost_usd:.4f}")
    timings = [
        {"stage": stage, "seconds": seconds}
        for stage, seconds in report.timings.items()
    ]
    timings.append({"stage": "total", "seconds": report.duration_seconds})
    st.dataframe(timings, hide_index=True)
    if report.stage_costs:
        st.dataframe(
            [
                {"step": step, "cost (USD)": cost}
                for step, cost in report.stage_costs.items()
            ],
            hide_index=True,
        )
    if context.job is not None and context.job.retry_of:
        st.caption(f"A rerun of job {context.job.retry_of}.")
