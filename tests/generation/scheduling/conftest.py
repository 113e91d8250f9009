"""Fixtures for schedule, watchlist and scheduler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from scheduling_support import CLOSED_LOCAL_URL

from generation import config
from generation.scheduling import runner as scheduling_runner
from generation.trends import transport
from generation.webhooks import stop_webhooks


@pytest.fixture(autouse=True)
def no_google_and_no_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point Trends at a closed local port, fail fast, and stop started threads."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", CLOSED_LOCAL_URL)
    monkeypatch.setenv("TRENDS_RETRY_ATTEMPTS", "1")
    monkeypatch.setenv("TRENDS_TIMEOUT_SECONDS", "2")
    config.get_settings.cache_clear()
    transport.reset_cooldowns()
    yield
    scheduling_runner.stop_scheduler()
    stop_webhooks()
    transport.reset_cooldowns()


@pytest.fixture
def trends_server(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HTTPServer]:
    """A local Google Trends at GOOGLE_TRENDS_BASE_URL."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", httpserver.url_for("/").rstrip("/"))
    config.get_settings.cache_clear()
    yield httpserver
    httpserver.clear()
