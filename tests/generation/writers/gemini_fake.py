"""A local fake Gemini API that serves recorded bodies, and test helpers.

The real google-genai SDK talks to pytest-httpserver on localhost. The
streaming endpoint responds with Server-Sent Events: the recorded SSE body as
it was captured, or recorded ``generateContent`` bodies sent as SSE events,
which is how the API streams the same ``GenerateContentResponse`` objects.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

GEMINI_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gemini"
# Recognisable, so a test can search every output for it.
FAKE_KEY = "AIzaFAKE-key-for-tests-7f3a9c1e5b"
STREAM_PATH = re.compile(r"^/v1(beta)?/models/[^/:]+:streamGenerateContent$")


def fixture_text(name: str) -> str:
    return (GEMINI_FIXTURES / name).read_text(encoding="utf-8")


def recorded_sse() -> bytes:
    """Return the recorded three-event stream ('The capital of France is Paris.')."""
    return (
        GEMINI_FIXTURES / "gemini_stream_generate_content_sse_raw_3events.txt"
    ).read_bytes()


def recorded_sse_events() -> list[dict[str, Any]]:
    """Return the recorded stream's events as parsed JSON, in order."""
    events = []
    for line in recorded_sse().decode("utf-8").splitlines():
        if line.startswith("data: "):
            events.append(json.loads(line.removeprefix("data: ")))
    return events


def recorded_json(name: str) -> dict[str, Any]:
    return json.loads(fixture_text(name))


def cassette_response(name: str, interaction: int = 0) -> dict[str, Any]:
    """Return the response body of one interaction of a recorded VCR cassette."""
    cassette = yaml.safe_load(fixture_text(name))
    return cassette["interactions"][interaction]["response"]["parsed_body"]


def recorded_thinking_chunks() -> list[dict[str, Any]]:
    """Return the recorded gemini-3-pro-preview stream chunks (one JSON per line)."""
    lines = fixture_text("gemini_stream_chunks_text_jsonl.txt").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def sse(events: Iterable[dict[str, Any]]) -> bytes:
    """Return events as a text/event-stream body, framed as the API frames them."""
    return b"".join(
        b"data: " + json.dumps(event).encode("utf-8") + b"\r\n\r\n" for event in events
    )


def outline_then_recorded(
    outline: str, usage: dict[str, int]
) -> Callable[[Request], Response]:
    """Return a handler: ``outline`` for the outline step, else the recorded stream.

    No recorded outline exists; this one is written in the API's response shape.
    """
    outline_event = {
        "candidates": [
            {
                "content": {"parts": [{"text": outline}], "role": "model"},
                "finishReason": "STOP",
            }
        ],
        "usageMetadata": usage,
    }

    def answer(request: Request) -> Response:
        if "reply with the outline only" in prompt_of(request):
            return Response(sse([outline_event]), content_type="text/event-stream")
        return Response(recorded_sse(), content_type="text/event-stream")

    return answer


def error_body(code: int, status: str, message: str, **extra: Any) -> dict[str, Any]:
    """Return an error in the API's documented shape ({"error": {code, message, status}})."""
    return {"error": {"code": code, "message": message, "status": status, **extra}}


def prompt_of(request: Request) -> str:
    """Return the user prompt text of a generateContent request."""
    body = json.loads(request.get_data())
    return body["contents"][0]["parts"][0]["text"]


def closed_port_url() -> str:
    """Return a localhost URL on which nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


class FakeGemini:
    """Queues responses of the local fake server for the streaming endpoint."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    @property
    def base_url(self) -> str:
        return self.server.url_for("/")

    def stream(self, body: bytes) -> None:
        """Respond to the next streaming request with ``body`` as SSE."""
        self.server.expect_ordered_request(
            STREAM_PATH, method="POST"
        ).respond_with_data(body, content_type="text/event-stream")

    def error(self, status: int, body: dict[str, Any]) -> None:
        """Respond to the next streaming request with an HTTP error and a JSON body."""
        self.server.expect_ordered_request(
            STREAM_PATH, method="POST"
        ).respond_with_json(body, status=status)

    def handler(self, handle: Callable[[Request], Response]) -> None:
        """Respond to every streaming request through ``handle``."""
        self.server.expect_request(STREAM_PATH, method="POST").respond_with_handler(
            handle
        )

    @property
    def requests(self) -> list[Request]:
        return [request for request, _response in self.server.log]


def serve_fake_gemini(server: HTTPServer, monkeypatch) -> FakeGemini:
    """Return the fake Gemini API with the app's settings pointed at it."""
    from generation import config

    fake = FakeGemini(server)
    monkeypatch.setenv("GEMINI_API_KEY", FAKE_KEY)
    monkeypatch.setenv("GEMINI_BASE_URL", fake.base_url)
    config.get_settings.cache_clear()
    return fake


class ProgressLog:
    """An ``on_progress`` that records every call and can raise on one of them."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str, str | None]] = []
        self.raise_on: Callable[[str, int, str, str | None], BaseException | None] = (
            lambda *call: None
        )

    def __call__(
        self, stage: str, percent: int, message: str, text: str | None = None
    ) -> None:
        self.calls.append((stage, percent, message, text))
        error = self.raise_on(stage, percent, message, text)
        if error is not None:
            raise error

    @property
    def texts(self) -> list[str]:
        return [text for *_call, text in self.calls if text]
