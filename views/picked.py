"""The topics an analyst picked on Explore, carried to the Generate form.

The topics start as the data's terms; related and rising searches can be
added from the tables of ``views.trends_view``. They are kept per browser tab
in session state and start again when the data's terms change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from generation.requests import MAX_TOPICS
from generation.trends.base import TrendsData

PICKED_KEY = "picked"
TOPICS_KEY = "explore-picked-topics"
# The data's terms the topics were started from, and the searches added since.
_TERMS_KEY = "explore-picked-terms"
_ADDED_KEY = "explore-picked-added"
_NOTICE_KEY = "explore-picked-notice"


@dataclass
class Picked:
    dataset_id: int
    topics: list[str]
    description: str
    # Other form inputs to start from (a report duplicated from History).
    inputs: dict[str, Any] = field(default_factory=dict)


def pick_topics(data: TrendsData, save: Callable[[], int]) -> None:
    """Let the analyst choose topics from ``data`` and take them to the form."""
    if (
        st.session_state.get(_TERMS_KEY) != data.terms
        or TOPICS_KEY not in st.session_state
    ):
        st.session_state[_TERMS_KEY] = list(data.terms)
        st.session_state[_ADDED_KEY] = []
        st.session_state[TOPICS_KEY] = list(data.terms[:MAX_TOPICS])
    with st.container(border=True):
        st.markdown("**Pick topics for a report**")
        notice = st.session_state.pop(_NOTICE_KEY, None)
        if notice:
            st.info(notice)
        topics = st.multiselect(
            "Topics",
            [*data.terms, *st.session_state[_ADDED_KEY]],
            key=TOPICS_KEY,
            max_selections=MAX_TOPICS,
            help="The data's terms, and related searches added from the tables above.",
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


def add_picked_topics(labels: list[str]) -> None:
    """Add related searches to the picked topics (a button's callback)."""
    terms = list(st.session_state.get(_TERMS_KEY) or [])
    added = list(st.session_state.get(_ADDED_KEY) or [])
    topics = list(st.session_state.get(TOPICS_KEY) or [])
    options = {option.casefold(): option for option in [*terms, *added]}
    left_out = []
    for label in labels:
        option = options.get(label.casefold())
        if option is None:
            added.append(label)
            options[label.casefold()] = option = label
        if option in topics:
            continue
        if len(topics) >= MAX_TOPICS:
            left_out.append(label)
            continue
        topics.append(option)
    if left_out:
        st.session_state[_NOTICE_KEY] = (
            f"A report takes at most {MAX_TOPICS} topics, so {', '.join(left_out)} "
            "were not added; remove a topic to make room."
        )
    st.session_state[_ADDED_KEY] = added
    st.session_state[TOPICS_KEY] = topics


def picked() -> Picked | None:
    return st.session_state.get(PICKED_KEY)


def forget_picked() -> None:
    st.session_state.pop(PICKED_KEY, None)
