"""The History data generator writes rows the engine reads like its own."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from benchmarks.history_data import fill_history
from generation.analysis import Analysis
from generation.datasets import load_dataset
from generation.history import HistoryFilters, list_history
from generation.models import JobStatus
from generation.queries import get_job
from generation.report_actions import load_report

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def test_generated_rows_read_back_through_the_models(engine):
    summary = fill_history(engine, 400, seed=3, now=NOW)

    job = get_job(summary.last_job_id - 20, engine=engine)
    assert job.created_at.tzinfo is not None
    assert job.created_at < NOW
    assert isinstance(job.status, JobStatus)
    assert job.request["topics"] == job.topics.split(", ")
    report_job = next(
        get_job(job_id, engine=engine)
        for job_id in range(summary.first_job_id, summary.last_job_id)
        if get_job(job_id, engine=engine).report_id is not None
    )
    context = load_report(report_job.report_id, engine=engine)
    assert context.report.job_id == report_job.id
    assert isinstance(context.analysis, Analysis)
    assert context.trends.terms == context.report.topics.split(", ")
    assert (
        load_dataset(context.report.dataset_id, engine=engine).granularity == "weekly"
    )


def test_generated_reports_are_in_the_search_index(engine):
    fill_history(engine, 400, seed=3, now=NOW)

    with engine.connect() as connection:
        reports = connection.execute(text("SELECT count(*) FROM report")).scalar_one()
        indexed = connection.execute(
            text(
                "SELECT count(*) FROM report_search WHERE report_search MATCH 'search'"
            )
        ).scalar_one()
        trigger = connection.execute(
            text(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name = 'report_search_insert'"
            )
        ).scalar_one()
    assert indexed == reports
    assert trigger == 1


def test_generator_is_repeatable(engine, tmp_path):
    from generation.db import _create_engine, init_db

    other = init_db(_create_engine(f"sqlite:///{tmp_path / 'other.db'}"))

    fill_history(engine, 300, seed=5, now=NOW)
    fill_history(other, 300, seed=5, now=NOW)

    first = list_history(HistoryFilters(page_size=100), engine=engine)
    second = list_history(HistoryFilters(page_size=100), engine=other)
    assert [(r.job_id, r.title, r.status) for r in first.rows] == [
        (r.job_id, r.title, r.status) for r in second.rows
    ]
    other.dispose()


def test_generator_appends_after_existing_rows(engine):
    first = fill_history(engine, 200, seed=1, now=NOW)

    second = fill_history(engine, 200, seed=2, now=NOW)

    assert second.first_job_id == first.last_job_id + 1
    assert list_history(engine=engine).total == 400
