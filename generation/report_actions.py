"""Actions on a finished report: open, delete, rerun, duplicate and compare.

Deleting is soft: the report gets ``deleted_at`` and leaves the lists and the
search, while its job stays in History marked "report deleted", so the record
of what ran, when and at what cost is never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from generation.analysis import Analysis, TermAnalysis
from generation.datasets import load_dataset
from generation.db import get_engine, session_scope
from generation.errors import InvalidRequest, NotFound
from generation.jobs import JobRunner, Submission, get_runner
from generation.models import GenerationJob, Report, utcnow
from generation.requests import parse_request
from generation.trends.base import TrendsData

logger = logging.getLogger(__name__)

# Request fields a rerun may change; the trends data it names stays the same.
EDITABLE_FIELDS = frozenset(
    {
        "category",
        "topics",
        "writer",
        "report_type",
        "length",
        "instructions",
        "language",
        "tone",
        "options",
    }
)


@dataclass(frozen=True)
class ReportContext:
    """A report with its job, the trends data it was written from and its analysis."""

    report: Report
    job: GenerationJob | None
    trends: TrendsData | None
    analysis: Analysis | None
    # Why the trends data is missing, when it is.
    trends_problem: str = ""

    @property
    def topics(self) -> list[str]:
        return [topic for topic in self.report.topics.split(", ") if topic]


@dataclass(frozen=True)
class TermComparison:
    """One term's figures in two reports."""

    term: str
    left: TermAnalysis | None
    right: TermAnalysis | None


@dataclass(frozen=True)
class ReportComparison:
    """Two reports of the same topics, side by side."""

    left: Report
    right: Report
    terms: list[TermComparison]
    # Input fields whose values differ: name -> (left value, right value).
    input_differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def get_report(
    report_id: int, *, engine: Engine | None = None, include_deleted: bool = False
) -> Report:
    """Return a report; raises ``NotFound`` if it does not exist or was deleted."""
    with session_scope(engine or get_engine()) as session:
        report = session.get(Report, report_id)
    if report is None:
        raise NotFound(f"There is no report {report_id}. Check the report id.")
    if report.deleted_at is not None and not include_deleted:
        raise NotFound(
            f"Report {report_id} was deleted on {report.deleted_at:%Y-%m-%d} "
            f"(UTC); its job {report.job_id} is still listed in History."
        )
    return report


def load_report(
    report_id: int, *, engine: Engine | None = None, include_deleted: bool = False
) -> ReportContext:
    """Return a report with its job, trends data and analysis."""
    engine = engine or get_engine()
    report = get_report(report_id, engine=engine, include_deleted=include_deleted)
    with session_scope(engine) as session:
        job = session.get(GenerationJob, report.job_id)
    trends: TrendsData | None = None
    problem = ""
    if report.dataset_id is None:
        problem = "This report has no stored trends data."
    else:
        try:
            trends = load_dataset(report.dataset_id, engine=engine)
        except NotFound as error:
            problem = error.message
    analysis = Analysis.from_json_dict(report.analysis) if report.analysis else None
    return ReportContext(
        report=report,
        job=job,
        trends=trends,
        analysis=analysis,
        trends_problem=problem,
    )


def delete_report(report_id: int, *, engine: Engine | None = None) -> bool:
    """Mark a report deleted; False if it already was. Its job stays in History."""
    with session_scope(engine or get_engine()) as session:
        report = session.get(Report, report_id)
        if report is None:
            raise NotFound(f"There is no report {report_id}. Check the report id.")
        if report.deleted_at is not None:
            return False
        # Only deleted_at changes, so the search index's update trigger,
        # which watches the text columns, does not fire.
        session.execute(
            update(Report).where(Report.id == report_id).values(deleted_at=utcnow())
        )
    logger.info("Report %s deleted (job %s kept)", report_id, report.job_id)
    return True


def duplicate_inputs(report_id: int, *, engine: Engine | None = None) -> dict[str, Any]:
    """Return the request a report was started with, to fill the form again."""
    report = get_report(report_id, engine=engine, include_deleted=True)
    inputs = dict(_original_request(report, engine))
    if inputs.get("dataset_id") is None and report.dataset_id is not None:
        inputs["dataset_id"] = report.dataset_id
    return inputs


def rerun(
    report_id: int,
    edits: dict[str, Any] | None = None,
    *,
    runner: JobRunner | None = None,
) -> Submission:
    """Start a new job with the report's inputs, optionally edited.

    The new job's ``retry_of`` is the report's job. Raises ``InvalidRequest``
    when an edit names a field that cannot change or has an invalid value.
    """
    runner = runner or get_runner()
    report = get_report(report_id, engine=runner.engine, include_deleted=True)
    request = dict(_original_request(report, runner.engine))
    unknown = sorted(set(edits or {}) - EDITABLE_FIELDS)
    if unknown:
        raise InvalidRequest(
            f"A rerun cannot change {', '.join(unknown)}; it can change "
            f"{', '.join(sorted(EDITABLE_FIELDS))}.",
            field=unknown[0],
        )
    request.update(edits or {})
    if request.get("dataset_id") is None and report.dataset_id is not None:
        # The stored dataset is exactly the data the report used, even when
        # the original request named a live query or samples.
        request.update(dataset_id=report.dataset_id, samples=[], trends_query=None)
    submission = runner.submit(parse_request(request), retry_of=report.job_id)
    logger.info(
        "Report %s rerun as job %s (edited: %s)",
        report_id,
        submission.job_id,
        ", ".join(sorted(edits or {})) or "nothing",
    )
    return submission


def compare(
    report_a: int, report_b: int, *, engine: Engine | None = None
) -> ReportComparison:
    """Return two reports of the same topics side by side.

    Raises ``InvalidRequest`` when they cover different topics, because
    their figures would then not measure the same thing.
    """
    if report_a == report_b:
        raise InvalidRequest(
            f"Both sides are report {report_a}; choose a second report to compare.",
            field="compare",
        )
    left = get_report(report_a, engine=engine)
    right = get_report(report_b, engine=engine)
    left_topics = _topic_set(left)
    right_topics = _topic_set(right)
    if left_topics != right_topics:
        raise InvalidRequest(
            f"Report {left.id} covers {left.topics or 'no topics'} but report "
            f"{right.id} covers {right.topics or 'no topics'}; choose two reports "
            "of the same topics to compare.",
            field="compare",
        )
    left_analysis = Analysis.from_json_dict(left.analysis) if left.analysis else None
    right_analysis = Analysis.from_json_dict(right.analysis) if right.analysis else None
    terms = [
        TermComparison(
            term=term,
            left=left_analysis.term(term) if left_analysis else None,
            right=right_analysis.term(term) if right_analysis else None,
        )
        for term in left.topics.split(", ")
        if term
    ]
    differences = {
        name: (left.inputs.get(name), right.inputs.get(name))
        for name in sorted(set(left.inputs) | set(right.inputs))
        if left.inputs.get(name) != right.inputs.get(name)
    }
    return ReportComparison(
        left=left, right=right, terms=terms, input_differences=differences
    )


@dataclass(frozen=True)
class ReportChoice:
    """A report offered for comparison: id, title and when it was written."""

    report_id: int
    title: str
    created_at: datetime
    writer: str
    model: str


def same_topic_reports(
    report_id: int, *, limit: int = 20, engine: Engine | None = None
) -> list[ReportChoice]:
    """Return other live reports on exactly the same topics, newest first."""
    engine = engine or get_engine()
    report = get_report(report_id, engine=engine, include_deleted=True)
    jobs, reports = GenerationJob.__table__, Report.__table__
    # The job's topics column is indexed. The report's is stored after the
    # long text columns, so reading it means reading whole reports.
    statement = (
        select(
            reports.c.id,
            reports.c.title,
            reports.c.created_at,
            reports.c.writer,
            reports.c.model,
        )
        .select_from(jobs.join(reports, reports.c.id == jobs.c.report_id))
        .where(
            jobs.c.topics == report.topics,
            jobs.c.report_id != report_id,
            reports.c.deleted_at.is_(None),
        )
        .order_by(jobs.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [
            ReportChoice(
                report_id=row.id,
                title=row.title,
                created_at=row.created_at,
                writer=row.writer,
                model=row.model,
            )
            for row in connection.execute(statement)
        ]


def _original_request(report: Report, engine: Engine | None) -> dict[str, Any]:
    """Return the job's request, or the report's copy if the job row is gone."""
    with session_scope(engine or get_engine()) as session:
        job = session.get(GenerationJob, report.job_id)
    request = job.request if job is not None and job.request else report.inputs
    # Validate and fill defaults, so the form and the runner get every field.
    return parse_request(dict(request)).model_dump(mode="json")


def _topic_set(report: Report) -> frozenset[str]:
    return frozenset(
        topic.strip().casefold() for topic in report.topics.split(",") if topic.strip()
    )
