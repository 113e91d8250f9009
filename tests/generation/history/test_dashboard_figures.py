"""Dashboard figures over a window of days, from a database with known rows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from generation.dashboard import dashboard_figures
from generation.models import JobStatus
from tests.generation.history.factories import NOW, add_job

TODAY = NOW.date()


@pytest.fixture
def known_jobs(engine):
    """Eleven jobs over three days, and one older than the window."""
    yesterday = NOW - timedelta(days=1)
    add_job(engine, topics="pizza, bagel", run_seconds=2.0, created_at=NOW)
    add_job(engine, topics="pizza", run_seconds=4.0, created_at=NOW)
    add_job(
        engine,
        topics="Pizza, ramen",
        writer="gemini",
        model="gemini-2.5-flash",
        run_seconds=30.0,
        created_at=yesterday,
        report={"prompt_tokens": 1000, "output_tokens": 500, "cost_usd": 0.25},
    )
    add_job(
        engine,
        topics="ramen",
        writer="gemini",
        model="gemini-2.5-flash",
        run_seconds=10.0,
        created_at=yesterday,
        report={"prompt_tokens": 200, "output_tokens": 100, "cost_usd": 0.05},
    )
    add_job(engine, status=JobStatus.FAILED, created_at=NOW)
    add_job(engine, status=JobStatus.FAILED, created_at=yesterday)
    add_job(engine, status=JobStatus.CANCELLED, created_at=NOW)
    add_job(engine, status=JobStatus.INTERRUPTED, created_at=NOW - timedelta(days=2))
    add_job(engine, status=JobStatus.RUNNING, topics="matcha", created_at=NOW)
    add_job(engine, status=JobStatus.QUEUED, created_at=NOW)
    add_job(engine, status=JobStatus.QUEUED, created_at=NOW)
    add_job(engine, topics="old", created_at=NOW - timedelta(days=40))
    return engine


def test_status_counts_cover_window_only(known_jobs):
    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    assert figures.status_counts == {
        JobStatus.QUEUED: 2,
        JobStatus.RUNNING: 1,
        JobStatus.SUCCEEDED: 4,
        JobStatus.FAILED: 2,
        JobStatus.CANCELLED: 1,
        JobStatus.INTERRUPTED: 1,
        JobStatus.AWAITING_REVIEW: 0,
    }
    assert figures.total_jobs == 11


def test_success_rate_counts_ended_jobs(known_jobs):
    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    assert figures.success_rate == pytest.approx(4 / 8)


def test_running_jobs_with_progress(known_jobs):
    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    assert figures.running_count == 1
    assert figures.queued_count == 2
    assert [(job.topics, job.progress) for job in figures.running] == [("matcha", 40)]


def test_reports_tokens_and_cost_per_day(known_jobs):
    figures = dashboard_figures(3, today=TODAY, engine=known_jobs)

    assert [day.day for day in figures.per_day] == [
        TODAY - timedelta(days=2),
        TODAY - timedelta(days=1),
        TODAY,
    ]
    assert [day.reports for day in figures.per_day] == [0, 2, 2]
    assert [day.tokens for day in figures.per_day] == [0, 1800, 0]
    assert figures.per_day[1].cost_usd == pytest.approx(0.30)
    assert figures.reports == 4
    assert figures.cost_usd == pytest.approx(0.30)


def test_median_duration_of_even_count(known_jobs):
    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    # Durations 2, 4, 10 and 30 seconds: the mean of the middle two.
    assert figures.median_seconds == pytest.approx(7.0)


def test_median_duration_of_odd_count(known_jobs):
    add_job(known_jobs, run_seconds=100.0, created_at=NOW)

    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    assert figures.median_seconds == pytest.approx(10.0)


def test_top_topics_ignore_case(known_jobs):
    figures = dashboard_figures(7, today=TODAY, engine=known_jobs)

    assert figures.top_topics == [("pizza", 3), ("ramen", 2), ("bagel", 1)]


def test_empty_database_has_no_rates(engine):
    figures = dashboard_figures(30, today=date(2026, 1, 1), engine=engine)

    assert figures.total_jobs == 0
    assert figures.success_rate is None
    assert figures.median_seconds is None
    assert figures.top_topics == []
    assert len(figures.per_day) == 30
    assert figures.since == date(2025, 12, 3)
