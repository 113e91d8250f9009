"""Jobs written by Gemini, end to end: runner, database and the fake Gemini API."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import inspect, text
from werkzeug import Request, Response

from generation import config
from generation.models import JobStatus
from generation.queries import get_job, get_report, job_events
from generation.writers.pricing import cost_usd
from tests.generation.writers.conftest import SAMPLE_BUNDLE
from tests.generation.writers.gemini_fake import (
    FAKE_KEY,
    cassette_response,
    error_body,
    recorded_sse,
    recorded_sse_events,
    sse,
)

TIMEOUT = 30
REQUEST = {
    "samples": SAMPLE_BUNDLE,
    "category": "Health",
    "writer": "gemini",
    "options": {"model": "gemini-2.5-flash"},
}


@pytest.fixture
def gemini_environment(monkeypatch, fake_gemini) -> None:
    """Point the process's settings at the fake server, with the fake key."""
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("GEMINI_BASE_URL", fake_gemini.base_url)
    config.get_settings.cache_clear()


def test_job_stores_costed_report(gemini_environment, fake_gemini, runner) -> None:
    fake_gemini.stream(recorded_sse())

    job = runner.wait(runner.submit(REQUEST).job_id, timeout=TIMEOUT)

    assert job.status == JobStatus.SUCCEEDED, job.error
    report = get_report(job.report_id)
    assert report.writer == "gemini"
    assert report.model == "gemini-2.5-flash"
    assert job.model == "gemini-2.5-flash"
    assert report.prompt_tokens == 13
    assert report.output_tokens == 8
    assert report.cost_usd == pytest.approx(
        cost_usd("gemini-2.5-flash", 13, 8), abs=1e-6
    )
    assert report.cost_usd > 0
    assert "The capital of France is Paris." in report.body
    assert "come from the Google Trends data only" in report.body
    messages = [event.message for event in job_events(job.id)]
    assert "Gemini (gemini-2.5-flash) is writing the report." in messages
    prompt = fake_gemini.requests[0].get_data(as_text=True)
    assert "ozempic lawsuit 2025" in prompt


def test_job_grounded_report_keeps_sources(
    gemini_environment, fake_gemini, runner
) -> None:
    fake_gemini.stream(
        sse([cassette_response("gemini_cassette_grounding_metadata_websearch.yaml")])
    )
    request = {**REQUEST, "options": {"grounding": True}}

    job = runner.wait(runner.submit(request).job_id, timeout=TIMEOUT)

    assert job.status == JobStatus.SUCCEEDED, job.error
    report = get_report(job.report_id)
    assert [source["number"] for source in report.sources] == [1, 2, 3]
    assert report.sources[1]["title"] == "weather.gov"
    assert "69°F. [1]" in report.body
    assert report.thinking_tokens == 213


def test_job_safety_block_keeps_text(gemini_environment, fake_gemini, runner) -> None:
    first, second, _last = recorded_sse_events()
    blocked = cassette_response("gemini_cassette_finishreason_safety.yaml")
    fake_gemini.stream(sse([first, second, blocked]))

    job = runner.wait(runner.submit(REQUEST).job_id, timeout=TIMEOUT)

    assert job.status == JobStatus.FAILED
    assert job.error == (
        "Gemini stopped writing because its safety filter flagged the text (hate "
        "speech). Rephrase the topics or instructions and try again; the text "
        "written so far is kept."
    )
    assert job.partial_text == "The capital of France"
    assert job.report_id is None


def test_job_missing_key_fails_clearly(fake_gemini, runner, monkeypatch) -> None:
    monkeypatch.setenv("GEMINI_BASE_URL", fake_gemini.base_url)
    config.get_settings.cache_clear()

    job = runner.wait(runner.submit(REQUEST).job_id, timeout=TIMEOUT)

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("No Gemini API key is set.")
    assert fake_gemini.requests == []


def test_job_cancelled_mid_stream(gemini_environment, fake_gemini, runner) -> None:
    total_events = 200
    sent: list[int] = []
    stream_closed = threading.Event()

    def slow_stream(request: Request) -> Response:
        def events():
            try:
                for number in range(total_events):
                    sent.append(number)
                    part = {"text": f"word{number} "}
                    yield sse(
                        [
                            {
                                "candidates": [
                                    {"content": {"parts": [part], "role": "model"}}
                                ]
                            }
                        ]
                    )
                    time.sleep(0.05)
            finally:
                stream_closed.set()

        return Response(events(), content_type="text/event-stream")

    fake_gemini.handler(slow_stream)
    job_id = runner.submit(REQUEST).job_id
    deadline = time.monotonic() + TIMEOUT
    while not get_job(job_id).partial_text and time.monotonic() < deadline:
        time.sleep(0.05)

    sent_at_cancel = len(sent)
    runner.cancel(job_id)
    job = runner.wait(job_id, timeout=TIMEOUT)

    assert job.status == JobStatus.CANCELLED
    assert job.partial_text.startswith("word0 word1 ")
    # The server may go on writing into socket buffers after the client hung
    # up, so what the job read counts, not what the server sent. At 20 events
    # a second, a stop within a second reads at most about 20 more events.
    words_read = len(job.partial_text.split())
    assert words_read - sent_at_cancel <= 25
    assert words_read < total_events
    assert stream_closed.wait(timeout=TIMEOUT)


def test_key_absent_from_database_and_logs(
    gemini_environment, fake_gemini, runner, engine, caplog
) -> None:
    fake_gemini.stream(recorded_sse())
    fake_gemini.error(
        400,
        error_body(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                }
            ],
        ),
    )

    with caplog.at_level(logging.DEBUG):
        succeeded = runner.wait(runner.submit(REQUEST).job_id, timeout=TIMEOUT)
        failed = runner.wait(
            runner.submit({**REQUEST, "category": "Shopping"}).job_id, timeout=TIMEOUT
        )

    assert succeeded.status == JobStatus.SUCCEEDED
    assert failed.status == JobStatus.FAILED
    assert failed.error.startswith(
        "Gemini rejected the API key (HTTP 400 INVALID_ARGUMENT)."
    )
    assert [request.headers["x-goog-api-key"] for request in fake_gemini.requests] == [
        FAKE_KEY
    ] * 2
    assert FAKE_KEY not in caplog.text
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).fetchall()
            for row in rows:
                assert FAKE_KEY not in repr(tuple(row)), table
