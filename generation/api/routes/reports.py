"""Read a finished report as JSON or as a Markdown, HTML or PDF document."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from generation.api.context import Context
from generation.api.schemas import ErrorBody, ReportBody
from generation.errors import NotFound
from generation.exports import export_report
from generation.models import Report
from generation.queries import get_report, parse_id

router = APIRouter(tags=["reports"])

ReportFormat = Literal["json", "md", "html", "pdf"]


@router.get(
    "/reports/{report_id}",
    name="read_report",
    response_model=ReportBody,
    responses={
        200: {
            "content": {
                "text/markdown": {},
                "text/html": {},
                "application/pdf": {},
            },
            "description": "The report as JSON, or as a document with ?format=.",
        },
        401: {"model": ErrorBody, "description": "No API token, or not a valid one."},
        404: {"model": ErrorBody, "description": "No report has this id."},
    },
)
def read_report(
    report_id: str,
    context: Context,
    format: Annotated[
        ReportFormat,
        Query(
            description="json (default), or md, html or pdf for the document "
            "as the History page exports it."
        ),
    ] = "json",
) -> ReportBody | Response:
    """Return a report with its analysis per term (peak period, peak value, ...)."""
    report = find_report(parse_id(report_id, what="report"), context)
    if format != "json":
        return document_response(report, format, context)
    return ReportBody.from_report(report)


def find_report(report_id: int, context: Context) -> Report:
    report = get_report(report_id, engine=context.engine)
    if report.deleted_at is not None:
        raise NotFound(f"Report {report_id} has been deleted.")
    return report


def document_response(report: Report, format: str, context: Context) -> Response:
    assert report.id is not None
    exported = export_report(report.id, format, engine=context.engine)
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'inline; filename="{exported.filename}"'},
    )
