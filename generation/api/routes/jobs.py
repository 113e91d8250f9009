"""Start generations and follow them: generate, status, jobs, cancel, retry."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.engine import Engine

from generation.api.context import Context, api_url
from generation.api.errors import JobStateConflict
from generation.api.middleware import TOKEN_STATE_KEY
from generation.api.pagination import (
    decode_cursor,
    encode_cursor,
    list_jobs_page,
    parse_statuses,
)
from generation.api.schemas import (
    CancelBody,
    ErrorBody,
    GenerateBody,
    JobBody,
    JobPageBody,
    OutlineBody,
    SubmissionBody,
)
from generation.datasets import get_dataset
from generation.errors import InvalidRequest, NotFound
from generation.jobs import Submission
from generation.models import GenerationJob, JobStatus
from generation.queries import get_job, job_events, parse_id, queue_state
from generation.requests import GenerationRequest
from generation.trends.query import MAX_TERMS, query_from_dict

logger = logging.getLogger(__name__)

router = APIRouter(tags=["jobs"])

ERRORS = {
    401: {"model": ErrorBody, "description": "No API token, or not a valid one."},
    429: {"model": ErrorBody, "description": "Over the token's rate limit."},
}
NOT_FOUND = {404: {"model": ErrorBody, "description": "No job has this id."}}
CONFLICT = {409: {"model": ErrorBody, "description": "The job's state forbids it."}}
INVALID = {422: {"model": ErrorBody, "description": "A field is invalid."}}


def status_url(request: Request, job_id: int) -> str:
    return api_url(request, "read_status", job_id=str(job_id))


def report_url(request: Request, report_id: int | None) -> str | None:
    if report_id is None:
        return None
    return api_url(request, "read_report", report_id=str(report_id))


def check_request_data(request: GenerationRequest, engine: Engine) -> None:
    """Reject a request whose trends data cannot be loaded, before a job exists.

    The worker would fail on the same problems, but only after the client
    has started polling, so a 422 now names the field to fix. The runner's
    submit rejects unknown sample names itself; here the messages name API
    routes.
    """
    if request.dataset_id is None and not request.samples and not request.trends_query:
        raise InvalidRequest(
            "The request names no trends data: give dataset_id (an id from POST "
            "/api/datasets), samples (names of bundled samples) or trends_query "
            "(a live Google Trends query).",
        )
    if request.dataset_id is not None:
        try:
            get_dataset(request.dataset_id, engine=engine)
        except NotFound:
            raise InvalidRequest(
                f"No trends dataset has id {request.dataset_id}; upload the export "
                "with POST /api/datasets and use the dataset_id it returns.",
                field="dataset_id",
            ) from None
    if request.trends_query:
        if len(request.topics) > MAX_TERMS:
            extra = len(request.topics) - MAX_TERMS
            raise InvalidRequest(
                f"{len(request.topics)} topics were given with a live trends query; "
                f"Google Trends compares at most {MAX_TERMS} terms at once. Remove "
                f"{extra} topic{'s' if extra > 1 else ''}.",
                field="topics",
            )
        try:
            query_from_dict(request.trends_query)
        except InvalidRequest as error:
            field = f"trends_query.{error.field}" if error.field else "trends_query"
            raise InvalidRequest(error.message, field=field) from None


def submission_body(
    request: Request,
    response: Response,
    submission: Submission,
    engine: Engine,
    retry_of: int | None = None,
) -> SubmissionBody:
    job = get_job(submission.job_id, engine=engine)
    if not submission.created:
        response.status_code = 200
    return SubmissionBody(
        job_id=submission.job_id,
        status=job.status,
        created=submission.created,
        status_url=status_url(request, submission.job_id),
        retry_of=retry_of,
    )


def job_body(
    request: Request,
    job: GenerationJob,
    engine: Engine,
    *,
    with_events: bool = False,
) -> JobBody:
    position = None
    if job.status == JobStatus.QUEUED:
        position = queue_state(job.id, engine=engine).position
    return JobBody.from_job(
        job,
        report_url=report_url(request, job.report_id),
        queue_position=position,
        events=job_events(job.id, engine=engine) if with_events else None,
    )


@router.post(
    "/generate",
    status_code=202,
    responses={
        200: {
            "model": SubmissionBody,
            "description": "An identical request was submitted moments ago; "
            "its job is returned and no new job starts.",
        },
        **ERRORS,
        **INVALID,
    },
)
def generate(
    body: GenerateBody, request: Request, response: Response, context: Context
) -> SubmissionBody:
    """Start a report generation and return at once with the job to poll.

    Returns 202 with a new job. An identical request (same fields, topics in
    any order) submitted within JOB_DEDUP_SECONDS, or one still queued or
    running, gets that job back with 200 and ``created: false``, as the form
    does.
    """
    generation_request = body.to_request()
    check_request_data(generation_request, context.engine)
    submission = context.runner().submit(generation_request)
    logger.info(
        "API token %s submitted job %s (new: %s)",
        request.scope.get("state", {}).get(TOKEN_STATE_KEY),
        submission.job_id,
        submission.created,
    )
    return submission_body(request, response, submission, context.engine)


@router.get(
    "/status/{job_id}",
    name="read_status",
    responses={**ERRORS, **NOT_FOUND},
)
def read_status(
    job_id: str, request: Request, context: Context, events: bool = False
) -> JobBody:
    """Return a job's status, progress, stage, message, error and report id.

    Poll this until ``final`` is true. With ``events=true`` the stage log
    comes too.
    """
    job = get_job(parse_id(job_id), engine=context.engine)
    return job_body(request, job, context.engine, with_events=events)


@router.get("/jobs", responses={**ERRORS, **INVALID})
def list_jobs(
    request: Request,
    context: Context,
    status: Annotated[
        list[str] | None,
        Query(description="Only jobs with these statuses; repeat or comma-separate."),
    ] = None,
    created_after: Annotated[
        datetime | None,
        Query(description="Only jobs created at or after this ISO date or time."),
    ] = None,
    created_before: Annotated[
        datetime | None,
        Query(description="Only jobs created before this ISO date or time."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(description="The next_cursor of the previous page.")
    ] = None,
) -> JobPageBody:
    """List jobs, newest first, a page at a time."""
    jobs, next_id = list_jobs_page(
        engine=context.engine,
        limit=limit,
        before_id=decode_cursor(cursor) if cursor else None,
        statuses=parse_statuses(status or []),
        created_after=_as_utc(created_after),
        created_before=_as_utc(created_before),
    )
    return JobPageBody(
        jobs=[job_body(request, job, context.engine) for job in jobs],
        next_cursor=encode_cursor(next_id) if next_id is not None else None,
    )


def _as_utc(moment: datetime | None) -> datetime | None:
    """Return ``moment`` in UTC; a time without an offset is taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@router.post(
    "/jobs/{job_id}/cancel",
    status_code=202,
    responses={**ERRORS, **NOT_FOUND, **CONFLICT},
)
def cancel_job(job_id: str, request: Request, context: Context) -> CancelBody:
    """Ask a queued or running job to stop; it stops within a second.

    A queued job is cancelled at once; a running one ends as ``cancelled``
    with the text written so far kept. 409 when the job has already ended.
    """
    job_number = parse_id(job_id)
    job = get_job(job_number, engine=context.engine)
    if job.status.is_final or not context.runner().cancel(job_number):
        job = get_job(job_number, engine=context.engine)
        raise JobStateConflict(
            f"Job {job_number} has already ended ({job.status.value}); there is "
            "nothing to cancel."
        )
    job = get_job(job_number, engine=context.engine)
    return CancelBody(
        job_id=job_number,
        status=job.status,
        cancel_requested=job.cancel_requested,
        status_url=status_url(request, job_number),
    )


@router.post(
    "/jobs/{job_id}/outline",
    status_code=202,
    responses={**ERRORS, **NOT_FOUND, **CONFLICT, **INVALID},
)
def approve_outline(
    job_id: str, body: OutlineBody, request: Request, context: Context
) -> JobBody:
    """Approve the outline of a job in ``awaiting_review``, edited or as written.

    The job is queued again and writes one section per ``## `` heading. Ask
    for the review with ``"options": {"review_outline": true}`` on
    ``POST /api/generate`` (gemini writer). 409 when the job is not waiting
    for a review; 422 when the outline has fewer than three or more than
    twelve sections. Approving twice returns the job unchanged.
    """
    job_number = parse_id(job_id)
    job = get_job(job_number, engine=context.engine)
    already_approved = job.outline_approved and not job.status.is_final
    if job.status != JobStatus.AWAITING_REVIEW and not already_approved:
        raise JobStateConflict(
            f"Job {job_number} is {job.status.value}, not awaiting_review, so there "
            "is no outline to approve."
        )
    try:
        context.runner().approve_outline(job_number, body.outline)
    except InvalidRequest as error:
        if already_approved:
            raise JobStateConflict(error.message) from None
        raise
    job = get_job(job_number, engine=context.engine)
    return job_body(request, job, context.engine)


@router.post(
    "/jobs/{job_id}/retry",
    status_code=202,
    responses={
        200: {
            "model": SubmissionBody,
            "description": "This job was retried moments ago; that retry is returned.",
        },
        **ERRORS,
        **NOT_FOUND,
        **CONFLICT,
    },
)
def retry_job(
    job_id: str, request: Request, response: Response, context: Context
) -> SubmissionBody:
    """Start a new job with the inputs of an ended one, linked by ``retry_of``.

    409 while the job is still queued or running.
    """
    job_number = parse_id(job_id)
    job = get_job(job_number, engine=context.engine)
    if not job.status.is_final:
        raise JobStateConflict(
            f"Job {job_number} is still {job.status.value}; retry it once it has "
            "ended, or cancel it first."
        )
    submission = context.runner().retry(job_number)
    return submission_body(
        request, response, submission, context.engine, retry_of=job_number
    )
