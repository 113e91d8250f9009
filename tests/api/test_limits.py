"""Body size limit, per-token rate limit and unexpected errors, all as JSON."""

from __future__ import annotations

import logging

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from generation import tokens
from generation.api.application import api_routes
from generation.api.rate_limit import RateLimiter, retry_after_header
from generation.config import load_settings

LIMIT = 4096
TOO_LARGE = (
    "The request body is larger than the 4 KiB limit (API_MAX_BODY_BYTES). Send "
    "a smaller body; a Google Trends export is a few kilobytes."
)


def test_declared_oversize_body_is_413(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)
    body = {"samples": ["weight-loss-drugs-us"], "instructions": "x" * 3000}
    body["topics"] = ["ozempic"] * 300

    response = client.post("/api/generate", json=body, headers=auth)

    assert response.status_code == 413
    assert response.json() == {"error": TOO_LARGE, "field": None}


def test_streamed_oversize_body_is_413(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)

    def chunks():
        # A generator body is sent chunked, without a Content-Length header.
        yield b'{"instructions": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    response = client.post(
        "/api/generate",
        content=chunks(),
        headers={**auth, "Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.json() == {"error": TOO_LARGE, "field": None}


def test_oversize_upload_is_413(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)
    content = b"Week,pizza: (Worldwide)\n" + b"2024-01-07,50\n" * 1000

    response = client.post(
        "/api/datasets",
        files={"file": ("multiTimeline.csv", content, "text/csv")},
        headers=auth,
    )

    assert response.status_code == 413
    assert response.json()["error"] == TOO_LARGE


def test_streamed_oversize_upload_is_413(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)
    boundary = "limit-test"

    def chunks():
        yield (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\nWeek,pizza: (Worldwide)\n"
        ).encode()
        for _ in range(100):
            yield b"2024-01-07,50\n" * 80
        yield f"\r\n--{boundary}--\r\n".encode()

    response = client.post(
        "/api/datasets",
        content=chunks(),
        headers={
            **auth,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )

    assert response.status_code == 413
    assert response.json()["error"] == TOO_LARGE


def test_body_under_the_limit_passes(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)

    response = client.post(
        "/api/generate", json={"samples": ["weight-loss-drugs-us"]}, headers=auth
    )

    assert response.status_code == 202


def test_invalid_content_length_is_400(make_client, auth):
    client = make_client(API_MAX_BODY_BYTES=LIMIT)

    response = client.post(
        "/api/generate",
        content=b"{}",
        headers={**auth, "Content-Length": "lots"},
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "The Content-Length header 'lots' is not a whole number of bytes"
    )


def test_token_over_its_rate_limit_gets_429(make_client, auth, engine):
    client = make_client(API_RATE_LIMIT=3)
    other = tokens.create_token("other", engine=engine)

    answers = [client.get("/api/jobs", headers=auth) for _ in range(4)]
    other_answer = client.get(
        "/api/jobs", headers={"Authorization": f"Bearer {other.secret}"}
    )

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    limited = answers[-1]
    assert limited.headers["Retry-After"] == "20"
    assert limited.json() == {
        "error": "Too many requests with this API token: the limit is 3 per "
        "minute (API_RATE_LIMIT). Wait 20 s and try again.",
        "field": None,
    }
    assert other_answer.status_code == 200


def test_rate_limiter_refills_at_the_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=2, clock=lambda: now[0])

    waits = [limiter.acquire(1), limiter.acquire(1), limiter.acquire(1)]
    now[0] = 29.0
    before_refill = limiter.acquire(1)
    now[0] = 30.0
    after_refill = limiter.acquire(1)

    assert waits == [0.0, 0.0, 30.0]
    assert before_refill == pytest.approx(1.0)
    assert after_refill == 0.0
    assert limiter.acquire(2) == 0.0


def test_retry_after_rounds_up_to_whole_seconds():
    assert retry_after_header(0.01) == "1"
    assert retry_after_header(20.0) == "20"
    assert retry_after_header(20.2) == "21"


def test_unexpected_error_is_500_json_and_logged(engine, auth, caplog):
    def broken_runner():
        raise RuntimeError("secret internal detail")

    settings = load_settings({}, API_RATE_LIMIT=10_000)
    app = Starlette(routes=api_routes(settings, runner_factory=broken_runner))
    client = TestClient(app)
    caplog.set_level(logging.ERROR, logger="generation.api")

    response = client.post(
        "/api/generate", json={"samples": ["weight-loss-drugs-us"]}, headers=auth
    )

    assert response.status_code == 500
    assert response.json() == {
        "error": "The server failed on an unexpected error (RuntimeError). It has "
        "been logged; try again, and if it fails again, report the time of the "
        "request.",
        "field": None,
    }
    assert "Traceback" not in response.text
    assert "secret internal detail" not in response.text
    assert "API request POST /api/generate failed" in caplog.text
    assert "secret internal detail" in caplog.text
