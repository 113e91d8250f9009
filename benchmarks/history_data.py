"""Fill a database with many realistic jobs and reports, for History at scale.

Each report is written from a topic group of one to five search terms with
a weekly interest series over five years. The series are generated
(seasonality, trend and noise, scaled so the highest point is 100 as Google
Trends scales them), and the real analysis and the real data-brief writer turn
each group into figures and Markdown once. Every job then takes a group, a
category, a writer, a status and a time, so the rows read like a year of an
analyst team's work. Rows go in with bulk inserts, so 100 000 jobs and
reports take seconds, and the full-text triggers index every report on the
way in.

Run ``uv run python benchmarks/history_data.py DATABASE_URL [COUNT]``.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import json
import logging
import math
import operator
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import JSON, DateTime, Enum, Table, func, insert, select
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generation.analysis import analyse
from generation.db import get_engine, init_db
from generation.models import (
    GenerationJob,
    JobStatus,
    Report,
    TrendDataset,
)
from generation.requests import GenerationRequest
from generation.trends.base import RelatedItem, RelatedList, TrendsData
from generation.writers.base import Brief
from generation.writers.data_brief import DataBriefWriter

logger = logging.getLogger(__name__)

DEFAULT_COUNT = 100_000
BATCH_SIZE = 5_000
TOPIC_GROUPS = 240
WEEKS = 260
WEEK_INDEX = pd.date_range("2020-11-29", periods=WEEKS, freq="W-SUN", name="date")

# Search terms analysts at a consumer-research team report on, by category.
TERMS_BY_CATEGORY: dict[str, list[str]] = {
    "Food & Drink": [
        "pizza",
        "bagel",
        "sourdough",
        "oat milk",
        "matcha",
        "cold brew",
        "kombucha",
        "air fryer recipes",
        "ramen",
        "birria tacos",
        "hot honey",
        "protein coffee",
        "tinned fish",
        "dubai chocolate",
        "smash burger",
    ],
    "Health": [
        "ozempic",
        "wegovy",
        "mounjaro",
        "creatine",
        "magnesium glycinate",
        "intermittent fasting",
        "covid symptoms",
        "flu symptoms",
        "melatonin",
        "berberine",
        "ashwagandha",
        "cortisol",
        "zepbound",
        "sleepmaxxing",
    ],
    "Finance": [
        "bitcoin",
        "ethereum",
        "altcoin",
        "solana",
        "mortgage rates",
        "high yield savings",
        "inflation",
        "recession",
        "gold price",
        "index funds",
        "dogecoin",
        "stablecoin",
        "tariffs",
    ],
    "Computers & Electronics": [
        "python",
        "chatgpt",
        "gemini",
        "copilot",
        "rust language",
        "vision pro",
        "steam deck",
        "rtx 5090",
        "mechanical keyboard",
        "e-ink tablet",
        "home assistant",
        "raspberry pi",
        "local llm",
    ],
    "Travel": [
        "japan travel",
        "eurail pass",
        "esim",
        "lisbon",
        "seoul",
        "iceland",
        "national parks",
        "cruise deals",
        "solar eclipse",
        "work from anywhere",
    ],
    "Shopping": [
        "black friday",
        "labubu",
        "stanley cup",
        "dupes",
        "temu",
        "shein",
        "prime day",
        "secondhand clothes",
        "vinted",
        "gift ideas",
    ],
    "Sports": [
        "pickleball",
        "padel",
        "world cup",
        "super bowl",
        "marathon training",
        "tour de france",
        "formula 1",
        "wimbledon",
        "olympics",
        "run club",
    ],
    "Autos & Vehicles": [
        "electric cars",
        "heat pump",
        "e-bike",
        "tesla",
        "hybrid suv",
        "charging stations",
        "used cars",
        "car lease",
    ],
    "Beauty & Fitness": [
        "retinol",
        "sunscreen",
        "pilates",
        "hyrox",
        "cold plunge",
        "skin cycling",
        "hair oiling",
        "walking pad",
    ],
    "Games": [
        "minecraft",
        "roblox",
        "elden ring",
        "balatro",
        "switch 2",
        "palworld",
        "stardew valley",
        "chess",
    ],
    "News": [
        "israel",
        "ukraine",
        "russia",
        "palestine",
        "election",
        "heatwave",
        "hurricane",
        "wildfire",
        "strike",
        "eclipse",
    ],
    "Home & Garden": [
        "heat pump",
        "solar panels",
        "vertical garden",
        "bidet",
        "robot vacuum",
        "houseplants",
        "composting",
        "weekly market",
    ],
    "Jobs & Education": [
        "remote jobs",
        "four day week",
        "coding bootcamp",
        "student loans",
        "ai jobs",
        "layoffs",
        "side hustle",
    ],
}
GEOS = ("", "US", "GB", "DE", "FR", "KR", "JP", "BR", "IN", "US-CA", "DE-BE")
REPORT_TYPES = (
    "briefing",
    "market_opportunity",
    "content_plan",
    "competitor_comparison",
)
LENGTHS = ("short", "standard", "long")
GEMINI_VARIANTS = 8
INSTRUCTIONS = ("", "", "Focus on the last year.", "Compare with last season.")
GEMINI_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite")
# Rough list prices in US dollars per million tokens (input, output); an
# estimate, for cost figures of plausible size.
MODEL_PRICES = {
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash-lite": (0.10, 0.40),
}
FAILURES = (
    (
        "Google Trends answered HTTP 429 (too many requests) and nothing is cached "
        "for this query. Wait a few minutes, then retry the job."
    ),
    (
        "Gemini stopped the answer for safety reasons. Reword the instructions and "
        "retry the job."
    ),
    (
        "The Gemini quota for this key is used up. Wait for it to reset or use the "
        "data brief."
    ),
    (
        "Google Trends has too little data for these topics in this region. Widen "
        "the timeframe or the region."
    ),
)
# Shares of final statuses; the newest few jobs are still queued or running.
STATUS_WEIGHTS = (
    (JobStatus.SUCCEEDED, 0.86),
    (JobStatus.FAILED, 0.07),
    (JobStatus.CANCELLED, 0.045),
    (JobStatus.INTERRUPTED, 0.025),
)
ACTIVE_NEWEST = ((JobStatus.RUNNING, 3), (JobStatus.QUEUED, 4))
GEMINI_SENTENCES = (
    (
        "Search interest in {term} reached its highest point in the week of "
        "{peak}, at an index of {value}."
    ),
    (
        "Since then, interest in {term} has been {direction}, which matters for "
        "anyone planning campaigns around it."
    ),
    (
        "The related searches show people comparing prices, looking for reviews "
        "and asking how {term} works in practice."
    ),
    (
        "Seasonality is visible: interest in {term} climbs every year before the "
        "holidays and falls back in January."
    ),
    (
        "Regional interest is concentrated, so a test in the strongest region is "
        "cheaper than a national launch."
    ),
    "Rising queries point to new needs the current offers do not meet.",
)


@dataclass
class TopicGroup:
    """Terms with their trends data, analysis and a data-brief body."""

    terms: list[str]
    category: str
    geo: str
    dataset_id: int
    analysis: dict[str, Any]
    brief_title: str
    brief_summary: str
    brief_body: str
    peaks: dict[str, str]
    request: dict[str, Any]
    # Gemini-style (title, summary, body) variants, written once per group.
    gemini_texts: list[tuple[str, str, str]] = field(default_factory=list)
    # Requests by their varying fields, shared so each is JSON-encoded once.
    requests: dict[tuple, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class FillSummary:
    jobs: int
    reports: int
    datasets: int
    seconds: float
    first_job_id: int
    last_job_id: int


def fill_history(
    engine: Engine,
    count: int = DEFAULT_COUNT,
    *,
    seed: int = 7,
    days: int = 365,
    now: datetime | None = None,
) -> FillSummary:
    """Add ``count`` jobs (and a report for each succeeded one) to the database.

    Jobs are spread evenly over the ``days`` before ``now``, oldest first, so
    ids grow with time as they do in use. The same seed gives the same rows.
    """
    started = time.perf_counter()
    init_db(engine)
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    groups = _make_topic_groups(engine, rng)
    with engine.begin() as connection:
        first_job_id = (
            connection.execute(select(func.max(GenerationJob.id))).scalar() or 0
        ) + 1
        first_report_id = (
            connection.execute(select(func.max(Report.id))).scalar() or 0
        ) + 1
    next_report_id = first_report_id
    span = timedelta(days=days)
    step = span / max(1, count)
    jobs: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    # Hundreds of thousands of new dicts would trigger full garbage
    # collections over and over; none of them form cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    for index in range(count):
        job, report = _make_rows(
            rng,
            groups,
            job_id=first_job_id + index,
            report_id=next_report_id,
            created=now - span + step * index,
            newest_rank=count - index,
        )
        jobs.append(job)
        if report is not None:
            reports.append(report)
            next_report_id += 1
    try:
        _insert(engine, jobs, reports)
    finally:
        if gc_was_enabled:
            gc.enable()
    reports_made = len(reports)
    seconds = time.perf_counter() - started
    logger.info("Added %s jobs and %s reports in %.1f s", count, reports_made, seconds)
    return FillSummary(
        jobs=count,
        reports=reports_made,
        datasets=len(groups),
        seconds=seconds,
        first_job_id=first_job_id,
        last_job_id=first_job_id + count - 1,
    )


def _insert(
    engine: Engine, jobs: list[dict[str, Any]], reports: list[dict[str, Any]]
) -> None:
    if engine.dialect.name == "sqlite":
        _insert_sqlite(engine, jobs, reports)
    else:
        with engine.begin() as connection:
            for table, rows in (
                (GenerationJob.__table__, jobs),
                (Report.__table__, reports),
            ):
                for start in range(0, len(rows), BATCH_SIZE):
                    connection.execute(insert(table), rows[start : start + BATCH_SIZE])


def _insert_sqlite(
    engine: Engine, jobs: list[dict[str, Any]], reports: list[dict[str, Any]]
) -> None:
    """Insert rows through the SQLite driver in one transaction.

    SQLAlchemy's per-row type processing (JSON encoding above all) would take
    most of the time, so values are converted here, each shared analysis
    encoded once. FTS5 indexes a bulk load several times faster with one
    'rebuild' than row by row, so the insert trigger is dropped for the load
    and put back, from its own stored SQL, in the same transaction.
    """
    job_table, report_table = GenerationJob.__table__, Report.__table__
    # Close this process's idle connections, so the load may be the only one.
    engine.dispose()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        # WAL writes every page twice (log, then checkpoint). A rollback
        # journal copies only pages that existed before, and a bulk load
        # mostly adds pages. SQLite keeps WAL if another connection is open.
        journal = cursor.execute("PRAGMA journal_mode = TRUNCATE").fetchone()[0]
        # The rows are generated and can be generated again, so the load
        # skips the sync to disk that protects against a power cut.
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -262144")
        cursor.execute("BEGIN")
        trigger = cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' "
            "AND name = 'report_search_insert'"
        ).fetchone()
        if trigger is not None:
            cursor.execute("DROP TRIGGER report_search_insert")
        for table, rows in ((job_table, jobs), (report_table, reports)):
            columns = list(table.columns.keys())
            statement = (
                f"INSERT INTO {table.name} ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' for _ in columns)})"
            )
            cursor.executemany(statement, _sqlite_rows(table, rows))
        if trigger is not None:
            cursor.execute(
                "INSERT INTO report_search (report_search) VALUES ('rebuild')"
            )
            cursor.execute(trigger[0])
        raw.commit()
    except BaseException:
        raw.rollback()
        raise
    finally:
        if journal != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA cache_size = -2000")
        raw.close()


def _sqlite_rows(table: Table, rows: list[dict[str, Any]]) -> Iterator[tuple]:
    """Yield rows as tuples of the values SQLAlchemy would store in SQLite.

    A column the generator does not fill gets the model's default, so a
    column added to the model later does not break the generator.
    """
    model = GenerationJob if table is GenerationJob.__table__ else Report
    defaults = model(job_id=0, title="").model_dump()
    columns = list(table.columns.keys())
    read = operator.itemgetter(*columns)
    converted = [
        (index, converter)
        for index, name in enumerate(columns)
        if (converter := _sqlite_converter(table.columns[name].type)) is not None
    ]
    encoded: dict[int, str] = {}

    def encode_json(value: Any) -> str:
        # Rows share analysis, request and timings dicts; each is encoded once.
        key = id(value)
        if key not in encoded:
            encoded[key] = json.dumps(value)
        return encoded[key]

    missing = {
        name: defaults.get(name) for name in columns if rows and name not in rows[0]
    }
    for row in rows:
        if missing:
            row.update(missing)
        values = list(read(row))
        for index, converter in converted:
            value = values[index]
            if value is not None:
                values[index] = (
                    encode_json(value) if converter is json.dumps else converter(value)
                )
        yield tuple(values)


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, JSON):
        return json.dumps
    if isinstance(column_type, Enum):
        return _enum_name  # SQLAlchemy's Enum type stores member names
    # UTCDateTime (SQLModel) is a TypeDecorator around DateTime.
    if isinstance(getattr(column_type, "impl", column_type), DateTime):
        return _sqlite_datetime
    return None


def _enum_name(value: JobStatus) -> str:
    return value.name


def _sqlite_datetime(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _make_topic_groups(engine: Engine, rng: random.Random) -> list[TopicGroup]:
    numpy_rng = np.random.default_rng(rng.randrange(2**32))
    categories = list(TERMS_BY_CATEGORY)
    writer = DataBriefWriter()
    groups: list[TopicGroup] = []
    dataset_rows: list[dict[str, Any]] = []
    pending: list[tuple[TrendsData, str]] = []
    for _ in range(TOPIC_GROUPS):
        category = rng.choice(categories)
        vocabulary = TERMS_BY_CATEGORY[category]
        terms = rng.sample(
            vocabulary, k=min(len(vocabulary), rng.choice((1, 2, 2, 3, 3, 4, 5)))
        )
        data = _synthetic_trends(terms, rng.choice(GEOS), category, numpy_rng)
        pending.append((data, category))
        dataset_rows.append(
            {
                "name": ", ".join(terms),
                "source": "file",
                "provenance": "Generated by benchmarks/history_data.py",
                "terms": terms,
                "query": data.query,
                "payload": data.to_json_dict(),
                "content_hash": hashlib.sha256(
                    repr((terms, rng.random())).encode()
                ).hexdigest(),
            }
        )
    with engine.begin() as connection:
        first_id = (
            connection.execute(select(func.max(TrendDataset.id))).scalar() or 0
        ) + 1
        connection.execute(
            insert(TrendDataset.__table__),
            [dict(row, id=first_id + i) for i, row in enumerate(dataset_rows)],
        )
    for offset, (data, category) in enumerate(pending):
        analysis = analyse(data)
        draft = writer.write(
            Brief(category=category, topics=data.terms, analysis=analysis, trends=data),
            lambda *args, **kwargs: None,
        )
        groups.append(
            TopicGroup(
                terms=data.terms,
                category=category,
                geo=data.geo,
                dataset_id=first_id + offset,
                analysis=analysis.to_json_dict(),
                brief_title=draft.title,
                brief_summary=draft.summary,
                brief_body=draft.body,
                peaks={item.term: item.peak_period or "" for item in analysis.terms},
                request=GenerationRequest(
                    category=category, topics=data.terms, dataset_id=first_id + offset
                ).model_dump(mode="json"),
            )
        )
    for group in groups:
        group.gemini_texts = [_gemini_text(rng, group) for _ in range(GEMINI_VARIANTS)]
    return groups


def _synthetic_trends(
    terms: list[str], geo: str, category: str, rng: np.random.Generator
) -> TrendsData:
    weeks = WEEK_INDEX
    position = np.arange(WEEKS)
    columns = {}
    for _ in terms:
        level = rng.uniform(10, 60)
        trend = rng.uniform(-0.15, 0.25) * position
        season = rng.uniform(0, 15) * np.sin(
            2 * math.pi * (position + rng.uniform(0, 52)) / 52
        )
        noise = rng.normal(0, rng.uniform(1, 6), WEEKS)
        spike = np.zeros(WEEKS)
        spike[rng.integers(0, WEEKS)] = rng.uniform(0, 80)
        columns[_] = np.clip(level + trend + season + noise + spike, 0, None)
    frame = pd.DataFrame(dict(zip(terms, columns.values(), strict=True)), index=weeks)
    frame = (frame / frame.to_numpy().max() * 100).round()
    related = [
        RelatedList(
            term=term,
            kind="queries",
            top=[
                RelatedItem(
                    label=f"{term} {word}", value=float(value), display=str(value)
                )
                for word, value in zip(
                    ("near me", "price", "review", "vs"), (100, 64, 31, 12), strict=True
                )
            ],
            rising=[
                RelatedItem(
                    label=f"best {term} 2025",
                    value=None,
                    display="Breakout",
                    breakout=True,
                ),
                RelatedItem(label=f"{term} deals", value=250.0, display="+250%"),
            ],
        )
        for term in terms
    ]
    return TrendsData(
        terms=terms,
        interest_over_time=frame,
        related=related,
        granularity="weekly",
        partial_last=True,
        geo=geo,
        category=category,
        timeframe="today 5-y",
        source="file",
        provenance="Generated by benchmarks/history_data.py",
        query={"terms": terms, "timeframe": "today 5-y", "geo": geo},
    )


def _make_rows(
    rng: random.Random,
    groups: list[TopicGroup],
    *,
    job_id: int,
    report_id: int,
    created: datetime,
    newest_rank: int,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    group = rng.choice(groups)
    status = _status(rng, newest_rank)
    gemini = rng.random() < 0.45
    writer = "gemini" if gemini else "data_brief"
    model = rng.choice(GEMINI_MODELS) if gemini else ""
    varying = (
        writer,
        model,
        rng.choice(REPORT_TYPES),
        rng.choice(LENGTHS),
        rng.choice(INSTRUCTIONS),
    )
    request = group.requests.get(varying)
    if request is None:
        # The group's request was validated once; these fields take valid values.
        request = group.requests[varying] = dict(
            group.request,
            writer=writer,
            report_type=varying[2],
            length=varying[3],
            instructions=varying[4],
            options={"model": model} if model else {},
        )
    queue_wait = timedelta(seconds=rng.uniform(0.05, 4))
    run_time = rng.lognormvariate(math.log(35 if gemini else 0.6), 0.5)
    started_at = created + queue_wait if status != JobStatus.QUEUED else None
    finished_at = (
        started_at + timedelta(seconds=run_time)
        if started_at is not None and status.is_final
        else None
    )
    topics = ", ".join(group.terms)
    job: dict[str, Any] = {
        "id": job_id,
        "status": status,
        "progress": 100 if status == JobStatus.SUCCEEDED else rng.randrange(0, 90),
        "stage": {JobStatus.SUCCEEDED: "done", JobStatus.QUEUED: ""}.get(
            status, "write"
        ),
        "message": "",
        "error": "",
        "request": request,
        "request_key": hashlib.sha256(f"{job_id}".encode()).hexdigest(),
        "category": group.category,
        "topics": topics,
        "writer": writer,
        "model": model,
        "dataset_id": group.dataset_id,
        "report_id": None,
        "retry_of": None,
        "cancel_requested": status == JobStatus.CANCELLED,
        "batch_id": "",
        "schedule_id": rng.choice((1, 2, 3)) if rng.random() < 0.2 else None,
        "partial_text": "",
        "worker": "bench-host:1",
        "created_at": created,
        "started_at": started_at,
        "finished_at": finished_at,
        "heartbeat_at": finished_at or created,
    }
    if status == JobStatus.FAILED:
        job["error"] = job["message"] = rng.choice(FAILURES)
    elif status == JobStatus.CANCELLED:
        job["message"] = "Cancelled; the text written so far is kept."
    elif status == JobStatus.INTERRUPTED:
        job["message"] = job["error"] = (
            "Interrupted: the process running it stopped. Retry it to run it again."
        )
    elif status == JobStatus.RUNNING:
        job["message"] = "Writing the section on " + group.terms[0]
    if status != JobStatus.SUCCEEDED:
        return job, None

    title, summary, body = _report_text(rng, group, gemini)
    prompt_tokens = rng.randrange(1800, 7000) if gemini else 0
    output_tokens = rng.randrange(700, 3500) if gemini else 0
    thinking_tokens = rng.randrange(0, 2500) if gemini else 0
    cost = 0.0
    if gemini:
        price_in, price_out = MODEL_PRICES[model]
        cost = (
            prompt_tokens * price_in + (output_tokens + thinking_tokens) * price_out
        ) / 1e6
    job.update(report_id=report_id, message=f"Report ready: {title}")
    report = {
        "id": report_id,
        "job_id": job_id,
        "dataset_id": group.dataset_id,
        "title": title,
        "summary": summary,
        "body": body,
        "category": group.category,
        "topics": topics,
        "analysis": group.analysis,
        "sources": _sources(rng, group) if gemini else [],
        "inputs": request,
        "writer": writer,
        "writer_version": "1.0",
        "model": model,
        "prompt_tokens": prompt_tokens,
        "output_tokens": output_tokens,
        "thinking_tokens": thinking_tokens,
        "cost_usd": round(cost, 6),
        "timings": _timings(round(run_time, 1)),
        "duration_seconds": round(run_time, 4),
        "created_at": finished_at,
        "deleted_at": None,
    }
    return job, report


@functools.cache
def _timings(run_time: float) -> dict[str, float]:
    # Cached, so rows with the same rounded time share one dict to encode.
    return {
        "load data": round(run_time * 0.02, 4),
        "analyse": round(run_time * 0.01, 4),
        "write": round(run_time * 0.95, 4),
        "save": round(run_time * 0.02, 4),
    }


def _status(rng: random.Random, newest_rank: int) -> JobStatus:
    remaining = newest_rank
    for status, how_many in ACTIVE_NEWEST:
        if remaining <= how_many:
            return status
        remaining -= how_many
    pick = rng.random()
    for status, weight in STATUS_WEIGHTS:
        if pick < weight:
            return status
        pick -= weight
    return JobStatus.SUCCEEDED


def _report_text(
    rng: random.Random, group: TopicGroup, gemini: bool
) -> tuple[str, str, str]:
    if not gemini:
        return group.brief_title, group.brief_summary, group.brief_body
    return rng.choice(group.gemini_texts)


def _gemini_text(rng: random.Random, group: TopicGroup) -> tuple[str, str, str]:
    lead = group.terms[0]
    title = rng.choice(
        (
            f"Where search interest in {lead} goes next",
            f"{', '.join(group.terms)}: what the searches say",
            f"Demand for {lead} in {group.geo or 'the world'}",
        )
    )
    paragraphs = [f"# {title}", "", "## Summary", ""]
    summary_parts = []
    for term in group.terms:
        item = next(t for t in group.analysis["terms"] if t["term"] == term)
        sentence = GEMINI_SENTENCES[0].format(
            term=term,
            peak=item["peak_period"],
            value=item["peak_value"],
            direction=item["direction"],
        )
        summary_parts.append(sentence)
    summary = " ".join(summary_parts)
    paragraphs.append(summary)
    for term in group.terms:
        item = next(t for t in group.analysis["terms"] if t["term"] == term)
        paragraphs += ["", f"## {term}", ""]
        picked = rng.sample(GEMINI_SENTENCES[1:], k=3)
        paragraphs.append(
            " ".join(
                sentence.format(
                    term=term,
                    peak=item["peak_period"],
                    value=item["peak_value"],
                    direction=item["direction"],
                )
                for sentence in picked
            )
        )
    paragraphs += [
        "",
        "## What to watch",
        "",
        f"Watch the rising searches around {lead}.",
    ]
    return title, summary, "\n".join(paragraphs) + "\n"


def _sources(rng: random.Random, group: TopicGroup) -> list[dict[str, str]]:
    # example.com is reserved for documentation (RFC 2606), so no generated
    # citation points at a real site.
    return [
        {
            "title": f"{term.title()} market update",
            "uri": f"https://example.com/news/{term.replace(' ', '-')}-{rng.randrange(1000)}",
        }
        for term in group.terms[: rng.randrange(0, 4)]
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database_url", help="SQLAlchemy URL, e.g. sqlite:///data/bench.db"
    )
    parser.add_argument("count", nargs="?", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args(argv)
    summary = fill_history(
        get_engine(arguments.database_url), arguments.count, seed=arguments.seed
    )
    print(
        f"Added {summary.jobs} jobs, {summary.reports} reports and "
        f"{summary.datasets} datasets in {summary.seconds:.1f} s."
    )


if __name__ == "__main__":
    main()
