"""Fixtures for the writer tests: the fake Gemini server, settings, a real brief."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from generation.analysis import analyse
from generation.config import Settings, load_settings
from generation.trends import samples
from generation.writers.base import Brief
from tests.generation.writers.gemini_fake import FAKE_KEY, FakeGemini, ProgressLog

SAMPLE_BUNDLE = [
    "weight-loss-drugs-us",
    "weight-loss-drugs-by-state",
    "ozempic-related-queries",
]


@pytest.fixture
def fake_gemini(httpserver: HTTPServer) -> FakeGemini:
    return FakeGemini(httpserver)


@pytest.fixture
def make_settings(fake_gemini: FakeGemini) -> Callable[..., Settings]:
    """Return a settings factory: the fake key and the fake server by default."""

    def build(**overrides: Any) -> Settings:
        values = {"gemini_api_key": FAKE_KEY, "gemini_base_url": fake_gemini.base_url}
        values.update(overrides)
        return load_settings({}, **values)

    return build


@pytest.fixture
def brief() -> Brief:
    """A brief on the bundled weight-loss drug exports (real Google Trends data)."""
    data = samples.load_sample_bundle(SAMPLE_BUNDLE)
    return Brief(
        category="Health",
        topics=list(data.terms),
        analysis=analyse(data),
        trends=data,
        report_type="briefing",
        length="standard",
    )


@pytest.fixture
def progress() -> ProgressLog:
    return ProgressLog()
