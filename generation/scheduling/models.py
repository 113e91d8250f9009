"""Tables of scheduled generations: the schedules and each run they started."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from generation.models import utcnow


class Schedule(SQLModel, table=True):
    """A report that is generated again and again at set times."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    # A GenerationRequest as a dict, without topics when they come from trending
    # searches. When it has a trends_query, its terms are the run's topics.
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # When trending_geo is set, each run writes about the top trending_count
    # searches trending now in that region (empty string: fixed topics).
    trending_geo: str = ""
    trending_count: int = 0
    frequency: str = "daily"  # daily, weekdays, weekly or cron
    at_time: str = "09:00"
    weekday: int = 0  # 0 is Monday
    cron: str = ""
    timezone: str = "UTC"
    paused: bool = False
    # Due times after this moment are owed a run: set on creation and on resume,
    # so a paused schedule does not catch up on the time it was paused.
    active_since: datetime = Field(default_factory=utcnow)
    last_due_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = Field(default=None, index=True)


class ScheduleRun(SQLModel, table=True):
    """One due time of a schedule that was taken, and the job it started.

    The unique key on (schedule_id, due_at) is what makes a due time run once
    when several processes look for due runs at the same moment.
    """

    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    schedule_id: int = Field(foreign_key="schedule.id", index=True)
    due_at: datetime
    trigger: str = "schedule"  # schedule, or manual for "run now"
    # Earlier due times missed while nothing was running, caught up by this run.
    skipped_due_times: int = 0
    skipped_capped: bool = False
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    job_id: int | None = Field(default=None, foreign_key="generationjob.id")
    error: str = Field(default="", sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
