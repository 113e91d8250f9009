"""Time a cached ``get_trends`` against an uncached one on a local Google Trends.

A local pytest-httpserver replays the real recorded Google Trends bodies in
tests/fixtures/gtapi (pizza vs bagel, five years weekly: six HTTP requests per
uncached call). Uncached calls run with the cache emptied before each one;
cached calls read the same entry back from a SQLite file. Both are measured in
the same run, and the script prints medians and their ratio. The goal is a
cache hit within 20 ms.

Run ``uv run python benchmarks/trends_cache.py [--rounds N]``. Nothing leaves
localhost.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pytest_httpserver import HTTPServer
from werkzeug import Response

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generation.config import load_settings
from generation.db import get_engine, init_db
from generation.trends import service
from generation.trends.cache import prune_cache
from generation.trends.query import validate_query

GTAPI = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "gtapi"
HIT_GOAL_MS = 20.0

BODIES = {
    "/trends/api/explore": "gtapi_explore_widgets_pizza_bagel_5y.txt",
    "/trends/api/widgetdata/multiline": "gtapi_multiline_weekly_2terms_5y_ispartial.txt",
    "/trends/api/widgetdata/comparedgeo": "gtapi_comparedgeo_country_2terms_2021.txt",
    "/trends/api/widgetdata/relatedsearches": (
        "gtapi_relatedsearches_queries_pizza_2021.txt"
    ),
}


def start_local_trends() -> HTTPServer:
    """Start a server on a free localhost port that replays the recorded bodies."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": "NID=benchmark; Path=/"})
    )
    for path, name in BODIES.items():
        server.expect_request(path).respond_with_data(
            (GTAPI / name).read_bytes(), content_type="application/json"
        )
    server.start()
    return server


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="calls per kind")
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
        query = validate_query(
            ["pizza", "bagel"], "today 5-y", geo="", today=date(2026, 3, 1)
        )

        uncached: list[float] = []
        for _ in range(arguments.rounds):
            # Every entry was fetched before now, so the next call is a miss.
            prune_cache(engine, older_than=timedelta(0))
            started = time.perf_counter()
            result = service.get_trends(query, engine=engine, settings=settings)
            uncached.append(time.perf_counter() - started)
            assert not result.from_cache

        cached: list[float] = []
        for _ in range(arguments.rounds):
            started = time.perf_counter()
            result = service.get_trends(query, engine=engine, settings=settings)
            cached.append(time.perf_counter() - started)
            assert result.from_cache

        engine.dispose()
    requests_served = len(server.log)
    server.stop()

    hit, miss = median_ms(cached), median_ms(uncached)
    print(f"rounds per kind:          {arguments.rounds}")
    print(f"local HTTP requests made: {requests_served}")
    print(f"uncached get_trends:      median {miss:8.2f} ms")
    print(f"cached get_trends:        median {hit:8.2f} ms")
    print(f"uncached / cached:        {miss / hit:8.1f}x")
    verdict = "meets" if hit <= HIT_GOAL_MS else "misses"
    print(f"cache hit {verdict} the {HIT_GOAL_MS:.0f} ms goal")


if __name__ == "__main__":
    main()
