"""SQLModel tables: categories, trend datasets, jobs, job events and reports."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime, as SQLModel stores it."""
    return datetime.now(UTC)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    # The outline is written and the job waits, holding no worker, until the
    # analyst approves it (or cancels).
    AWAITING_REVIEW = "awaiting_review"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED}
)


class Category(SQLModel, table=True):
    """A report category, mapped to a Google Trends category id (0 = all)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    trends_category_id: int = 0


class TrendDataset(SQLModel, table=True):
    """Trends data as imported or fetched, with where it came from."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    source: str = Field(index=True)  # live, cache, file or sample
    provenance: str = Field(default="", sa_column=Column(Text))
    terms: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    query: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # TrendsData.to_json_dict(): the exact data a report was written from.
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    content_hash: str = Field(default="", index=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class GenerationJob(SQLModel, table=True):
    """One report generation: its inputs, progress and outcome."""

    id: int | None = Field(default=None, primary_key=True)
    status: JobStatus = Field(default=JobStatus.QUEUED, index=True)
    progress: int = 0  # percent, 0-100
    stage: str = ""
    message: str = Field(default="", sa_column=Column(Text))
    error: str = Field(default="", sa_column=Column(Text))
    # The request as submitted (GenerationRequest.model_dump()).
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # Hash of the normalised request, for collapsing duplicate submissions.
    request_key: str = Field(default="", index=True)
    category: str = Field(default="", index=True)
    topics: str = ""  # comma-separated, for display and filtering
    writer: str = ""
    model: str = ""
    dataset_id: int | None = Field(default=None, foreign_key="trenddataset.id")
    report_id: int | None = Field(default=None, index=True)
    retry_of: int | None = Field(default=None, foreign_key="generationjob.id")
    cancel_requested: bool = False
    # Jobs started together from one action share a batch id.
    batch_id: str = Field(default="", index=True)
    schedule_id: int | None = Field(default=None, index=True)
    # Text the writer has produced so far, shown live and kept on failure.
    partial_text: str = Field(default="", sa_column=Column(Text))
    # The outline written for the analyst's review, then the approved version.
    outline: str = Field(default="", sa_column=Column(Text))
    outline_approved: bool = False
    # Tokens and cost of the outline step, carried into the report's totals.
    outline_usage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    worker: str = ""  # host:pid of the process running the job
    created_at: datetime = Field(default_factory=utcnow, index=True)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or utcnow()
        return (end - self.started_at).total_seconds()


class JobEvent(SQLModel, table=True):
    """One entry of a job's stage log."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="generationjob.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    stage: str
    progress: int
    message: str = Field(default="", sa_column=Column(Text))


class Report(SQLModel, table=True):
    """A finished report and everything needed to reproduce it."""

    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="generationjob.id", index=True)
    dataset_id: int | None = Field(default=None, foreign_key="trenddataset.id")
    title: str
    summary: str = Field(default="", sa_column=Column(Text))
    body: str = Field(default="", sa_column=Column(Text))  # Markdown
    category: str = Field(default="", index=True)
    topics: str = ""
    # analysis.analyse(...).to_json_dict()
    analysis: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    inputs: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    writer: str = ""
    writer_version: str = ""
    model: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cost_usd: float = 0.0
    # US dollars per writing step, e.g. {"outline": 0.0004, "section 1": 0.002}.
    stage_costs: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    # What the writer sent the model (empty for the offline writer's own
    # summary), kept so a report can be reproduced.
    prompt: str = Field(default="", sa_column=Column(Text))
    # Seconds per stage, e.g. {"load data": 0.01, "write": 0.2}.
    timings: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    duration_seconds: float = 0.0
    created_at: datetime = Field(default_factory=utcnow, index=True)
    deleted_at: datetime | None = None


DEFAULT_CATEGORIES: list[tuple[str, int]] = [
    # Google Trends category ids, as used in the website's ``cat=`` parameter.
    ("All categories", 0),
    ("Arts & Entertainment", 3),
    ("Autos & Vehicles", 47),
    ("Beauty & Fitness", 44),
    ("Business & Industrial", 12),
    ("Computers & Electronics", 5),
    ("Finance", 7),
    ("Food & Drink", 71),
    ("Games", 8),
    ("Health", 45),
    ("Hobbies & Leisure", 65),
    ("Home & Garden", 11),
    ("Jobs & Education", 958),
    ("Law & Government", 19),
    ("News", 16),
    ("Online Communities", 299),
    ("People & Society", 14),
    ("Pets & Animals", 66),
    ("Real Estate", 29),
    ("Science", 174),
    ("Shopping", 18),
    ("Sports", 20),
    ("Travel", 67),
]
