"""Fixtures for webhook tests: a receiver on localhost that checks signatures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_httpserver import HTTPServer
from webhook_receiver import Receiver

from generation import config
from generation.jobs import _job_listeners
from generation.webhooks import stop_webhooks


@pytest.fixture(autouse=True)
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Allow the localhost receiver; short timeouts; stop the sender afterwards."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("WEBHOOK_RETRY_SECONDS", "30")
    monkeypatch.setenv("WEBHOOK_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("REPORT_WRITER", "data_brief")
    config.get_settings.cache_clear()
    listeners_before = list(_job_listeners)
    yield
    stop_webhooks()
    _job_listeners[:] = listeners_before


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Iterator[Receiver]:
    target = Receiver(httpserver)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(
        target.handle
    )
    yield target
    httpserver.clear()
