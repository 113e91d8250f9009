"""Upload Google Trends exports as datasets, and read a dataset back."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from generation.api.context import Context, api_url
from generation.api.errors import FileTooLarge, UnsupportedUpload
from generation.api.schemas import DatasetBody, ErrorBody, as_utc
from generation.datasets import get_dataset, load_dataset, save_dataset
from generation.errors import TrendsFileError
from generation.queries import parse_id
from generation.trends.base import TrendsData
from generation.trends.csv_import import (
    MAX_UPLOAD_BYTES,
    describe_trends_data,
    merge_trends_data,
    parse_trends_csv,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["datasets"])

# An analyst combines at most a time series, a region file and two related
# lists of one comparison, so more parts than this are not one dataset.
MAX_FILES = 5
UPLOAD_FIELD = "file"

UPLOAD_SCHEMA: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [UPLOAD_FIELD],
                "properties": {
                    UPLOAD_FIELD: {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "One or more CSV files exported from "
                        "Google Trends (interest over time, by region, related "
                        "queries or topics) of one comparison.",
                    },
                    "name": {
                        "type": "string",
                        "description": "A name for the dataset; default its terms.",
                    },
                },
            }
        }
    },
}


@router.post(
    "/datasets",
    status_code=201,
    openapi_extra={"requestBody": UPLOAD_SCHEMA},
    responses={
        400: {"model": ErrorBody, "description": "Not a Google Trends export."},
        401: {"model": ErrorBody, "description": "No API token, or not a valid one."},
        413: {"model": ErrorBody, "description": "The body is over the size limit."},
        415: {"model": ErrorBody, "description": "Not multipart, or not a CSV file."},
    },
)
async def upload_dataset(
    request: Request, response: Response, context: Context
) -> DatasetBody:
    """Import Google Trends CSV exports as one dataset, as the Explore page does.

    Send the files as multipart form data in the field ``file`` (repeat it to
    combine a time series, a region file and related lists). The response
    contains the ``dataset_id`` to use in ``POST /api/generate``. Uploading the
    same data again returns the dataset stored the first time.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedUpload(
            "Send the Google Trends export as multipart/form-data, with the CSV "
            f"file in the field '{UPLOAD_FIELD}'."
        )
    try:
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES + 1)
    except StarletteHTTPException as error:
        if error.status_code == 413:
            raise
        raise TrendsFileError(
            f"The upload could not be read as a form ({error.detail}); send at "
            f"most {MAX_FILES} CSV files in the field '{UPLOAD_FIELD}'."
        ) from None
    try:
        uploads = [
            part for part in form.getlist(UPLOAD_FIELD) if isinstance(part, UploadFile)
        ]
        if not uploads:
            raise UnsupportedUpload(
                f"The form has no file in the field '{UPLOAD_FIELD}'; attach the "
                "CSV that Google Trends downloaded."
            )
        files = []
        for upload in uploads:
            filename = upload.filename or ""
            if not filename.lower().endswith(".csv"):
                raise UnsupportedUpload(
                    f"The file '{filename[:80]}' is not a CSV file; upload the CSV "
                    "that the download button of a Google Trends chart saves."
                )
            content = await upload.read()
            if len(content) > MAX_UPLOAD_BYTES:
                raise FileTooLarge(
                    f"The file '{filename[:80]}' is "
                    f"{len(content) / 1024 / 1024:.1f} MiB, larger than the "
                    f"{MAX_UPLOAD_BYTES // 1024 // 1024} MiB upload limit; upload a "
                    "single Google Trends CSV export, which is a few kilobytes."
                )
            files.append((filename, content))
        name = form.get("name")
    finally:
        await form.close()
    dataset_name = name.strip() if isinstance(name, str) else ""
    dataset_id, data = await run_in_threadpool(
        import_files, files, dataset_name, context.engine
    )
    response.headers["Location"] = api_url(
        request, "read_dataset", dataset_id=str(dataset_id)
    )
    logger.info("API upload stored dataset %s (terms %s)", dataset_id, data.terms)
    return dataset_body(dataset_id, context)


def import_files(
    files: list[tuple[str, bytes]], name: str, engine: Engine
) -> tuple[int, TrendsData]:
    """Parse the exports, combine them and store them; returns the dataset id."""
    parts = [parse_trends_csv(content, filename) for filename, content in files]
    data = merge_trends_data(parts)
    return save_dataset(data, name=name, engine=engine), data


@router.get(
    "/datasets/{dataset_id}",
    name="read_dataset",
    responses={
        401: {"model": ErrorBody, "description": "No API token, or not a valid one."},
        404: {"model": ErrorBody, "description": "No dataset has this id."},
    },
)
def read_dataset(dataset_id: str, context: Context) -> DatasetBody:
    """Return a dataset's terms, source, provenance and a summary of its data."""
    return dataset_body(parse_id(dataset_id, what="dataset"), context)


def dataset_body(dataset_id: int, context: Context) -> DatasetBody:
    row = get_dataset(dataset_id, engine=context.engine)
    data = load_dataset(dataset_id, engine=context.engine)
    return DatasetBody(
        dataset_id=dataset_id,
        name=row.name,
        source=row.source,
        provenance=row.provenance,
        terms=list(row.terms),
        query=dict(row.query),
        created_at=as_utc(row.created_at),
        description=describe_trends_data(data),
        summary=summarise(data),
    )


def summarise(data: TrendsData) -> dict[str, Any]:
    """Return what the dataset holds: its period, regions and related lists."""
    series = data.interest_over_time
    regions = data.interest_by_region
    has_series = series is not None and not series.empty
    return {
        "granularity": data.granularity or None,
        "period_start": series.index.min().date().isoformat() if has_series else None,
        "period_end": series.index.max().date().isoformat() if has_series else None,
        "points": len(series) if has_series else 0,
        "partial_last": data.partial_last,
        "geo": data.geo,
        "timeframe": data.timeframe,
        "category": data.category,
        "regions": len(regions) if regions is not None else 0,
        "region_resolution": data.region_resolution or None,
        "region_values": data.region_values,
        "related": [
            {
                "term": item.term,
                "kind": item.kind,
                "top": len(item.top),
                "rising": len(item.rising),
            }
            for item in data.related
        ],
    }
