"""Fixtures for the HTTP API: the API mounted under /api as the app mounts it.

Each test gets the root conftest's SQLite file and job runner; ``api_client``
serves the API on them through Starlette's test client, and ``auth`` holds
the header of a freshly created token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from generation import tokens
from generation.api.application import api_routes
from generation.config import Settings, load_settings
from generation.datasets import save_dataset
from generation.db import session_scope
from generation.models import GenerationJob, JobStatus
from generation.trends.csv_import import parse_trends_csv
from generation.trends.samples import SAMPLES_DIR

WEEKLY_EXPORT = SAMPLES_DIR / "trends_multitimeline_weekly_3terms_us_5y.csv"


def api_settings(**overrides: Any) -> Settings:
    """Return the test's settings with a rate limit no ordinary test reaches."""
    return load_settings({}, **({"API_RATE_LIMIT": 10_000} | overrides))


@pytest.fixture
def make_client(engine, runner) -> Callable[..., TestClient]:
    """Factory: a test client for the API built with these setting overrides."""

    def make(**overrides: Any) -> TestClient:
        routes = api_routes(api_settings(**overrides), runner_factory=lambda: runner)
        return TestClient(Starlette(routes=routes))

    return make


@pytest.fixture
def api_client(make_client) -> TestClient:
    return make_client()


@pytest.fixture
def new_token(engine) -> tokens.NewToken:
    return tokens.create_token("tests", engine=engine)


@pytest.fixture
def auth(new_token) -> dict[str, str]:
    return {"Authorization": f"Bearer {new_token.secret}"}


@pytest.fixture
def dataset_id(engine) -> int:
    data = parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name)
    return save_dataset(data, engine=engine)


@pytest.fixture
def add_job(engine) -> Callable[..., int]:
    """Factory: store a job row with the given fields (no worker runs it)."""

    def add(
        status: JobStatus = JobStatus.SUCCEEDED,
        created_at: datetime | None = None,
        **fields: Any,
    ) -> int:
        job = GenerationJob(
            status=status,
            request={"topics": ["ozempic"], "samples": ["weight-loss-drugs-us"]},
            topics="ozempic",
            writer="data_brief",
            **fields,
        )
        if created_at is not None:
            job.created_at = created_at
        with session_scope(engine) as session:
            session.add(job)
            session.flush()
            return job.id

    return add
