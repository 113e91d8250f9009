"""How fast a cancel stops a Gemini stream, against a local fake Gemini API.

A local server streams one SSE event every ``--interval`` seconds. The real
GeminiWriter reads it through the real google-genai SDK, and its progress
callback raises ``JobCancelled`` on the third chunk. The script measures the
time from that raise until the server's stream generator is closed (the
server learns of the closed connection on its next write), and prints it as
a ratio to the event interval measured in the same run: a ratio near 1
means the connection closed at once and the server noticed on its next
event.

Run ``uv run python benchmarks/gemini_cancel.py [--runs N] [--interval S]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

# Run from a checkout without installing: the engine is imported from the root.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from generation.analysis import analyse
from generation.config import load_settings
from generation.errors import JobCancelled
from generation.trends import samples
from generation.writers.base import Brief
from generation.writers.gemini import GeminiWriter

STREAM_PATH = "/v1/models/gemini-2.5-flash:streamGenerateContent"
CANCEL_ON_CHUNK = 3
EVENTS = 100


def measure_once(server: HTTPServer, brief: Brief, interval: float) -> float:
    """Return seconds from the cancel until the server's stream closed."""
    closed_at: list[float] = []
    closed = threading.Event()

    def stream(request: Request) -> Response:
        def events():
            try:
                for number in range(EVENTS):
                    part = {"text": f"word{number} "}
                    event = {"candidates": [{"content": {"parts": [part]}}]}
                    yield f"data: {json.dumps(event)}\r\n\r\n".encode()
                    time.sleep(interval)
            finally:
                closed_at.append(time.perf_counter())
                closed.set()

        return Response(events(), content_type="text/event-stream")

    server.clear()
    server.expect_request(STREAM_PATH, method="POST").respond_with_handler(stream)
    chunks: list[str] = []
    cancelled_at: list[float] = []

    def on_progress(stage, percent, message, text=None):
        if text:
            chunks.append(text)
        if len(chunks) == CANCEL_ON_CHUNK:
            cancelled_at.append(time.perf_counter())
            raise JobCancelled()

    settings = load_settings(
        {}, gemini_api_key="benchmark-key", gemini_base_url=server.url_for("/")
    )
    try:
        GeminiWriter(settings).write(brief, on_progress)
    except JobCancelled:
        pass
    closed.wait(timeout=EVENTS * interval + 10)
    return closed_at[0] - cancelled_at[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()

    data = samples.load_sample_bundle(["weight-loss-drugs-us"])
    brief = Brief(
        category="Health",
        topics=list(data.terms),
        analysis=analyse(data),
        trends=data,
    )
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        stops = [measure_once(server, brief, args.interval) for _ in range(args.runs)]
    finally:
        server.stop()
    median = statistics.median(stops)
    print(f"runs: {args.runs}, event interval: {args.interval * 1000:.0f} ms")
    print(
        f"cancel to closed stream: median {median * 1000:.1f} ms, max {max(stops) * 1000:.1f} ms"
    )
    print(
        f"ratio to the event interval: median {median / args.interval:.2f}, max {max(stops) / args.interval:.2f}"
    )


if __name__ == "__main__":
    main()
