"""How fast History is at 100 000 reports, against the naive way.

Fills a SQLite file with COUNT jobs and reports (``benchmarks/history_data.py``),
then times, as the median of several runs on warm caches:
- first page: the newest 25 jobs with their report titles and the total;
- filtered page: failed jobs of one category, and jobs on a topic;
- search: full-text search for a word in a few hundred reports, and for a
  word in nearly every report;
- dashboard: the figures for the last 30 days;
and the naive way, measured in the same run: load every job and report into
pandas (``read_sql``) and filter, sort and page there. It prints each time,
the ratio naive / engine, and the aims: first page at most 150 ms, search at
most 100 ms, at least 50 times faster than the naive way.

Usage: uv run python benchmarks/history.py [--count N] [--database FILE]
A database file that already contains at least N jobs is reused.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from sqlalchemy import text

from benchmarks.history_data import fill_history
from generation.dashboard import dashboard_figures
from generation.db import get_engine, init_db
from generation.history import HistoryFilters, list_history
from generation.models import JobStatus

RUNS = 7
PAGE = 25
FIRST_PAGE_AIM_MS = 150
SEARCH_AIM_MS = 100
RATIO_AIM = 50

NAIVE_SQL = """
SELECT j.id AS job_id, j.status, j.category, j.topics, j.writer, j.model,
       j.created_at, r.id AS report_id, r.title, r.summary, r.body, r.cost_usd
FROM generationjob j LEFT JOIN report r ON r.id = j.report_id
"""


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    action()  # warm the caches and the statement cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--database", type=Path, default=None)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = arguments.database or Path(folder) / "history.db"
        measure(path, arguments.count)


def measure(path: Path, count: int) -> None:
    engine = init_db(get_engine(f"sqlite:///{path}"))
    with engine.connect() as connection:
        existing = connection.execute(
            text("SELECT count(*) FROM generationjob")
        ).scalar_one()
    if existing < count:
        started = time.perf_counter()
        fill_history(engine, count - existing)
        print(
            f"Generated {count - existing:,} jobs in {time.perf_counter() - started:.1f} s"
        )
    with engine.connect() as connection:
        jobs = connection.execute(
            text("SELECT count(*) FROM generationjob")
        ).scalar_one()
        reports = connection.execute(text("SELECT count(*) FROM report")).scalar_one()
        size_mb = path.stat().st_size / 1e6
    print(f"Database: {jobs:,} jobs, {reports:,} reports, {size_mb:,.0f} MB ({path})")

    queries: list[
        tuple[str, HistoryFilters, Callable[[pd.DataFrame], pd.DataFrame]]
    ] = [
        ("first page", HistoryFilters(), lambda frame: frame),
        (
            "filter: failed, Finance",
            HistoryFilters(status=JobStatus.FAILED, category="Finance"),
            lambda frame: frame[
                (frame.status == "FAILED") & (frame.category == "Finance")
            ],
        ),
        (
            "filter: topic contains 'pizza'",
            HistoryFilters(topic="pizza"),
            lambda frame: frame[frame.topics.str.contains("pizza", case=False)],
        ),
        (
            "search: 'sourdough'",
            HistoryFilters(search="sourdough"),
            lambda frame: frame[_text_contains(frame, "sourdough")],
        ),
        (
            "search: 'interest' (nearly all)",
            HistoryFilters(search="interest"),
            lambda frame: frame[_text_contains(frame, "interest")],
        ),
    ]

    loaded: dict[str, pd.DataFrame] = {}

    def load_all() -> pd.DataFrame:
        loaded["frame"] = pd.read_sql(text(NAIVE_SQL), engine)
        return loaded["frame"]

    started = time.perf_counter()
    load_all()
    load_seconds = time.perf_counter() - started
    frame = loaded["frame"]
    print(
        f"Naive load of every job and report into pandas: {load_seconds * 1000:,.0f} ms"
    )
    print()
    print(f"{'query':34} {'engine ms':>10} {'naive ms':>10} {'ratio':>8}  rows/total")
    results = []
    for name, filters, naive_filter in queries:
        engine_ms = median_ms(lambda f=filters: list_history(f, engine=engine))
        page = list_history(filters, engine=engine)
        filter_ms = median_ms(
            lambda nf=naive_filter: (
                nf(frame).sort_values("job_id", ascending=False).head(PAGE)
            ),
            runs=3,
        )
        naive_ms = load_seconds * 1000 + filter_ms
        ratio = naive_ms / engine_ms
        results.append((name, engine_ms, ratio))
        print(
            f"{name:34} {engine_ms:10.1f} {naive_ms:10,.0f} {ratio:7,.0f}x"
            f"  {len(page.rows)}/{page.total:,}"
        )
    dashboard_ms = median_ms(lambda: dashboard_figures(30, engine=engine))
    print(f"{'dashboard: last 30 days':34} {dashboard_ms:10.1f}")
    print()
    first_ms = results[0][1]
    search_ms = max(ms for name, ms, _ in results if name.startswith("search"))
    lowest_ratio = min(ratio for _, _, ratio in results)
    print(
        f"First page {first_ms:.1f} ms (aim <= {FIRST_PAGE_AIM_MS} ms): "
        f"{'met' if first_ms <= FIRST_PAGE_AIM_MS else 'missed'}"
    )
    print(
        f"Slowest search {search_ms:.1f} ms (aim <= {SEARCH_AIM_MS} ms): "
        f"{'met' if search_ms <= SEARCH_AIM_MS else 'missed'}"
    )
    print(
        f"Lowest ratio {lowest_ratio:,.0f}x (aim >= {RATIO_AIM}x): "
        f"{'met' if lowest_ratio >= RATIO_AIM else 'missed'}"
    )
    engine.dispose()


def _text_contains(frame: pd.DataFrame, word: str):
    text_columns = frame[["title", "topics", "summary", "body"]].fillna("")
    joined = text_columns.agg(" ".join, axis=1)
    return frame.report_id.notna() & joined.str.contains(word, case=False)


if __name__ == "__main__":
    main()
