"""Every refusal of the HTTP API as JSON: ``{"error": sentence, "field": name}``.

Engine errors keep their sentence and get a status code by class. FastAPI's
validation errors (a list of machine-readable dicts) become one sentence about
the first problem. Starlette's own errors (no such route, wrong method) get a
sentence too, so no client ever reads a bare "Not Found".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from generation.errors import (
    InvalidRequest,
    MissingApiKey,
    NotFound,
    NoTrendsData,
    TrendsFileError,
    TrendsRateLimited,
    TrendsUnavailable,
    UserFacingError,
    WriterFailed,
)
from generation.tokens import InvalidToken

logger = logging.getLogger(__name__)

DOCS_HINT = "See /api/docs for the routes and their fields."


class JobStateConflict(UserFacingError):
    """The job is in a state that does not allow the action (HTTP 409)."""


class UnsupportedUpload(UserFacingError):
    """The upload is not multipart form data or not a CSV file (HTTP 415)."""


class FileTooLarge(UserFacingError):
    """An uploaded file is over the importer's size limit (HTTP 413)."""


class BodyTooLarge(StarletteHTTPException):
    """The request body is over the size limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=(
                f"The request body is larger than the {describe_bytes(limit)} limit "
                "(API_MAX_BODY_BYTES). Send a smaller body; a Google Trends export "
                "is a few kilobytes."
            ),
        )


# Checked in order, so a subclass comes before its base class.
STATUS_BY_ERROR: tuple[tuple[type[UserFacingError], int], ...] = (
    (NotFound, 404),
    (InvalidToken, 401),
    (JobStateConflict, 409),
    (UnsupportedUpload, 415),
    (FileTooLarge, 413),
    (InvalidRequest, 422),
    (NoTrendsData, 422),
    (MissingApiKey, 422),
    (TrendsFileError, 400),
    (TrendsRateLimited, 503),
    (TrendsUnavailable, 503),
    (WriterFailed, 502),
)

UNEXPECTED_ERROR = (
    "The server failed on an unexpected error ({kind}). It has been logged; "
    "try again, and if it fails again, report the time of the request."
)


def describe_bytes(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KiB"
    return f"{count} bytes"


def error_response(
    status_code: int,
    message: str,
    *,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": message, "field": field},
        status_code=status_code,
        headers=dict(headers or {}),
    )


def status_for(error: UserFacingError) -> int:
    for error_class, status_code in STATUS_BY_ERROR:
        if isinstance(error, error_class):
            return status_code
    return 400


def user_facing_error_response(error: UserFacingError) -> JSONResponse:
    status_code = status_for(error)
    headers = {}
    if isinstance(error, InvalidToken):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return error_response(
        status_code,
        error.message,
        field=getattr(error, "field", None),
        headers=headers,
    )


def validation_sentence(errors: list[Any]) -> tuple[str, str | None]:
    """Return one sentence about the first validation error, and its field."""
    if not errors:
        return "The request is invalid. " + DOCS_HINT, None
    first = errors[0]
    location = [str(part) for part in first.get("loc", ())]
    kind = first.get("type", "")
    if location and location[0] in ("body", "query", "path", "header"):
        location = location[1:]

    if kind == "json_invalid":
        detail = (first.get("ctx") or {}).get("error", "JSON decode error")
        # FastAPI gives Python's 0-based offset; people count from 1.
        offset = location[0] if location else ""
        position = int(offset) + 1 if offset.isdigit() else "?"
        sentence = (
            f"The request body is not valid JSON ({detail} at character "
            f"{position}). Send one JSON object."
        )
        return sentence, None

    field = ".".join(location) or None
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "value_error":
        return message, field
    if field is None:
        if kind == "missing":
            return (
                "The request body is missing. Send a JSON object with the "
                "request fields. " + DOCS_HINT,
                None,
            )
        if kind in ("model_attributes_type", "dict_type", "model_type"):
            return (
                "The request body must be one JSON object with the request "
                "fields, sent with 'Content-Type: application/json'. " + DOCS_HINT,
                None,
            )
        return f"The request body is invalid: {message}. {DOCS_HINT}", None

    if kind == "missing":
        return f"The field '{field}' is required. {DOCS_HINT}", field
    if kind == "extra_forbidden":
        return (
            f"'{field}' is not a field of this request; check its spelling. "
            + DOCS_HINT,
            field,
        )
    return f"The field '{field}' is invalid: {message}.", field


async def handle_user_facing_error(
    _request: Request, error: UserFacingError
) -> JSONResponse:
    return user_facing_error_response(error)


async def handle_validation_error(
    _request: Request, error: RequestValidationError
) -> JSONResponse:
    message, field = validation_sentence(list(error.errors()))
    return error_response(422, message, field=field)


async def handle_http_error(
    request: Request, error: StarletteHTTPException
) -> JSONResponse:
    headers = dict(error.headers or {})
    if error.status_code == 404 and error.detail == "Not Found":
        message = (
            f"There is no API route {request.method} {request.url.path}. {DOCS_HINT}"
        )
    elif error.status_code == 405:
        allowed = headers.get("Allow") or headers.get("allow") or "another method"
        message = (
            f"{request.url.path} does not accept {request.method}; use {allowed}. "
            + DOCS_HINT
        )
    else:
        message = str(error.detail)
    return error_response(error.status_code, message, headers=headers)


def install_error_handlers(api: FastAPI) -> None:
    api.add_exception_handler(UserFacingError, handle_user_facing_error)
    api.add_exception_handler(RequestValidationError, handle_validation_error)
    api.add_exception_handler(StarletteHTTPException, handle_http_error)
