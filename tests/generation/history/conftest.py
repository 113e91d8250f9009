"""Fixtures for History tests: a database of 100 000 jobs, and row factories.

The large database is built once per test session with the generator in
``benchmarks/history_data.py`` (bulk inserts, then one full-text rebuild),
and a few rows with known values are planted on top, newest of all, so the
tests can name the rows they expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from benchmarks.history_data import FillSummary, fill_history
from generation import db
from generation.models import JobStatus
from tests.generation.history.factories import NOW, add_job

LARGE_COUNT = 100_000


@dataclass(frozen=True)
class LargeHistory:
    """The 100 000-job database and the ids of the rows planted in it."""

    engine: Engine
    fill: FillSummary
    quokka_job: int
    quokka_report: int
    axolotl_job: int
    costly_job: int
    costly_report: int

    @property
    def jobs(self) -> int:
        return self.fill.jobs + 3


@pytest.fixture(scope="session")
def large_history(tmp_path_factory: pytest.TempPathFactory) -> LargeHistory:
    path = tmp_path_factory.mktemp("large-history") / "history.db"
    # An engine of its own: the per-test fixtures dispose of db's cached ones.
    engine = db._create_engine(f"sqlite:///{path}")
    fill = fill_history(engine, LARGE_COUNT, seed=11, now=NOW - timedelta(hours=1))
    quokka_job, quokka_report = add_job(
        engine,
        topics="quokka",
        category="Pets & Animals",
        created_at=NOW - timedelta(minutes=3),
        report={
            "title": "Quokka sightings draw record interest in Perth",
            "body": "# Quokka sightings\n\nSearches for the marsupial peaked in May.",
        },
    )
    axolotl_job, _ = add_job(
        engine,
        status=JobStatus.FAILED,
        topics="axolotl care",
        category="Pets & Animals",
        schedule_id=99,
        created_at=NOW - timedelta(minutes=2),
    )
    costly_job, costly_report = add_job(
        engine,
        topics="gold price",
        category="Finance",
        writer="gemini",
        model="gemini-2.5-pro",
        created_at=NOW - timedelta(minutes=1),
        run_seconds=9_999.0,
        report={"cost_usd": 99.0, "prompt_tokens": 5_000, "output_tokens": 3_000},
    )
    yield LargeHistory(
        engine=engine,
        fill=fill,
        quokka_job=quokka_job,
        quokka_report=quokka_report,
        axolotl_job=axolotl_job,
        costly_job=costly_job,
        costly_report=costly_report,
    )
    engine.dispose()
