"""Where trends data came from, as charts and reports state it."""

from __future__ import annotations

from datetime import date, timedelta

from gtapi_replay import serve_weekly_comparison

from generation.analysis import analyse
from generation.models import utcnow
from generation.queries import get_report
from generation.trends import samples, service
from generation.trends.csv_import import parse_trends_csv
from generation.trends.provenance import (
    describe_data_quality,
    describe_origin,
    describe_partial_period,
    describe_query,
)
from generation.trends.query import validate_query
from generation.trends.stitching import get_stitched_trends, validate_stitched_query
from generation.writers.base import Brief
from generation.writers.data_brief import DataBriefWriter

TODAY = date(2026, 3, 1)
WEEKLY_SAMPLE = "weight-loss-drugs-us"
WEEKLY_SAMPLE_FILE = "trends_multitimeline_weekly_3terms_us_5y.csv"


def method_section(body: str) -> str:
    """Return a report's method section without Markdown escapes."""
    section = body.split("## Method and data source", 1)[1]
    return section.replace("\\", "")


def test_live_data_states_query_and_partial(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = validate_query(["pizza", "bagel"], "today 5-y", geo="", today=TODAY)

    data = service.get_trends(query, engine=engine, source=live_source).data

    text = describe_data_quality(data)
    assert text.startswith("Source: live from Google Trends, fetched 20")
    assert (
        "Query: pizza, bagel; today 5-y; worldwide; All categories; web search." in text
    )
    assert "The last period is partial" in text


def test_cached_data_states_its_age(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = validate_query(["pizza", "bagel"], "today 5-y", geo="GB", today=TODAY)
    service.get_trends(query, engine=engine, source=live_source)

    cached = service.get_trends(query, engine=engine, source=live_source).data
    later = cached.fetched_at + timedelta(hours=3)

    assert describe_origin(cached, now=later).startswith(
        "the trends cache, from a live Google Trends request made 3 hours ago ("
    )
    assert describe_query(cached).startswith("pizza, bagel; today 5-y; GB;")


def test_sample_names_its_file():
    data = samples.load_sample_bundle([WEEKLY_SAMPLE])

    text = describe_data_quality(data)

    assert text.startswith(
        "Source: the bundled sample 'Weight-loss drugs in the US, weekly over five "
        f"years' (file {WEEKLY_SAMPLE_FILE})."
    )
    assert "Query: ozempic, monjauro, wegovy; 2020-11-22 to 2025-11-23;" in text
    assert "do not mark a partial last period" in text


def test_upload_names_its_file():
    content = (samples.SAMPLES_DIR / WEEKLY_SAMPLE_FILE).read_bytes()
    data = parse_trends_csv(content, "multiTimeline.csv")

    assert describe_origin(data) == "the Google Trends CSV export 'multiTimeline.csv'"
    assert describe_query(data) == (
        "ozempic, monjauro, wegovy; 2020-11-22 to 2025-11-23; United States; "
        "All categories"
    )


def test_complete_live_series_says_complete(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = validate_query(["pizza", "bagel"], "today 5-y", geo="", today=TODAY)
    data = service.get_trends(query, engine=engine, source=live_source).data
    data.partial_last = False

    assert describe_partial_period(data) == "The last period is complete."


def test_stitched_data_says_so(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = validate_stitched_query(
        ["pizza", "bagel", "pasta"], "today 5-y", geo="", today=TODAY
    )

    data = get_stitched_trends(
        query, engine=engine, source=live_source, batch_size=2
    ).data

    text = describe_data_quality(data)
    assert "Query: pizza, bagel, pasta; today 5-y; worldwide;" in text
    assert "requests that each include the anchor 'pizza'" in text


def test_report_from_sample_names_sample_file(runner):
    submission = runner.submit(
        {
            "samples": [WEEKLY_SAMPLE],
            "category": "All categories",
            "writer": "data_brief",
        }
    )
    job = runner.wait(submission.job_id, timeout=60)

    method = method_section(get_report(job.report_id).body)

    assert "Source: the bundled sample 'Weight-loss drugs in the US" in method
    assert f"(file {WEEKLY_SAMPLE_FILE})" in method
    assert "Query: ozempic, monjauro, wegovy; 2020-11-22 to 2025-11-23;" in method
    assert "Provenance: Google Trends website export" in method


def test_report_from_live_query_states_query(trends_server, runner):
    serve_weekly_comparison(trends_server)
    submission = runner.submit(
        {
            "trends_query": {
                "terms": ["pizza", "bagel"],
                "timeframe": "today 5-y",
                "geo": "",
            },
            "category": "All categories",
            "writer": "data_brief",
        }
    )
    job = runner.wait(submission.job_id, timeout=60)
    assert job.report_id is not None, job.error

    method = method_section(get_report(job.report_id).body)

    assert "Source: live from Google Trends, fetched " in method
    assert (
        "Query: pizza, bagel; today 5-y; worldwide; All categories; web search."
        in method
    )
    assert "The last period is partial" in method
    assert utcnow().strftime("%Y-%m-%d") in method


def test_report_from_stitched_data_says_so(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = validate_stitched_query(
        ["pizza", "bagel", "pasta"], "today 5-y", geo="", today=TODAY
    )
    data = get_stitched_trends(
        query, engine=engine, source=live_source, batch_size=2
    ).data
    brief = Brief(
        category="Food", topics=data.terms, analysis=analyse(data), trends=data
    )

    draft = DataBriefWriter().write(brief, lambda *args, **kwargs: None)

    method = method_section(draft.body)
    assert "relative to the highest point of all the stitched requests" in method
    assert "Query: pizza, bagel, pasta; today 5-y; worldwide;" in method
    assert "requests that each include the anchor 'pizza'" in method
