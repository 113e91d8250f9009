"""Every job and report: the list, one report, one job, or two side by side."""

from __future__ import annotations

import streamlit as st

from views.common import query_param_id, run_page
from views.history_list import show_history_list
from views.job_status import show_job_status
from views.report_compare import show_comparison
from views.report_page import show_report_page


def main() -> None:
    compare = st.query_params.get("compare")
    report_id = query_param_id("report")
    job_id = query_param_id("job")
    if compare:
        show_comparison(compare)
    elif report_id is not None:
        show_report_page(report_id)
    elif job_id is not None:
        st.page_link(
            "pages/history.py", label="All reports", icon=":material/arrow_back:"
        )
        st.title(f"Job {job_id}")
        show_job_status(job_id)
    else:
        show_history_list()


run_page(main)
