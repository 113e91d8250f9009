"""The Streamlit script run for each browser session: navigation and access."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from generation.errors import InvalidSettings
from generation.logs import configure_logging
from views.access import gated_navigation
from views.common import runner

# A file, not a Material icon name: the browser fetches those from Google's
# font servers, and the app must work with no network.
PAGE_ICON = Path(__file__).parent / "views" / "assets" / "favicon.png"

st.set_page_config(page_title="Trend Reports", page_icon=str(PAGE_ICON), layout="wide")
try:
    configure_logging()
    # Creating the runner prepares the database and recovers interrupted jobs.
    runner()
except InvalidSettings as error:
    st.error(error.message, icon=":material/settings:")
    st.stop()

pages = [
    st.Page(
        "pages/dashboard.py",
        title="Dashboard",
        icon=":material/dashboard:",
        default=True,
    ),
    st.Page("pages/explore.py", title="Explore", icon=":material/query_stats:"),
    st.Page("pages/generate.py", title="Generate", icon=":material/edit_note:"),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]
# Until the visitor is signed in, every page shows the sign-in form instead.
gated_navigation(pages).run()
