"""End-to-end fixtures: the browser tests' Chromium and app server, reused.

``start_app`` starts ``streamlit run app.py`` on a free port with its own
SQLite file; ``browser`` and ``page`` drive headless Chromium. They are
defined once, in ``tests/browser/conftest.py``.
"""

from tests.browser.conftest import browser, page, start_app

__all__ = ["browser", "page", "start_app"]
