"""How GeminiWriter fails: one sentence per kind, retries, broken streams, cancel."""

from __future__ import annotations

import copy
import threading
import time

import pytest
from werkzeug import Request, Response

from generation.errors import JobCancelled, MissingApiKey, UserFacingError, WriterFailed
from generation.writers import gemini
from generation.writers.gemini import GeminiWriter
from generation.writers.gemini_failures import (
    GeminiBlocked,
    GeminiEmptyAnswer,
    GeminiKeyRejected,
    GeminiModelNotFound,
    GeminiOutputLimit,
    GeminiRateLimited,
    GeminiUnavailable,
    GeminiUnreachable,
)
from tests.generation.writers.gemini_fake import (
    cassette_response,
    closed_port_url,
    error_body,
    recorded_json,
    recorded_sse,
    recorded_sse_events,
    recorded_thinking_chunks,
    sse,
)

RECORDED_429 = "gemini_error_429_resource_exhausted_retryinfo.json"
OVERLOADED = error_body(
    503, "UNAVAILABLE", "The model is overloaded. Please try again later."
)


class SleepLog:
    """Stand-in for time.sleep that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.waits)


def safety_event() -> dict:
    return cassette_response("gemini_cassette_finishreason_safety.yaml")


def rate_limited(delay: str | None = None) -> dict:
    body = recorded_json(RECORDED_429)
    if delay is not None:
        body = copy.deepcopy(body)
        body["error"]["details"][1]["retryDelay"] = delay
    return body


def test_missing_key_sends_nothing(fake_gemini, make_settings, brief, progress) -> None:
    settings = make_settings(gemini_api_key=None)

    with pytest.raises(MissingApiKey) as raised:
        GeminiWriter(settings, sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "No Gemini API key is set. Add GEMINI_API_KEY (or GOOGLE_API_KEY) to the "
        "environment or .streamlit/secrets.toml, or choose the data brief writer."
    )
    assert fake_gemini.requests == []


def test_safety_block_keeps_sentence(
    fake_gemini, make_settings, brief, progress
) -> None:
    fake_gemini.stream(sse([safety_event()]))

    with pytest.raises(GeminiBlocked) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "Gemini stopped writing because its safety filter flagged the text (hate "
        "speech). Rephrase the topics or instructions and try again; the text "
        "written so far is kept."
    )
    assert raised.value.partial_text == ""
    assert len(fake_gemini.requests) == 1


def test_safety_block_mid_stream_keeps_text(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, _last = recorded_sse_events()
    fake_gemini.stream(sse([first, second, safety_event()]))

    with pytest.raises(GeminiBlocked) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.partial_text == "The capital of France"
    # The safety event's usage (14 prompt tokens) is the request's usage.
    assert len(fake_gemini.requests) == 1


def test_prompt_block_names_reason(fake_gemini, make_settings, brief, progress) -> None:
    # No recorded prompt block exists; this is the API's documented shape.
    blocked = {
        "promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},
        "usageMetadata": {"promptTokenCount": 1200, "totalTokenCount": 1200},
    }
    fake_gemini.stream(sse([blocked]))

    with pytest.raises(GeminiBlocked) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "Gemini refused the request before writing (block reason "
        "PROHIBITED_CONTENT). Remove or rephrase topics or instructions that could "
        "read as harmful, then try again."
    )
    assert len(fake_gemini.requests) == 1


def test_empty_answer_fails(fake_gemini, make_settings, brief, progress) -> None:
    last = recorded_sse_events()[2]
    last["candidates"][0]["content"]["parts"] = [{"text": ""}]
    fake_gemini.stream(sse([last]))

    with pytest.raises(GeminiEmptyAnswer) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "Gemini returned an empty response for the report. Retry the job, or pick "
        "another model."
    )


def test_thinking_spends_whole_output_limit(
    fake_gemini, make_settings, brief, progress
) -> None:
    # A thinking model that thought until the limit: the recorded chunk's
    # shape with no text, finishReason MAX_TOKENS and the limit spent thinking.
    chunk = recorded_thinking_chunks()[0]
    chunk["candidates"][0]["content"] = {"role": "model"}
    chunk["candidates"][0]["finishReason"] = "MAX_TOKENS"
    chunk["usageMetadata"]["candidatesTokenCount"] = 0
    chunk["usageMetadata"]["thoughtsTokenCount"] = 1024
    fake_gemini.stream(sse([chunk]))
    brief.options = {"model": "gemini-3-pro-preview", "max_output_tokens": 1024}

    with pytest.raises(GeminiOutputLimit) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "Gemini used its whole output limit of 1024 tokens (1024 of them on "
        "thinking) before writing any text for the report. Raise "
        "GEMINI_MAX_OUTPUT_TOKENS or the output limit on the form, or pick a "
        "model that thinks less."
    )
    assert raised.value.partial_text == ""
    assert "None" not in "".join(progress.texts)


def test_output_limit_mid_text_keeps_text(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, last = recorded_sse_events()
    last["candidates"][0]["finishReason"] = "MAX_TOKENS"
    fake_gemini.stream(sse([first, second, last]))

    with pytest.raises(GeminiOutputLimit) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message.startswith(
        "The report was cut off at Gemini's output limit of 8192 tokens."
    )
    assert raised.value.partial_text == "The capital of France is Paris.\n"


def test_rejected_key_is_not_retried(
    fake_gemini, make_settings, brief, progress
) -> None:
    # The API's documented error shape for an invalid key (no recording exists).
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
                    "domain": "googleapis.com",
                }
            ],
        ),
    )
    sleep = SleepLog()

    with pytest.raises(GeminiKeyRejected) as raised:
        GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert raised.value.message == (
        "Gemini rejected the API key (HTTP 400 INVALID_ARGUMENT). Check "
        "GEMINI_API_KEY or GOOGLE_API_KEY in the environment or "
        ".streamlit/secrets.toml, or create a new key in Google AI Studio."
    )
    assert len(fake_gemini.requests) == 1
    assert sleep.waits == []


def test_forbidden_key_is_rejected(fake_gemini, make_settings, brief, progress) -> None:
    fake_gemini.error(
        403,
        error_body(
            403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers."
        ),
    )

    with pytest.raises(GeminiKeyRejected) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message.startswith(
        "Gemini rejected the API key (HTTP 403 PERMISSION_DENIED)."
    )


def test_unknown_model_names_it(fake_gemini, make_settings, brief, progress) -> None:
    fake_gemini.error(
        404,
        error_body(
            404,
            "NOT_FOUND",
            "models/gemini-0.9-imaginary is not found for API version v1, or is "
            "not supported for generateContent.",
        ),
    )
    brief.options = {"model": "gemini-0.9-imaginary"}

    with pytest.raises(GeminiModelNotFound) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "Gemini has no model called 'gemini-0.9-imaginary' (HTTP 404 NOT_FOUND). "
        "Pick another model on the form, or set GEMINI_MODEL in Settings."
    )
    assert len(fake_gemini.requests) == 1


def test_connection_refused_after_retries(make_settings, brief, progress) -> None:
    unreachable = closed_port_url()
    sleep = SleepLog()

    with pytest.raises(GeminiUnreachable) as raised:
        GeminiWriter(make_settings(gemini_base_url=unreachable), sleep=sleep).write(
            brief, progress
        )

    host = unreachable.removeprefix("http://").rstrip("/")
    assert raised.value.message == (
        f"Could not reach the Gemini API at {host} (ConnectError) on 4 attempts. "
        "Check the network connection and the GEMINI_BASE_URL setting, then retry "
        "the job."
    )
    # Three waits between four attempts, each longer than the one before.
    per_wait = _group_waits(sleep.waits)
    assert len(per_wait) == 3
    assert per_wait == sorted(per_wait)
    assert per_wait[0] >= gemini.BACKOFF_INITIAL_SECONDS


def test_429_waits_suggested_delay(fake_gemini, make_settings, brief, progress) -> None:
    fake_gemini.error(429, rate_limited())
    fake_gemini.stream(recorded_sse())
    sleep = SleepLog()

    draft = GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert len(fake_gemini.requests) == 2
    # The recorded body asks for 34.4 s; the wait is that long, in slices.
    assert sleep.total == pytest.approx(34.4)
    assert max(sleep.waits) <= gemini.WAIT_SLICE_SECONDS
    messages = {message for _stage, _percent, message, _text in progress.calls}
    assert (
        "The request to Gemini failed (HTTP 429 RESOURCE_EXHAUSTED); retrying in 34 s (attempt 2 of 4)."
        in messages
    )
    assert "The capital of France is Paris." in draft.body


def test_429_short_delay_really_waits(
    fake_gemini, make_settings, brief, progress
) -> None:
    fake_gemini.error(429, rate_limited("0.3s"))
    fake_gemini.stream(recorded_sse())
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert len(fake_gemini.requests) == 2
    assert sum(waits) == pytest.approx(0.3)


def test_429_persisting_spends_all_attempts(
    fake_gemini, make_settings, brief, progress
) -> None:
    for _attempt in range(4):
        fake_gemini.error(429, rate_limited())
    sleep = SleepLog()

    with pytest.raises(GeminiRateLimited) as raised:
        GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert raised.value.message == (
        "Gemini's rate limit or quota for 'gemini-2.5-flash' was reached (HTTP 429 "
        "RESOURCE_EXHAUSTED) on all 4 attempts. Wait a minute and retry the job, "
        "or pick another model."
    )
    assert len(fake_gemini.requests) == 4
    # Attempts are spread over the suggested delays, not spent at once.
    assert sleep.total == pytest.approx(3 * 34.4)


def test_429_long_delay_stops_at_once(
    fake_gemini, make_settings, brief, progress
) -> None:
    fake_gemini.error(429, rate_limited("3600s"))
    sleep = SleepLog()

    with pytest.raises(GeminiRateLimited) as raised:
        GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert raised.value.message == (
        "Gemini's quota for 'gemini-2.5-flash' is used up (HTTP 429 "
        "RESOURCE_EXHAUSTED) and it requested a wait of 3600 seconds. Retry the "
        "job later, or pick another model."
    )
    assert len(fake_gemini.requests) == 1
    assert sleep.waits == []


def test_503_beyond_budget_then_retry_works(
    fake_gemini, make_settings, brief, progress
) -> None:
    for _attempt in range(4):
        fake_gemini.error(503, OVERLOADED)
    fake_gemini.stream(recorded_sse())
    sleep = SleepLog()
    writer = GeminiWriter(make_settings(), sleep=sleep)

    with pytest.raises(GeminiUnavailable) as raised:
        writer.write(brief, progress)
    draft = writer.write(brief, progress)

    assert raised.value.message == (
        "The Gemini model 'gemini-2.5-flash' is overloaded (HTTP 503 UNAVAILABLE) "
        "and still was after 4 attempts. Try again in a few minutes, or pick "
        "another model."
    )
    assert len(fake_gemini.requests) == 5
    per_wait = _group_waits(sleep.waits)
    assert len(per_wait) == 3
    assert per_wait[2] >= 4 * gemini.BACKOFF_INITIAL_SECONDS
    assert "The capital of France is Paris." in draft.body


def test_cut_stream_retried_without_duplicates(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, _last = recorded_sse_events()
    # The connection closes after two events, with no finishReason.
    fake_gemini.stream(sse([first, second]))
    fake_gemini.stream(recorded_sse())

    draft = GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert len(fake_gemini.requests) == 2
    assert draft.body.count("The capital of France") == 1
    assert all(text.count("The capital of France") <= 1 for text in progress.texts)
    # Both requests are billed: the broken one by its last reported usage.
    assert draft.prompt_tokens == 15 + 13


def test_cut_stream_every_time_keeps_text(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, _last = recorded_sse_events()
    for _attempt in range(4):
        fake_gemini.stream(sse([first, second]))

    with pytest.raises(GeminiUnreachable) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.message == (
        "The connection to Gemini broke off before the response was complete, on "
        "4 attempts. Retry the job; the text written so far is kept."
    )
    assert raised.value.partial_text == "The capital of France"


def test_error_event_mid_stream_is_retried(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, _last = recorded_sse_events()
    fake_gemini.stream(sse([first, second, OVERLOADED]))
    fake_gemini.stream(recorded_sse())

    draft = GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert len(fake_gemini.requests) == 2
    assert draft.body.count("The capital of France is Paris.") == 1


def test_error_event_every_time_keeps_text(
    fake_gemini, make_settings, brief, progress
) -> None:
    first, second, _last = recorded_sse_events()
    for _attempt in range(4):
        fake_gemini.stream(sse([first, second, OVERLOADED]))

    with pytest.raises(GeminiUnavailable) as raised:
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    assert raised.value.partial_text == "The capital of France"


def test_cancel_mid_stream_closes_connection(
    fake_gemini, make_settings, brief, progress
) -> None:
    total_events = 40
    sent: list[int] = []
    stream_closed = threading.Event()

    def slow_stream(request: Request) -> Response:
        def events():
            try:
                for number in range(total_events):
                    sent.append(number)
                    event = {
                        "candidates": [
                            {
                                "content": {
                                    "parts": [{"text": f"word{number} "}],
                                    "role": "model",
                                }
                            }
                        ]
                    }
                    yield sse([event])
                    time.sleep(0.1)
            finally:
                stream_closed.set()

        return Response(events(), content_type="text/event-stream")

    fake_gemini.handler(slow_stream)
    chunks_seen: list[str] = []

    def cancel_on_second_chunk(stage, percent, message, text):
        if text:
            chunks_seen.append(text)
        if len(chunks_seen) == 2:
            return JobCancelled()
        return None

    progress.raise_on = cancel_on_second_chunk

    with pytest.raises(JobCancelled):
        GeminiWriter(make_settings(), sleep=SleepLog()).write(brief, progress)

    # Generous bound: the server notices the closed socket on its next write.
    assert stream_closed.wait(timeout=10)
    assert chunks_seen == ["word0 ", "word0 word1 "]
    assert len(sent) < total_events
    assert len(fake_gemini.requests) == 1


def test_cancel_during_retry_wait(fake_gemini, make_settings, brief, progress) -> None:
    fake_gemini.error(429, rate_limited())
    fake_gemini.stream(recorded_sse())
    sleep = SleepLog()
    progress.raise_on = lambda stage, percent, message, text: (
        JobCancelled() if "retrying in" in message else None
    )

    with pytest.raises(JobCancelled):
        GeminiWriter(make_settings(), sleep=sleep).write(brief, progress)

    assert len(fake_gemini.requests) == 1
    assert sleep.waits == []


def test_every_failure_is_user_facing() -> None:
    for failure in (
        GeminiBlocked,
        GeminiEmptyAnswer,
        GeminiKeyRejected,
        GeminiModelNotFound,
        GeminiOutputLimit,
        GeminiRateLimited,
        GeminiUnavailable,
        GeminiUnreachable,
    ):
        assert issubclass(failure, WriterFailed)
        assert issubclass(failure, UserFacingError)


def _group_waits(slices: list[float]) -> list[float]:
    """Return whole waits from sleep slices: a wait ends on a slice shorter than full."""
    waits: list[float] = []
    current = 0.0
    for seconds in slices:
        current += seconds
        if seconds < gemini.WAIT_SLICE_SECONDS - 1e-9:
            waits.append(current)
            current = 0.0
    if current:
        waits.append(current)
    return waits
