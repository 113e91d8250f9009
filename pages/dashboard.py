"""An overview of the jobs and reports."""

from __future__ import annotations

import streamlit as st

from generation.models import JobStatus
from generation.queries import list_jobs, queue_state
from views.common import run_page
from views.schedules import show_scheduled_work


def main() -> None:
    st.title("Dashboard")
    queue = queue_state()
    jobs = list_jobs(limit=500)
    finished = [job for job in jobs if job.status == JobStatus.SUCCEEDED]
    failed = [job for job in jobs if job.status == JobStatus.FAILED]
    cols = st.columns(4)
    cols[0].metric("Running now", queue.running)
    cols[1].metric("Queued", queue.queued)
    cols[2].metric("Reports", len(finished))
    cols[3].metric("Failed", len(failed))
    if not jobs:
        st.info("Nothing here yet. Explore some trends data, then generate a report.")
        st.page_link(
            "pages/explore.py", label="Explore trends", icon=":material/query_stats:"
        )
    show_scheduled_work()


run_page(main)
