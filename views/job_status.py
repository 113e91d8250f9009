"""The live status of one job: a fragment that refreshes until the job ends."""

from __future__ import annotations

import streamlit as st

from generation.errors import InvalidRequest
from generation.models import GenerationJob, JobStatus
from generation.queries import get_job, job_events, queue_state
from generation.text import plain_markdown
from views.common import runner, sentences_for_errors

REFRESH_SECONDS = 1.0
PAGE_RUN_KEY = "job-status-page-run"
STATUS_ICONS = {
    JobStatus.QUEUED: ":material/schedule:",
    JobStatus.RUNNING: ":material/progress_activity:",
    JobStatus.SUCCEEDED: ":material/check_circle:",
    JobStatus.FAILED: ":material/error:",
    JobStatus.CANCELLED: ":material/cancel:",
    JobStatus.INTERRUPTED: ":material/report:",
    JobStatus.AWAITING_REVIEW: ":material/rate_review:",
}
OUTLINE_HELP = (
    "A line starting with '# ' for the title, then one line starting with '## ' "
    "per section, each followed by what the section should show."
)


def show_job_status(job_id: int) -> None:
    """Show the job; while it runs or queues, refresh every second on its own."""
    job = get_job(job_id)
    every = None if _is_still(job.status) else REFRESH_SECONDS
    # Marks the body's run as part of the page's run, not the fragment's own.
    st.session_state[PAGE_RUN_KEY] = True
    try:
        st.fragment(run_every=every)(_status_body)(job_id, job.status)
    finally:
        del st.session_state[PAGE_RUN_KEY]


def _status_body(job_id: int, status_when_drawn: JobStatus) -> None:
    with sentences_for_errors():
        job = get_job(job_id)
        changed = job.status != status_when_drawn and _is_still(job.status)
        if changed and not st.session_state.get(PAGE_RUN_KEY):
            # Redraw the whole page once, so the refresh stops and the
            # final actions or the outline review appear. Not during the
            # page's own run: that would drop a form the analyst just sent.
            st.rerun(scope="app")
        _draw(job)


def _is_still(status: JobStatus) -> bool:
    """Return True when the job changes only by the analyst's hand, if at all."""
    return status.is_final or status == JobStatus.AWAITING_REVIEW


def _draw(job: GenerationJob) -> None:
    icon = STATUS_ICONS.get(job.status, ":material/info:")
    with st.container(border=True):
        head, actions = st.columns([4, 1])
        head.markdown(f"#### {icon} Job {job.id}: {job.status.value}")
        head.caption(_describe_inputs(job))
        _draw_actions(job, actions)
        if job.status == JobStatus.QUEUED:
            queue = queue_state(job.id)
            where = (
                f"number {queue.position} in the queue" if queue.position else "queued"
            )
            st.info(
                f"Waiting for a free worker: this job is {where}. "
                f"{queue.running} job(s) running now on {runner().workers} worker(s).",
                icon=":material/hourglass_top:",
            )
        if not job.status.is_final or job.status == JobStatus.SUCCEEDED:
            st.progress(
                job.progress / 100, text=f"{job.progress}% · {job.stage or 'waiting'}"
            )
        if job.status == JobStatus.SUCCEEDED and job.report_id:
            # The message quotes the report's title, which the writer chose.
            st.success(plain_markdown(job.message), icon=":material/check_circle:")
            st.page_link(
                "pages/history.py",
                label=f"Read report {job.report_id}",
                icon=":material/article:",
                query_params={"report": str(job.report_id)},
            )
        elif job.status in (JobStatus.FAILED, JobStatus.INTERRUPTED):
            st.error(plain_markdown(job.error or job.message), icon=":material/error:")
        elif job.status == JobStatus.CANCELLED:
            st.warning(plain_markdown(job.message), icon=":material/cancel:")
        elif job.status == JobStatus.AWAITING_REVIEW:
            _draw_outline_review(job)
        else:
            st.caption(plain_markdown(job.message))
        if job.partial_text and job.status != JobStatus.AWAITING_REVIEW:
            label = (
                "Text so far"
                if not job.status.is_final
                else "Text written before the job ended"
            )
            with st.expander(label, expanded=not job.status.is_final):
                st.text(job.partial_text)
        with st.expander("Stage log"):
            rows = [
                {
                    "time (UTC)": event.at.strftime("%H:%M:%S"),
                    "stage": event.stage,
                    "progress": event.progress,
                    "message": event.message,
                }
                for event in job_events(job.id)
            ]
            st.dataframe(rows, hide_index=True, width="stretch")


def _draw_outline_review(job: GenerationJob) -> None:
    st.info(plain_markdown(job.message), icon=":material/rate_review:")
    usage = job.outline_usage or {}
    if usage:
        st.caption(
            f"Writing the outline took {usage.get('prompt_tokens', 0):,} prompt and "
            f"{usage.get('output_tokens', 0):,} output tokens, about "
            f"${float(usage.get('cost_usd', 0.0)):.4f}; it counts in the report's cost."
        )
    with st.form(f"outline-review-{job.id}", border=False):
        edited = st.text_area(
            "Outline", value=job.outline, height=320, help=OUTLINE_HELP
        )
        if st.form_submit_button(
            "Approve and write the sections", type="primary", icon=":material/check:"
        ):
            try:
                runner().approve_outline(job.id, edited)
            except InvalidRequest as error:
                # The analyst's text stays in the box to be fixed.
                st.error(plain_markdown(error.message), icon=":material/error:")
            else:
                st.rerun(scope="app")


def _draw_actions(job: GenerationJob, column) -> None:
    if not job.status.is_final:
        if column.button(
            "Cancel",
            key=f"cancel-{job.id}",
            icon=":material/stop_circle:",
            disabled=job.cancel_requested,
        ):
            runner().cancel(job.id)
            st.rerun(scope="app")
        if job.cancel_requested:
            column.caption("Cancelling…")
    elif job.status != JobStatus.SUCCEEDED and column.button(
        "Retry", key=f"retry-{job.id}", icon=":material/replay:"
    ):
        submission = runner().retry(job.id)
        st.query_params["job"] = str(submission.job_id)
        st.rerun(scope="app")


def _describe_inputs(job: GenerationJob) -> str:
    # Topics and category come from uploads and forms: plain text only.
    parts = [f"Category: {plain_markdown(job.category or 'All categories')}"]
    if job.topics:
        parts.append(f"Topics: {plain_markdown(job.topics)}")
    parts.append(f"Writer: {job.writer}")
    if job.model:
        parts.append(f"Model: {job.model}")
    if job.retry_of:
        parts.append(f"Retry of job {job.retry_of}")
    return " · ".join(parts)
