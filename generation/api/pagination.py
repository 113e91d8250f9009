"""Listing jobs a page at a time with an opaque cursor.

The cursor carries the id of the last job on the page. Jobs are listed by id,
newest first, so a job created while a client pages through the list never
shifts the pages the way an offset would.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation.db import session_scope
from generation.errors import InvalidRequest
from generation.models import GenerationJob, JobStatus


def encode_cursor(last_id: int) -> str:
    text = json.dumps({"before": last_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the job id a cursor points below; raises ``InvalidRequest``."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        before = value["before"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        before = None
    if not isinstance(before, int) or isinstance(before, bool) or before < 1:
        raise InvalidRequest(
            "The cursor is not one this API returned; use the next_cursor of "
            "the previous page, or leave the cursor out to start again.",
            field="cursor",
        )
    return before


def parse_statuses(values: Sequence[str]) -> list[JobStatus]:
    """Return the statuses named in ``values`` (repeated or comma-separated)."""
    statuses: list[JobStatus] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if not name:
                continue
            try:
                statuses.append(JobStatus(name))
            except ValueError:
                valid = ", ".join(status.value for status in JobStatus)
                raise InvalidRequest(
                    f"'{name[:40]}' is not a job status; use one of: {valid}.",
                    field="status",
                ) from None
    return statuses


def list_jobs_page(
    *,
    engine: Engine,
    limit: int,
    before_id: int | None = None,
    statuses: Sequence[JobStatus] = (),
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> tuple[list[GenerationJob], int | None]:
    """Return up to ``limit`` jobs, newest first, and the cursor id for the next page."""
    statement = select(GenerationJob).order_by(col(GenerationJob.id).desc())
    if before_id is not None:
        statement = statement.where(col(GenerationJob.id) < before_id)
    if statuses:
        statement = statement.where(col(GenerationJob.status).in_(list(statuses)))
    if created_after is not None:
        statement = statement.where(col(GenerationJob.created_at) >= created_after)
    if created_before is not None:
        statement = statement.where(col(GenerationJob.created_at) < created_before)
    with session_scope(engine) as session:
        # Fetching one row more than the limit shows whether another page exists.
        jobs = list(session.exec(statement.limit(limit + 1)).all())
    if len(jobs) <= limit:
        return jobs, None
    jobs = jobs[:limit]
    return jobs, jobs[-1].id
