"""Time a stitched 25-term comparison against one five-term request.

A local pytest-httpserver replays the real recorded Google Trends bodies in
tests/fixtures/gtapi, widened to the number of terms each request names (see
``serve_any_width_comparison`` in tests/generation/trends_live/gtapi_replay.py).
A comparison of 25 terms sends six requests. Both kinds are measured in the
same run, uncached (cache emptied before each call) and cached, and the
script prints medians and their ratios: the uncached ratio shows the cost of
the extra requests, the cached one the cost of six cache reads and the
rescaling.

Run ``uv run python benchmarks/trends_stitching.py [--rounds N]``. Nothing
leaves localhost.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "generation" / "trends_live"))

from gtapi_replay import serve_any_width_comparison

from generation.config import load_settings
from generation.db import get_engine, init_db
from generation.trends import service, stitching
from generation.trends.cache import prune_cache
from generation.trends.query import validate_query

TODAY = date(2026, 3, 1)
TERMS = [f"term {number}" for number in range(1, 26)]


def start_local_trends() -> HTTPServer:
    """Start a server on a free localhost port that replays the recorded bodies."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": "NID=benchmark; Path=/"})
    )
    serve_any_width_comparison(server)
    server.start()
    return server


def median_ms(call: Callable[[], object], rounds: int, before=None) -> float:
    samples = []
    for _ in range(rounds):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="calls per kind")
    arguments = parser.parse_args()
    # One access-log line per local request would bury the figures.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = start_local_trends()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(
            {},
            database_url=f"sqlite:///{Path(folder) / 'bench.db'}",
            trends_base_url=server.url_for("/").rstrip("/"),
        )
        engine = init_db(get_engine(settings.database_url))
        single = validate_query(TERMS[:5], "today 5-y", geo="", today=TODAY)
        stitched = stitching.validate_stitched_query(
            TERMS, "today 5-y", geo="", today=TODAY
        )

        def fetch_single() -> object:
            return service.get_trends(single, engine=engine, settings=settings)

        def fetch_stitched() -> object:
            return stitching.get_stitched_trends(
                stitched, engine=engine, settings=settings
            )

        def empty_cache() -> None:
            # Every entry was fetched before now, so the next call is a miss.
            prune_cache(engine, older_than=timedelta(0))

        rounds = arguments.rounds
        single_miss = median_ms(fetch_single, rounds, before=empty_cache)
        stitched_miss = median_ms(fetch_stitched, rounds, before=empty_cache)
        single_hit = median_ms(fetch_single, rounds)
        stitched_hit = median_ms(fetch_stitched, rounds)
        requests = stitching.count_requests(len(TERMS))
        engine.dispose()
    served = len(server.log)
    server.stop()

    print(f"rounds per kind:               {rounds}")
    print(f"local HTTP requests made:      {served}")
    print(f"requests per stitched call:    {requests}")
    print(f"uncached 5 terms:              median {single_miss:8.2f} ms")
    print(f"uncached 25 terms stitched:    median {stitched_miss:8.2f} ms")
    print(f"uncached stitched / single:    {stitched_miss / single_miss:8.1f}x")
    print(f"cached 5 terms:                median {single_hit:8.2f} ms")
    print(f"cached 25 terms stitched:      median {stitched_hit:8.2f} ms")
    print(f"cached stitched / single:      {stitched_hit / single_hit:8.1f}x")


if __name__ == "__main__":
    main()
