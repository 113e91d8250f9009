"""Every job and report: a list, one report, or one job's status."""

from __future__ import annotations

import streamlit as st

from generation.queries import get_report, list_jobs
from generation.scheduling import schedule_names
from generation.text import escape_markdown
from views.common import query_param_id, run_page
from views.job_status import show_job_status
from views.report_view import show_report

PAGE_SIZE = 50


def main() -> None:
    report_id = query_param_id("report")
    job_id = query_param_id("job")
    if report_id is not None:
        report = get_report(report_id)
        st.page_link(
            "pages/history.py", label="All reports", icon=":material/arrow_back:"
        )
        st.title(escape_markdown(report.title))
        show_report(report)
    elif job_id is not None:
        st.page_link(
            "pages/history.py", label="All reports", icon=":material/arrow_back:"
        )
        st.title(f"Job {job_id}")
        show_job_status(job_id)
    else:
        _list()


def _list() -> None:
    st.title("History")
    jobs = list_jobs(limit=PAGE_SIZE)
    if not jobs:
        st.info("No reports yet. Start one on the Generate page.")
        st.page_link(
            "pages/generate.py", label="Generate a report", icon=":material/edit_note:"
        )
        return
    schedules = schedule_names({job.schedule_id for job in jobs if job.schedule_id})
    rows = [
        {
            "job": f"?job={job.id}",
            "report": f"?report={job.report_id}" if job.report_id else None,
            "status": job.status.value,
            "topics": job.topics,
            "category": job.category,
            "writer": job.writer,
            "schedule": schedules.get(job.schedule_id, ""),
            "started (UTC)": job.created_at,
        }
        for job in jobs
    ]
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "job": st.column_config.LinkColumn("Job", display_text=r"\?job=(\d+)"),
            "report": st.column_config.LinkColumn(
                "Report", display_text=r"\?report=(\d+)"
            ),
            "started (UTC)": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        },
    )


run_page(main)
