"""Explore Google Trends data: bundled samples or uploaded exports, then pick topics."""

from __future__ import annotations

import hashlib

import streamlit as st

from generation.datasets import save_dataset
from generation.errors import TrendsFileError
from generation.text import plain_markdown
from generation.trends import samples
from generation.trends.base import TrendsData
from generation.trends.csv_import import (
    describe_trends_data,
    merge_trends_data,
    parse_trends_csv,
)
from views.common import run_page
from views.live_trends import live_trends
from views.picked import pick_topics
from views.trends_view import show_trends


def main() -> None:
    st.title("Explore")
    st.caption("Look at search interest, then pick the topics for a report.")
    # A link with live terms in it (?q=...) opens on the live source.
    source = st.segmented_control(
        "Data",
        ["Samples", "Upload", "Live"],
        default="Live" if st.query_params.get_all("q") else "Samples",
        key="explore-source",
    )
    if source == "Live":
        data = live_trends()
    else:
        data = _from_samples() if source == "Samples" else _from_uploads()
    if data is None:
        return
    # Terms come from uploaded files: show them as plain text, never Markdown.
    st.subheader(plain_markdown(", ".join(data.terms)))
    st.caption(plain_markdown(describe_trends_data(data)))
    show_trends(data, key="explore", pick_related=True)
    pick_topics(data, save=lambda: save_dataset(data))


def _from_samples() -> TrendsData | None:
    options = {sample.name: sample for sample in samples.list_samples()}
    names = st.multiselect(
        "Samples of real Google Trends exports",
        list(options),
        default=list(options)[:1],
        format_func=lambda name: options[name].title,
        help="Several samples are combined, for example interest over time and by region.",
    )
    if not names:
        st.info("Pick at least one sample to see its data.")
        return None
    return samples.load_sample_bundle(names)


def _from_uploads() -> TrendsData | None:
    files = st.file_uploader(
        "Google Trends exports (CSV)",
        type=["csv"],
        accept_multiple_files=True,
        help="Download them from trends.google.com with the download arrow on each chart.",
    )
    if not files:
        st.info(
            "Upload one or more CSV files exported from Google Trends: interest over "
            "time, by region, or related queries."
        )
        return None
    parts = []
    for file in files:
        content = file.getvalue()
        cache_key = "upload-" + hashlib.sha256(content).hexdigest()
        if cache_key not in st.session_state:
            try:
                st.session_state[cache_key] = parse_trends_csv(content, file.name)
            except TrendsFileError as error:
                st.error(
                    plain_markdown(f"{file.name}: {error.message}"),
                    icon=":material/error:",
                )
                continue
        parts.append(st.session_state[cache_key])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else merge_trends_data(parts)


run_page(main)
