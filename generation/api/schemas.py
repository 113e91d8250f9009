"""Request and response bodies of the HTTP API, as shown in its OpenAPI page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from generation.models import GenerationJob, JobEvent, JobStatus, Report
from generation.requests import GenerationRequest


def as_utc(moment: datetime | None) -> datetime | None:
    """Return ``moment`` with its UTC offset; SQLite returns stored UTC times naive."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class ErrorBody(BaseModel):
    """Every refusal: one sentence, and the request field it is about, if any."""

    error: str = Field(examples=["There is no job 42. Check the job id."])
    field: str | None = Field(default=None, examples=["topics"])


class GenerateBody(GenerationRequest):
    """The body of ``POST /api/generate``: the fields of the generation form.

    Name the trends data with exactly the fields you need: ``dataset_id`` (from
    ``POST /api/datasets``), ``samples`` (bundled sample names), or
    ``trends_query`` (a live query of at most five terms). Unknown fields are
    rejected, so a misspelt field is reported instead of ignored.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category": "Health",
                    "topics": ["ozempic", "wegovy"],
                    "dataset_id": 3,
                    "writer": "data_brief",
                    "report_type": "briefing",
                    "length": "short",
                }
            ]
        },
    )

    def to_request(self) -> GenerationRequest:
        return GenerationRequest.model_validate(self.model_dump())


class SubmissionBody(BaseModel):
    """The response to a submission: the job to poll."""

    job_id: int
    status: JobStatus
    # False when an identical request from moments ago returned its job.
    created: bool
    status_url: str
    retry_of: int | None = None


class EventBody(BaseModel):
    at: datetime | None
    stage: str
    progress: int
    message: str

    @classmethod
    def from_event(cls, event: JobEvent) -> EventBody:
        return cls(
            at=as_utc(event.at),
            stage=event.stage,
            progress=event.progress,
            message=event.message,
        )


class JobBody(BaseModel):
    """A job's state, as ``GET /api/status/{job_id}`` returns it."""

    job_id: int
    status: JobStatus
    # True once the status is succeeded, failed, cancelled or interrupted.
    final: bool
    progress: int = Field(description="Percent done, 0 to 100.")
    stage: str
    message: str
    error: str | None = Field(
        description="Why the job failed, as one sentence; null unless it failed."
    )
    report_id: int | None
    report_url: str | None
    # 1 for the next job to start; null unless the job is queued.
    queue_position: int | None = None
    cancel_requested: bool
    retry_of: int | None
    category: str
    topics: list[str]
    writer: str
    dataset_id: int | None
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    outline: str | None = Field(
        default=None,
        description="The outline written for review while the status is "
        "awaiting_review, then the approved one; null when the job has none.",
    )
    events: list[EventBody] | None = None

    @classmethod
    def from_job(
        cls,
        job: GenerationJob,
        *,
        report_url: str | None,
        queue_position: int | None = None,
        events: list[JobEvent] | None = None,
    ) -> JobBody:
        assert job.id is not None
        return cls(
            job_id=job.id,
            status=job.status,
            final=job.status.is_final,
            progress=job.progress,
            stage=job.stage,
            message=job.message,
            error=job.error or None,
            report_id=job.report_id,
            report_url=report_url,
            queue_position=queue_position,
            cancel_requested=job.cancel_requested,
            retry_of=job.retry_of,
            category=job.category,
            # The request keeps the list; job.topics joins it with commas, and
            # a search term may contain a comma.
            topics=list((job.request or {}).get("topics") or []),
            writer=job.writer,
            dataset_id=job.dataset_id,
            created_at=as_utc(job.created_at),
            started_at=as_utc(job.started_at),
            finished_at=as_utc(job.finished_at),
            heartbeat_at=as_utc(job.heartbeat_at),
            outline=job.outline or None,
            events=(
                None if events is None else [EventBody.from_event(e) for e in events]
            ),
        )


class JobPageBody(BaseModel):
    """One page of jobs, newest first."""

    jobs: list[JobBody]
    # Pass as ``cursor`` to get the next page; null on the last page.
    next_cursor: str | None


class OutlineBody(BaseModel):
    """The body of ``POST /api/jobs/{job_id}/outline``: the outline to write."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "outline": "# GLP-1 searches in 2025\n\n## Summary\n"
                    "## Ozempic leads\nPeaks by month.\n## What to watch\n"
                }
            ]
        },
    )

    outline: str = Field(
        description="A '# ' title line, then three to twelve '## ' section "
        "lines, each optionally followed by what the section should show."
    )


class CancelBody(BaseModel):
    job_id: int
    status: JobStatus
    cancel_requested: bool
    status_url: str


class DatasetBody(BaseModel):
    """A stored trends dataset: where it came from and what it holds."""

    dataset_id: int
    name: str
    source: str
    provenance: str
    terms: list[str]
    query: dict[str, Any]
    created_at: datetime | None
    description: str
    summary: dict[str, Any]


class TermAnalysisBody(BaseModel):
    """The figures for one term of a report's data."""

    model_config = ConfigDict(extra="allow")

    term: str
    peak_period: str | None = None
    peak_value: float | None = None
    mean: float | None = None
    latest_period: str | None = None
    latest_value: float | None = None
    direction: str = "unknown"


class AnalysisBody(BaseModel):
    model_config = ConfigDict(extra="allow")

    terms: list[TermAnalysisBody] = Field(default_factory=list)
    period_start: str | None = None
    period_end: str | None = None
    granularity: str = ""
    leader: str | None = None


class ReportBody(BaseModel):
    """A finished report, its analysis per term and how it was written."""

    report_id: int
    job_id: int
    dataset_id: int | None
    title: str
    summary: str
    body: str = Field(description="The report as Markdown.")
    category: str
    topics: list[str]
    analysis: AnalysisBody
    sources: list[dict[str, Any]]
    inputs: dict[str, Any]
    writer: str
    writer_version: str
    model: str
    prompt_tokens: int
    output_tokens: int
    thinking_tokens: int
    cost_usd: float
    timings: dict[str, float]
    duration_seconds: float
    created_at: datetime | None

    @classmethod
    def from_report(cls, report: Report) -> ReportBody:
        assert report.id is not None
        return cls(
            report_id=report.id,
            job_id=report.job_id,
            dataset_id=report.dataset_id,
            title=report.title,
            summary=report.summary,
            body=report.body,
            category=report.category,
            topics=_report_topics(report),
            analysis=AnalysisBody.model_validate(report.analysis or {}),
            sources=report.sources,
            inputs=report.inputs,
            writer=report.writer,
            writer_version=report.writer_version,
            model=report.model,
            prompt_tokens=report.prompt_tokens,
            output_tokens=report.output_tokens,
            thinking_tokens=report.thinking_tokens,
            cost_usd=report.cost_usd,
            timings=report.timings,
            duration_seconds=report.duration_seconds,
            created_at=as_utc(report.created_at),
        )


def _report_topics(report: Report) -> list[str]:
    requested = (report.inputs or {}).get("topics") or []
    if requested:
        return list(requested)
    return [item["term"] for item in (report.analysis or {}).get("terms", [])]


class HealthBody(BaseModel):
    """The health check: 200 when the database responds and the runner runs."""

    status: str = Field(examples=["ok"])
    database: bool
    executor: bool
    workers: int | None
    queued: int | None
    running: int | None
    error: str | None = None
