"""Read-only lookups for the pages, the command line and the API."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation.db import get_engine, session_scope
from generation.errors import NotFound
from generation.models import Category, GenerationJob, JobEvent, JobStatus, Report

logger = logging.getLogger(__name__)


def parse_id(value: object, what: str = "job") -> int:
    """Return a positive integer id from user text, or raise ``NotFound``."""
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0 or len(text) > 18:
        raise NotFound(
            f"'{text[:40]}' is not a {what} id; a {what} id is a positive whole number."
        )
    return int(text)


def get_job(job_id: int, engine: Engine | None = None) -> GenerationJob:
    with session_scope(engine or get_engine()) as session:
        job = session.get(GenerationJob, job_id)
    if job is None:
        raise NotFound(f"There is no job {job_id}. It may have been typed wrongly.")
    return job


def job_events(job_id: int, engine: Engine | None = None) -> list[JobEvent]:
    with session_scope(engine or get_engine()) as session:
        return list(
            session.exec(
                select(JobEvent)
                .where(JobEvent.job_id == job_id)
                .order_by(col(JobEvent.id))
            ).all()
        )


def get_report(report_id: int, engine: Engine | None = None) -> Report:
    with session_scope(engine or get_engine()) as session:
        report = session.get(Report, report_id)
    if report is None:
        raise NotFound(
            f"There is no report {report_id}. It may have been typed wrongly."
        )
    return report


def list_jobs(
    limit: int = 50, offset: int = 0, engine: Engine | None = None
) -> list[GenerationJob]:
    with session_scope(engine or get_engine()) as session:
        return list(
            session.exec(
                select(GenerationJob)
                .order_by(col(GenerationJob.id).desc())
                .offset(offset)
                .limit(limit)
            ).all()
        )


def list_categories(engine: Engine | None = None) -> list[Category]:
    with session_scope(engine or get_engine()) as session:
        return list(session.exec(select(Category).order_by(col(Category.id))).all())


@dataclass(frozen=True)
class QueueState:
    running: int
    queued: int
    # 1 for the next job to start; None when the job is not queued.
    position: int | None = None


def queue_state(job_id: int | None = None, engine: Engine | None = None) -> QueueState:
    """How many jobs run and wait now, and where ``job_id`` stands in the queue."""
    with session_scope(engine or get_engine()) as session:
        counts = dict(
            session.exec(
                select(GenerationJob.status, func.count())
                .where(
                    col(GenerationJob.status).in_([JobStatus.RUNNING, JobStatus.QUEUED])
                )
                .group_by(GenerationJob.status)
            ).all()
        )
        position = None
        if job_id is not None:
            job = session.get(GenerationJob, job_id)
            if job is not None and job.status == JobStatus.QUEUED:
                ahead = session.exec(
                    select(func.count())
                    .select_from(GenerationJob)
                    .where(GenerationJob.status == JobStatus.QUEUED)
                    .where(GenerationJob.id < job_id)
                ).one()
                position = ahead + 1
    return QueueState(
        running=counts.get(JobStatus.RUNNING, 0),
        queued=counts.get(JobStatus.QUEUED, 0),
        position=position,
    )
