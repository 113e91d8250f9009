"""Helpers every page uses: the engine's runner, errors shown as sentences."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from generation.errors import UserFacingError
from generation.jobs import JobRunner, get_runner
from generation.text import plain_markdown

logger = logging.getLogger(__name__)

# Shown in table cells that have no value, where Streamlit would show "None".
EMPTY_CELL = "—"

UNEXPECTED_PAGE_ERROR = (
    "Something went wrong while showing this page ({kind}). It has been logged; "
    "reload the page, and if it happens again, report what you clicked."
)


@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """This process's job runner; creating it prepares the database."""
    return get_runner()


@contextmanager
def sentences_for_errors() -> Iterator[None]:
    """Show engine errors as their sentence and unexpected ones as a short note."""
    try:
        yield
    except UserFacingError as error:
        # Messages quote what the user typed or uploaded: show it as plain text.
        st.error(plain_markdown(error.message), icon=":material/error:")
    except Exception as error:
        if _is_streamlit_control_flow(error):
            raise
        logger.exception("Page error")
        st.error(
            UNEXPECTED_PAGE_ERROR.format(kind=type(error).__name__),
            icon=":material/error:",
        )


def run_page(main: Callable[[], None]) -> None:
    """Run a page's body so that no traceback reaches the browser."""
    with sentences_for_errors():
        main()


def _is_streamlit_control_flow(error: Exception) -> bool:
    # st.rerun(), st.stop() and st.switch_page() work by raising.
    return type(error).__module__.startswith("streamlit.")


def query_param_id(name: str) -> int | None:
    """Return a positive id from the URL, or None; a bad value gets a sentence."""
    from generation.queries import parse_id

    value = st.query_params.get(name)
    if value is None:
        return None
    try:
        return parse_id(value, what=name)
    except UserFacingError as error:
        st.warning(plain_markdown(error.message))
        return None
