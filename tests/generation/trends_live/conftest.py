"""Fixtures for live-trends tests: a local Google Trends and its settings.

Every test here talks to pytest-httpserver on localhost through the
GOOGLE_TRENDS_BASE_URL setting. Without the server fixture the base URL points
at a closed local port, so a test that forgets the server fails instead of
reaching Google.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gtapi_replay import CLOSED_LOCAL_URL, NID_COOKIE
from pytest_httpserver import HTTPServer
from werkzeug import Response

from generation import config
from generation.trends import transport
from generation.trends.live import LiveTrendsSource
from generation.trends.transport import TrendsTransport


@pytest.fixture(autouse=True)
def no_google(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point Trends at a closed local port; clear cool-downs; make waits short."""
    for name in ("TRENDS_HL", "TRENDS_TZ", "TRENDS_GEO", "TRENDS_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", CLOSED_LOCAL_URL)
    monkeypatch.setenv("TRENDS_RETRY_ATTEMPTS", "3")
    monkeypatch.setenv("TRENDS_RETRY_INITIAL_SECONDS", "0.01")
    monkeypatch.setenv("TRENDS_RETRY_MAX_WAIT_SECONDS", "30")
    monkeypatch.setenv("TRENDS_COOLDOWN_SECONDS", "60")
    config.get_settings.cache_clear()
    transport.reset_cooldowns()
    yield
    transport.reset_cooldowns()


@pytest.fixture
def trends_server(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[HTTPServer]:
    """The local server as GOOGLE_TRENDS_BASE_URL, answering the cookie request."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", httpserver.url_for("/").rstrip("/"))
    config.get_settings.cache_clear()
    httpserver.expect_request("/trends/explore/", method="GET").respond_with_response(
        Response("", status=200, headers={"Set-Cookie": f"NID={NID_COOKIE}; Path=/"})
    )
    yield httpserver
    httpserver.clear()


@pytest.fixture
def sleeps() -> list[float]:
    """Waits the transport asked for, recorded instead of slept."""
    return []


@pytest.fixture
def live_source(trends_server: HTTPServer, sleeps: list[float]) -> LiveTrendsSource:
    """A live source on the local server whose retries record their waits."""
    return LiveTrendsSource(
        config.get_settings(),
        transport_factory=lambda settings: TrendsTransport(
            settings, sleep=sleeps.append
        ),
    )
