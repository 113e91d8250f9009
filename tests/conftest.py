"""Fixtures shared by every test: an isolated database and settings per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from generation import config, db, jobs

# Settings a developer's shell or secrets file could set; tests start without them.
ISOLATED_VARIABLES = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "GEMINI_MODEL",
    "REPORT_WRITER",
    "GOOGLE_TRENDS_BASE_URL",
    "LOG_FILE",
    "APP_PASSWORD_HASH",
    "SIGN_IN_DELAY_SECONDS",
    "WRITER_PLUGINS",
)

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def isolated_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Give each test its own SQLite file and no keys, secrets or runner."""
    for name in ISOLATED_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'test.db'}")
    monkeypatch.setattr(config, "SECRETS_FILE", tmp_path / "no-secrets.toml")
    config.get_settings.cache_clear()
    yield
    st.cache_resource.clear()
    if jobs._runner is not None:
        jobs._runner.shutdown(wait=True)
        jobs._runner = None
    config.get_settings.cache_clear()
    for engine in db._engines.values():
        engine.dispose()
    db._engines.clear()


@pytest.fixture
def engine():
    return db.init_db(db.get_engine())


@pytest.fixture
def runner(engine) -> jobs.JobRunner:
    return jobs.get_runner()


@pytest.fixture(autouse=True)
def navigation_as_in_the_app(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run AppTest the way app.py runs the server: navigation.py on every run.

    app.py turns off Streamlit's old pages/ folder mode once at start-up
    (views.access.ignore_pages_directory). AppTest turns it back on before
    each run, and would then run a page file directly, skipping navigation.py
    and its sign-in gate. Each AppTest run re-applies the app's choice.
    """
    original_init = PagesManager.__init__

    def init_without_pages_directory(self, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_directory)
    # views.common.runner() is an st.cache_resource; an earlier test's runner
    # points at that test's database.
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()
    PagesManager.uses_pages_directory = None
