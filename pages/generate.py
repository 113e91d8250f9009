"""Start a report generation and watch it run."""

from __future__ import annotations

import streamlit as st

from generation.config import get_settings
from generation.errors import InvalidRequest
from generation.queries import list_categories
from generation.requests import LENGTHS, REPORT_TYPES
from generation.text import plain_markdown
from generation.trends import samples
from generation.writers import writer_names
from views.batch import batch_from_address, show_batch_status, start_batch
from views.common import query_param_id, run_page, runner
from views.gemini_form import gemini_inputs, show_cost_estimate
from views.job_status import show_job_status
from views.picked import forget_picked, picked

REPORT_TYPE_LABELS = {
    "briefing": "Briefing",
    "market_opportunity": "Market opportunity",
    "content_plan": "Content plan",
    "competitor_comparison": "Competitor comparison",
}
TONES = ["neutral", "executive", "friendly", "technical"]


def main() -> None:
    st.title("Generate a report")
    job_id = query_param_id("job")
    if job_id is not None:
        show_job_status(job_id)
        if st.button("New generation", icon=":material/add:"):
            del st.query_params["job"]
            st.rerun()
        st.divider()
    batch_id = batch_from_address()
    if batch_id is not None:
        show_batch_status(batch_id)
        st.divider()
    _form()


def _form() -> None:
    chosen = picked()
    sample_names: list[str] = []
    if chosen:
        st.info(
            f"Data picked on Explore: {plain_markdown(chosen.description)}.",
            icon=":material/query_stats:",
        )
        if st.button("Use other data", icon=":material/close:"):
            forget_picked()
            st.rerun()
        terms = chosen.topics
    else:
        options = {sample.name: sample for sample in samples.list_samples()}
        sample_names = st.multiselect(
            "Trends data",
            list(options),
            default=list(options)[:1],
            format_func=lambda name: options[name].title,
            help="Bundled samples of real exports. Upload your own on Explore.",
        )
        terms = samples.load_sample_bundle(sample_names).terms if sample_names else []

    settings = get_settings()
    categories = [category.name for category in list_categories()]
    writers = writer_names()
    # A report duplicated from History brings all its inputs as the start.
    start = chosen.inputs if chosen else {}
    default_writer = start.get("writer") or settings.effective_writer
    with st.form("generate"):
        topics = st.multiselect(
            "Topics",
            terms,
            default=terms,
            help="The terms of the data the report is about.",
        )
        category = st.selectbox(
            "Category", categories, index=_index(categories, start.get("category"))
        )
        left, middle, right = st.columns(3)
        report_type = left.selectbox(
            "Report type",
            REPORT_TYPES,
            index=_index(REPORT_TYPES, start.get("report_type")),
            format_func=REPORT_TYPE_LABELS.__getitem__,
        )
        length = middle.selectbox(
            "Length", LENGTHS, index=_index(LENGTHS, start.get("length") or "standard")
        )
        tone = right.selectbox("Tone", TONES, index=_index(TONES, start.get("tone")))
        left, right = st.columns(2)
        writer = left.selectbox(
            "Writer",
            writers,
            index=_index(writers, default_writer),
            help="data_brief works offline from the trends data; gemini needs an API key.",
        )
        language = right.text_input(
            "Language", value=start.get("language") or "English", max_chars=40
        )
        instructions = st.text_area(
            "Notes for the writer (optional)",
            value=start.get("instructions") or "",
            max_chars=4000,
            placeholder="For example: the audience is the product team; stress seasonality.",
        )
        one_per_topic = st.checkbox(
            "One report per topic",
            help="Start a separate job for each topic; each can be followed and "
            "cancelled on its own.",
        )
        gemini_options = gemini_inputs(settings)
        submitted = st.form_submit_button(
            "Start generation", type="primary", icon=":material/play_arrow:"
        )
        estimate = st.form_submit_button("Estimate cost", icon=":material/payments:")
    if not (submitted or estimate):
        return
    request = {
        "category": category,
        "topics": topics,
        "dataset_id": chosen.dataset_id if chosen else None,
        "samples": sample_names,
        "writer": writer,
        "report_type": report_type,
        "length": length,
        "tone": tone,
        "language": language,
        "instructions": instructions,
    }
    if writer == "gemini":
        request["options"] = gemini_options
    if estimate:
        show_cost_estimate(request, settings)
        return
    if not topics:
        st.error("Pick at least one topic, then start the generation again.")
        return
    if one_per_topic and len(topics) > 1:
        try:
            start_batch(topics, request)
        except InvalidRequest as error:
            st.error(error.message, icon=":material/error:")
            return
        st.rerun()
    try:
        submission = runner().submit(request)
    except InvalidRequest as error:
        st.error(error.message, icon=":material/error:")
        return
    st.query_params.pop("batch", None)
    st.query_params["job"] = str(submission.job_id)
    if not submission.created:
        st.toast(
            f"The same request was sent moments ago; showing job {submission.job_id}."
        )
    st.rerun()


def _index(options, value) -> int:
    """Position of ``value`` among ``options``, or the first when it is not there."""
    options = list(options)
    return options.index(value) if value in options else 0


run_page(main)
