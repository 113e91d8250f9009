"""The Dashboard's figures: counts, running jobs, reports, tokens and cost.

Every figure is an SQL aggregate over a window of whole UTC days, read
through indexes that hold the columns it needs, so the Dashboard costs about
the same at a hundred reports as at a hundred thousand.

Job counts go by the day a job was submitted; report, token and cost figures
by the day the report was written. History filters by submission day, so a
report whose job ran across midnight counts on the next day here.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from generation.db import get_engine
from generation.models import FINAL_STATUSES, GenerationJob, JobStatus, Report

logger = logging.getLogger(__name__)

WINDOWS: Final = (7, 30, 90, 365)
DEFAULT_WINDOW: Final = 30
TOP_TOPICS: Final = 10
MAX_RUNNING_SHOWN: Final = 20

JOBS = GenerationJob.__table__
REPORTS = Report.__table__


@dataclass(frozen=True)
class DayFigures:
    """Reports written on one UTC day, with their tokens and cost."""

    day: date
    reports: int
    tokens: int
    cost_usd: float


@dataclass(frozen=True)
class RunningJob:
    """A job running now, with its progress."""

    job_id: int
    topics: str
    progress: int
    stage: str
    message: str
    started_at: datetime | None


@dataclass(frozen=True)
class DashboardFigures:
    """Everything the Dashboard shows for one window of days."""

    since: date  # first UTC day of the window
    until: date  # last UTC day of the window, today
    status_counts: dict[JobStatus, int]  # jobs submitted in the window
    running: list[RunningJob]  # now, whatever the window
    running_count: int
    queued_count: int
    per_day: list[DayFigures]  # one entry per day of the window, oldest first
    median_seconds: float | None  # median time to write a report
    top_topics: list[tuple[str, int]]  # topic and how many reports cover it

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def total_jobs(self) -> int:
        return sum(self.status_counts.values())

    @property
    def success_rate(self) -> float | None:
        """Share of ended jobs that succeeded, from 0 to 1; None if none ended."""
        ended = sum(self.status_counts.get(status, 0) for status in FINAL_STATUSES)
        if ended == 0:
            return None
        return self.status_counts.get(JobStatus.SUCCEEDED, 0) / ended

    @property
    def reports(self) -> int:
        return sum(day.reports for day in self.per_day)

    @property
    def tokens(self) -> int:
        return sum(day.tokens for day in self.per_day)

    @property
    def cost_usd(self) -> float:
        return sum(day.cost_usd for day in self.per_day)


def running_now(engine: Engine | None = None) -> tuple[list[RunningJob], int, int]:
    """Return the running jobs with their progress, and running and queued counts."""
    with (engine or get_engine()).connect() as connection:
        return active_jobs(connection)


def dashboard_figures(
    days: int = DEFAULT_WINDOW,
    *,
    today: date | None = None,
    engine: Engine | None = None,
) -> DashboardFigures:
    """Return the Dashboard's figures for the ``days`` UTC days up to today."""
    days = max(1, min(3660, int(days)))
    until = today or datetime.now(UTC).date()
    since = until - timedelta(days=days - 1)
    start = datetime(since.year, since.month, since.day, tzinfo=UTC)
    end = start + timedelta(days=days)
    engine = engine or get_engine()
    with engine.connect() as connection:
        status_counts = _status_counts(connection, start, end)
        running, running_count, queued_count = active_jobs(connection)
        per_day = _per_day(connection, start, end, since, days)
        median = _median_seconds(connection, start, end)
        top_topics = _top_topics(connection, start, end)
    return DashboardFigures(
        since=since,
        until=until,
        status_counts=status_counts,
        running=running,
        running_count=running_count,
        queued_count=queued_count,
        per_day=per_day,
        median_seconds=median,
        top_topics=top_topics,
    )


def _status_counts(
    connection: Connection, start: datetime, end: datetime
) -> dict[JobStatus, int]:
    statement = (
        select(JOBS.c.status, func.count())
        .where(JOBS.c.created_at >= start, JOBS.c.created_at < end)
        .group_by(JOBS.c.status)
    )
    counts = {
        JobStatus(status): count for status, count in connection.execute(statement)
    }
    return {status: counts.get(status, 0) for status in JobStatus}


def active_jobs(connection: Connection) -> tuple[list[RunningJob], int, int]:
    """Return the running jobs (newest first, at most 20) and the running and queued counts."""
    counts = dict(
        connection.execute(
            select(JOBS.c.status, func.count())
            .where(JOBS.c.status.in_([JobStatus.RUNNING, JobStatus.QUEUED]))
            .group_by(JOBS.c.status)
        ).all()
    )
    statement = (
        select(
            JOBS.c.id,
            JOBS.c.topics,
            JOBS.c.progress,
            JOBS.c.stage,
            JOBS.c.message,
            JOBS.c.started_at,
        )
        .where(JOBS.c.status == JobStatus.RUNNING)
        .order_by(JOBS.c.id.desc())
        .limit(MAX_RUNNING_SHOWN)
    )
    running = [
        RunningJob(
            job_id=row.id,
            topics=row.topics,
            progress=row.progress,
            stage=row.stage,
            message=row.message or "",
            started_at=row.started_at,
        )
        for row in connection.execute(statement)
    ]
    return (
        running,
        counts.get(JobStatus.RUNNING, 0),
        counts.get(JobStatus.QUEUED, 0),
    )


def _per_day(
    connection: Connection, start: datetime, end: datetime, since: date, days: int
) -> list[DayFigures]:
    day = _utc_day(connection, REPORTS.c.created_at).label("day")
    tokens = (
        REPORTS.c.prompt_tokens + REPORTS.c.output_tokens + REPORTS.c.thinking_tokens
    )
    statement = (
        select(
            day,
            func.count(),
            func.coalesce(func.sum(tokens), 0),
            func.coalesce(func.sum(REPORTS.c.cost_usd), 0.0),
        )
        .where(REPORTS.c.created_at >= start, REPORTS.c.created_at < end)
        .group_by(day)
    )
    found = {
        _as_date(value): DayFigures(
            day=_as_date(value),
            reports=count,
            tokens=int(token_sum),
            cost_usd=float(cost_sum),
        )
        for value, count, token_sum, cost_sum in connection.execute(statement)
    }
    every_day = (since + timedelta(days=offset) for offset in range(days))
    return [found.get(day, DayFigures(day, 0, 0, 0.0)) for day in every_day]


def _median_seconds(
    connection: Connection, start: datetime, end: datetime
) -> float | None:
    in_window = (REPORTS.c.created_at >= start, REPORTS.c.created_at < end)
    count = connection.execute(
        select(func.count()).select_from(REPORTS).where(*in_window)
    ).scalar_one()
    if count == 0:
        return None
    # The middle value, or the mean of the two middle values; portable SQL,
    # since SQLite has no percentile function.
    statement = (
        select(REPORTS.c.duration_seconds)
        .where(*in_window)
        .order_by(REPORTS.c.duration_seconds)
        .limit(2 - count % 2)
        .offset((count - 1) // 2)
    )
    middle = [float(value) for (value,) in connection.execute(statement)]
    return sum(middle) / len(middle)


def _top_topics(
    connection: Connection, start: datetime, end: datetime
) -> list[tuple[str, int]]:
    # Topics are stored joined by ", " for display. Reports repeat the same
    # topic sets, so the database groups the sets and Python splits the few.
    statement = (
        select(REPORTS.c.topics, func.count())
        .where(REPORTS.c.created_at >= start, REPORTS.c.created_at < end)
        .group_by(REPORTS.c.topics)
    )
    counter: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for topics, count in connection.execute(statement):
        for topic in {part.strip() for part in (topics or "").split(", ")}:
            if topic:
                key = topic.casefold()
                spellings.setdefault(key, Counter())[topic] += count
                counter[key] += count
    # Each topic is shown as it is most often written.
    return [
        (spellings[key].most_common(1)[0][0], count)
        for key, count in counter.most_common(TOP_TOPICS)
    ]


def _utc_day(connection: Connection, column):
    if connection.dialect.name == "postgresql":
        return func.date(func.timezone("UTC", column))
    if connection.dialect.name == "sqlite":
        # Stored as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: the first ten
        # characters are the day, without parsing the time as date() would.
        return func.substr(column, 1, 10)
    return func.date(column)


def _as_date(value: date | str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
