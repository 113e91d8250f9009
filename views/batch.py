"""Batches: one report per topic started in one action, and their live status.

The batch id travels in the page address (``?batch=...``), like a job id, so
a reload or a shared link shows the same batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from generation.errors import UserFacingError
from generation.models import GenerationJob, JobStatus
from generation.queries import BatchProgress, batch_progress, queue_state
from generation.text import plain_markdown
from views.common import runner, sentences_for_errors
from views.job_status import REFRESH_SECONDS, STATUS_ICONS

BATCH_PARAM = "batch"


def request_per_topic(base_request: dict[str, Any], topic: str) -> dict[str, Any]:
    """Return ``base_request`` narrowed to one topic, live query terms included."""
    request = dict(base_request)
    request["topics"] = [topic]
    if request.get("trends_query"):
        request["trends_query"] = {**request["trends_query"], "terms": [topic]}
    return request


def start_batch(topics: Sequence[str], base_request: dict[str, Any]) -> str:
    """Start one job per topic with the rest of ``base_request``; return the batch id.

    The batch id goes into this page's address. Raises ``InvalidRequest`` with
    a sentence before any job starts when a topic or the request is invalid.
    From another page, follow with
    ``st.switch_page("pages/generate.py", query_params={"batch": batch_id})``.
    """
    requests = [request_per_topic(base_request, topic) for topic in topics]
    batch_id = runner().submit_batch(requests)
    st.query_params.pop("job", None)
    st.query_params[BATCH_PARAM] = batch_id
    return batch_id


def batch_from_address() -> str | None:
    """Return the batch id in the page address, or None when there is none."""
    value = st.query_params.get(BATCH_PARAM)
    return value.strip() if value else None


def show_batch_status(batch_id: str) -> None:
    """Show a batch's overall progress and each job; refresh until all have ended."""
    try:
        batch = batch_progress(batch_id)
    except UserFacingError as error:
        st.warning(plain_markdown(error.message), icon=":material/warning:")
        return
    every = None if batch.finished == batch.total else REFRESH_SECONDS
    st.fragment(run_every=every)(_batch_body)(batch_id, batch.finished)


def _batch_body(batch_id: str, finished_when_drawn: int) -> None:
    with sentences_for_errors():
        batch = batch_progress(batch_id)
        if batch.finished == batch.total and finished_when_drawn != batch.total:
            # Redraw the whole page once, so the refresh stops.
            st.rerun(scope="app")
        _draw(batch)


def _draw(batch: BatchProgress) -> None:
    with st.container(border=True):
        head, actions = st.columns([4, 1])
        head.markdown(f"#### :material/stacks: Batch of {batch.total} reports")
        head.caption(_summary(batch))
        active = [job for job in batch.jobs if not job.status.is_final]
        if active and actions.button(
            "Cancel all",
            key=f"cancel-batch-{batch.batch_id}",
            icon=":material/stop_circle:",
            help="Stop every job of this batch that has not ended.",
        ):
            for job in active:
                runner().cancel(job.id)
            st.rerun()
        st.progress(
            batch.percent / 100,
            text=f"{batch.percent}% · {batch.finished} of {batch.total} ended",
        )
        queue = queue_state()
        if batch.count(JobStatus.QUEUED):
            st.caption(
                f"{queue.running} job(s) running now on {runner().workers} "
                f"worker(s); {queue.queued} waiting for a free worker."
            )
        for job in batch.jobs:
            _draw_job(job)


def _draw_job(job: GenerationJob) -> None:
    icon = STATUS_ICONS.get(job.status, ":material/info:")
    name, bar, link, action = st.columns([3, 3, 1, 1], vertical_alignment="center")
    name.markdown(f"{icon} **Job {job.id}** · {plain_markdown(job.topics)}")
    if job.status.is_final:
        bar.caption(f"{job.status.value}: {plain_markdown(job.message)}")
    else:
        bar.progress(job.progress / 100, text=f"{job.progress}% · {job.status.value}")
    link.page_link(
        "pages/generate.py",
        label="Open",
        icon=":material/open_in_new:",
        query_params={"job": str(job.id)},
    )
    if not job.status.is_final and action.button(
        "Cancel",
        key=f"batch-cancel-{job.id}",
        icon=":material/stop_circle:",
        disabled=job.cancel_requested,
    ):
        runner().cancel(job.id)
        st.rerun()


def _summary(batch: BatchProgress) -> str:
    parts = []
    for status in JobStatus:
        count = batch.count(status)
        if count:
            parts.append(f"{count} {status.value}")
    return " · ".join(parts)
