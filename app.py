"""Entry point: ``uv run streamlit run app.py`` serves the pages (and the API).

Importing this module does no UI work: Streamlit finds the ``app`` object
here and runs ``navigation.py`` for each browser session.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

import streamlit as st

from generation.api.application import api_routes
from generation.errors import InvalidSettings
from generation.logs import configure_logging
from views.access import ignore_pages_directory

# Before any session: without it, a fresh server's first request for a page
# could run that page's file directly, skipping the sign-in gate.
ignore_pages_directory()
logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(_app):
    # Start the job runner before the first page load, so interrupted jobs
    # are recovered even if nobody opens the app.
    from generation.jobs import get_runner
    from generation.scheduling import start_scheduler

    try:
        configure_logging()
        get_runner()
        start_scheduler()
    except InvalidSettings as error:
        # The pages show the same sentence; no traceback at start-up.
        logger.error("%s", error.message)
    yield


# The HTTP API is served under /api by the same server and shares the job
# runner with the pages; building it starts no threads and imports no UI.
def _routes() -> list:
    try:
        return api_routes()
    except InvalidSettings as error:
        logger.error("The HTTP API is off until this is fixed: %s", error.message)
        return []


app = st.App("navigation.py", lifespan=lifespan, routes=_routes())
