"""Rows for History tests, inserted the way the job runner leaves them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from generation import db
from generation.models import GenerationJob, JobStatus, Report

# Fixed, so generated and planted rows never depend on the clock.
NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def add_job(
    engine: Engine,
    *,
    status: JobStatus = JobStatus.SUCCEEDED,
    topics: str = "lasagne",
    category: str = "Food & Drink",
    writer: str = "data_brief",
    model: str = "",
    created_at: datetime | None = None,
    run_seconds: float = 1.5,
    schedule_id: int | None = None,
    report: dict[str, Any] | None = None,
) -> tuple[int, int | None]:
    """Insert a job (and its report, for a succeeded job); return both ids."""
    created_at = created_at or NOW
    started = created_at + timedelta(seconds=1)
    finished = started + timedelta(seconds=run_seconds) if status.is_final else None
    request = {"category": category, "topics": topics.split(", "), "writer": writer}
    with db.session_scope(engine) as session:
        job = GenerationJob(
            status=status,
            request=request,
            category=category,
            topics=topics,
            writer=writer,
            model=model,
            schedule_id=schedule_id,
            created_at=created_at,
            started_at=started if status != JobStatus.QUEUED else None,
            finished_at=finished,
            progress=100 if status == JobStatus.SUCCEEDED else 40,
        )
        session.add(job)
        session.flush()
        report_id = None
        if status == JobStatus.SUCCEEDED:
            values = {
                "title": f"Report on {topics}",
                "summary": f"Search interest in {topics}.",
                "body": f"# Report on {topics}\n\nInterest in {topics} rose.",
                "cost_usd": 0.0,
                "duration_seconds": run_seconds,
            }
            values.update(report or {})
            row = Report(
                job_id=job.id,
                category=category,
                topics=topics,
                writer=writer,
                model=model,
                inputs=request,
                created_at=finished or created_at,
                **values,
            )
            session.add(row)
            session.flush()
            job.report_id = report_id = row.id
        return job.id, report_id
