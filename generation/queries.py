"""Read-only lookups for the pages, the command line and the API."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation.db import get_engine, session_scope
from generation.errors import NotFound
from generation.models import Category, GenerationJob, JobEvent, JobStatus, Report

logger = logging.getLogger(__name__)


def parse_id(value: object, what: str = "job") -> int:
    """Return a positive integer id from user text, or raise ``NotFound``."""
    text = str(value).strip()
    # isdigit() alone accepts digits int() rejects, such as superscripts.
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) <= 0:
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


# Built once: building a statement costs more than running it on SQLite.
_ACTIVE_COUNTS = (
    select(GenerationJob.status, func.count())
    .where(col(GenerationJob.status).in_([JobStatus.RUNNING, JobStatus.QUEUED]))
    .group_by(GenerationJob.status)
)
_JOB_STATUS = select(GenerationJob.status).where(
    GenerationJob.id == bindparam("job_id")
)
_QUEUED_AHEAD = (
    select(func.count())
    .select_from(GenerationJob)
    .where(GenerationJob.status == JobStatus.QUEUED)
    .where(GenerationJob.id < bindparam("job_id"))
)


def queue_state(job_id: int | None = None, engine: Engine | None = None) -> QueueState:
    """Count the running and queued jobs, and find the position of ``job_id`` in the queue."""
    # The status view calls this every second for a queued job: plain column
    # reads on one connection, no ORM objects.
    with (engine or get_engine()).connect() as connection:
        counts = dict(connection.execute(_ACTIVE_COUNTS).all())
        position = None
        if job_id is not None:
            status = connection.execute(
                _JOB_STATUS, {"job_id": job_id}
            ).scalar_one_or_none()
            if status == JobStatus.QUEUED:
                ahead = connection.execute(
                    _QUEUED_AHEAD, {"job_id": job_id}
                ).scalar_one()
                position = ahead + 1
    return QueueState(
        running=counts.get(JobStatus.RUNNING, 0),
        queued=counts.get(JobStatus.QUEUED, 0),
        position=position,
    )


@dataclass(frozen=True)
class BatchProgress:
    """The jobs of one batch, in the order they were started, and their totals."""

    batch_id: str
    jobs: list[GenerationJob]

    @property
    def total(self) -> int:
        return len(self.jobs)

    @property
    def finished(self) -> int:
        return sum(1 for job in self.jobs if job.status.is_final)

    @property
    def percent(self) -> int:
        """Mean progress of the jobs, counting each ended job as complete."""
        done = [100 if job.status.is_final else job.progress for job in self.jobs]
        return round(sum(done) / len(done)) if done else 0

    def count(self, status: JobStatus) -> int:
        return sum(1 for job in self.jobs if job.status == status)


BATCH_ID_PATTERN = re.compile(r"[0-9a-f]{32}")


def batch_progress(batch_id: str, engine: Engine | None = None) -> BatchProgress:
    """Return the jobs of a batch; raises ``NotFound`` for an unknown batch id."""
    text = str(batch_id).strip()
    if not BATCH_ID_PATTERN.fullmatch(text):
        raise NotFound(
            f"'{text[:40]}' is not a batch id; a batch id is 32 letters a-f and "
            "digits, as in the address of the page that started it."
        )
    with session_scope(engine or get_engine()) as session:
        jobs = list(
            session.exec(
                select(GenerationJob)
                .where(GenerationJob.batch_id == text)
                .order_by(col(GenerationJob.id))
            ).all()
        )
    if not jobs:
        raise NotFound(f"There is no batch {text}. It may have been typed wrongly.")
    return BatchProgress(batch_id=text, jobs=jobs)
