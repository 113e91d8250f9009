"""The topics an analyst picked on Explore, carried to the Generate form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from generation.trends.base import TrendsData

PICKED_KEY = "picked"


@dataclass
class Picked:
    dataset_id: int
    topics: list[str]
    description: str


def pick_topics(data: TrendsData, save: Callable[[], int]) -> None:
    """Let the analyst choose topics from ``data`` and take them to the form."""
    with st.container(border=True):
        st.markdown("**Pick topics for a report**")
        topics = st.multiselect(
            "Topics", data.terms, default=data.terms, key="explore-picked-topics"
        )
        if st.button(
            "Write a report on these",
            type="primary",
            icon=":material/edit_note:",
            disabled=not topics,
        ):
            st.session_state[PICKED_KEY] = Picked(
                dataset_id=save(), topics=topics, description=", ".join(data.terms)
            )
            st.switch_page("pages/generate.py")


def picked() -> Picked | None:
    return st.session_state.get(PICKED_KEY)


def forget_picked() -> None:
    st.session_state.pop(PICKED_KEY, None)
