"""Explore's live source through AppTest, against a local Google Trends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from werkzeug import Response

from generation import config
from generation.analysis import analyse
from generation.db import get_engine
from generation.jobs import get_runner
from generation.trends import transport
from generation.trends.base import TrendsData
from generation.trends.cache import TrendsCacheEntry
from tests.conftest import REPO_ROOT
from tests.generation.trends_live.gtapi_replay import (
    CLOSED_LOCAL_URL,
    received,
    recorded,
    recorded_json,
    request_json,
    serve_any_width_comparison,
    serve_explore,
    serve_recorded,
)

TIMEOUT = 60
EXPLORE = "/trends/api/explore"


@pytest.fixture(autouse=True)
def local_trends_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Short retry waits, no cool-down left over, Google out of reach."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", CLOSED_LOCAL_URL)
    monkeypatch.setenv("TRENDS_RETRY_INITIAL_SECONDS", "0.01")
    monkeypatch.setenv("TRENDS_GEO", "")
    config.get_settings.cache_clear()
    transport.reset_cooldowns()
    yield
    transport.reset_cooldowns()


@pytest.fixture
def google(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """A local Google Trends that replays the recorded pizza and bagel bodies."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", httpserver.url_for("/").rstrip("/"))
    config.get_settings.cache_clear()
    httpserver.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": "NID=apptest; Path=/"})
    )
    serve_explore(httpserver, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    for path, name in {
        "/trends/api/widgetdata/multiline": "gtapi_multiline_weekly_2terms_5y_ispartial.txt",
        "/trends/api/widgetdata/comparedgeo": "gtapi_comparedgeo_country_2terms_2021.txt",
        "/trends/api/widgetdata/relatedsearches": (
            "gtapi_relatedsearches_queries_pizza_2021.txt"
        ),
        "/trends/api/autocomplete/pizza": "gtapi_autocomplete_pizza.txt",
    }.items():
        serve_recorded(httpserver, path, name)
    httpserver.expect_request("/trending/rss").respond_with_data(
        recorded("trends_trending_now_rss_gb.xml"), content_type="application/rss+xml"
    )
    yield httpserver
    httpserver.clear()


def open_explore(**query_params: str | list[str]) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    for name, value in query_params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page("pages/explore.py")
    app.run()
    return app


def open_live() -> AppTest:
    app = open_explore()
    app.segmented_control(key="explore-source").set_value("Live").run()
    return app


def compare(app: AppTest, terms: list[str], timeframe: str = "today 5-y") -> AppTest:
    app.multiselect(key="q").set_value(terms)
    app.selectbox(key="date").set_value(timeframe)
    app.form_submit_button[0].click()
    return app.run()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def captions(app: AppTest) -> list[str]:
    """Return the captions as shown, without Markdown escapes."""
    return [caption.replace("\\", "") for caption in texts(app.caption)]


def test_live_form_fetches_and_charts(google):
    app = compare(open_live(), ["pizza", "bagel"])

    assert not app.exception
    assert app.subheader[0].value == "pizza, bagel"
    shown = captions(app)
    assert any(
        caption.startswith("Source: live from Google Trends, fetched ")
        and "Query: pizza, bagel; today 5-y; worldwide; All categories; web search."
        in caption
        and "The last period is partial" in caption
        for caption in shown
    ), shown
    assert len(received(google, EXPLORE)) == 1
    assert [expander.label for expander in app.expander] == [
        "Related queries for pizza",
        "Related queries for bagel",
    ]
    assert app.multiselect(key="explore-picked-topics").value == ["pizza", "bagel"]


def test_second_visit_uses_the_cache(google):
    compare(open_live(), ["pizza", "bagel"])

    app = compare(open_live(), ["pizza", "bagel"])

    assert not app.exception
    assert len(received(google, EXPLORE)) == 1
    assert any(
        caption.startswith(
            "Source: the trends cache, from a live Google Trends request made "
        )
        for caption in captions(app)
    )


def test_six_terms_get_sentence_next_to_terms(google):
    app = compare(open_live(), ["a", "b", "c", "d", "e", "f"])

    assert not app.exception
    assert texts(app.error) == [
        "6 terms were given; Google Trends compares at most 5 at once. Remove 1 term."
    ]
    assert received(google, EXPLORE) == []


def test_bad_date_range_gets_sentence(google):
    app = open_explore(q="pizza", date="2024-01-01 2023-01-01")

    assert not app.exception
    assert texts(app.error) == [
        (
            "The date range starts on 2024-01-01 and ends on 2023-01-01; the start "
            "must come before the end."
        )
    ]
    assert received(google, EXPLORE) == []


def test_rate_limit_without_cache_shows_sample(google):
    google.clear()
    google.expect_request(re.compile(".*")).respond_with_data(
        "", status=429, headers={"Retry-After": "0"}
    )

    app = compare(open_live(), ["pizza", "bagel"])

    assert not app.exception
    (banner,) = [text for text in texts(app.warning) if "limiting requests" in text]
    assert banner.startswith("Google Trends is limiting requests (HTTP 429);")
    assert "so the bundled sample" in banner
    assert app.subheader[0].value != "pizza, bagel"


def test_rate_limit_with_cache_shows_stale_copy_and_age(google):
    compare(open_live(), ["pizza", "bagel"])
    with Session(get_engine()) as session:
        for entry in session.exec(select(TrendsCacheEntry)).all():
            entry.fetched_at -= timedelta(days=2)
            entry.expires_at -= timedelta(days=2)
            session.add(entry)
        session.commit()
    google.clear()
    google.expect_request(re.compile(".*")).respond_with_data("", status=429)

    app = compare(open_live(), ["pizza", "bagel"])

    assert not app.exception
    warnings = texts(app.warning)
    assert any(
        text.startswith("Google Trends is limiting requests")
        and text.endswith("Showing the copy cached 2 days ago instead.")
        for text in warnings
    ), warnings
    assert app.subheader[0].value == "pizza, bagel"
    assert any(
        caption.startswith(
            "Source: the trends cache, from a live Google Trends request made "
            "2 days ago"
        )
        for caption in captions(app)
    )


def test_offline_shows_sentence_not_traceback():
    app = compare(open_live(), ["pizza", "bagel"])

    assert not app.exception
    sentences = texts(app.warning)
    assert any(
        text.startswith("Could not connect to Google Trends at 127.0.0.1:9")
        for text in sentences
    ), sentences


def test_link_with_query_reopens_exploration(google):
    app = open_explore(q=["pizza", "bagel"], date="today 5-y")

    assert not app.exception
    assert app.segmented_control(key="explore-source").value == "Live"
    assert app.multiselect(key="q").value == ["pizza", "bagel"]
    assert app.subheader[0].value == "pizza, bagel"


def test_trending_feed_waits_for_its_tab(google):
    app = open_live()

    assert not app.exception
    assert received(google, "/trending/rss") == []


def test_suggestion_adds_term(google):
    app = open_live()
    app.text_input(key="live-lookup").set_value("pizza").run()
    pills = app.pills(key="live-suggestion")
    assert pills.options[:2] == ["Pizza · Dish", "Licorice Pizza · 2021 film"]

    pills.set_value("Pizza").run()

    assert not app.exception
    assert app.multiselect(key="q").value == ["Pizza"]


def test_trending_now_lists_searches(google):
    app = open_explore(q="pizza", **{"live-view": "Trending now"})

    assert not app.exception
    table = app.dataframe(key="trending-table").value
    assert list(table["search"][:2]) == ["Nvidia", "grizzlies vs timberwolves"]
    assert len(table) == 10
    assert app.button(key="compare-trending").disabled
    (rss,) = received(google, "/trending/rss")
    assert rss.args["geo"] == "US"


@pytest.fixture
def any_width_google(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> HTTPServer:
    """A local Google Trends that serves comparisons of up to five terms."""
    monkeypatch.setenv("GOOGLE_TRENDS_BASE_URL", httpserver.url_for("/").rstrip("/"))
    config.get_settings.cache_clear()
    httpserver.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": "NID=apptest; Path=/"})
    )
    serve_any_width_comparison(httpserver)
    yield httpserver
    httpserver.clear()


SEVEN_TERMS = ["pizza", "bagel", "pasta", "sushi", "ramen", "tacos", "curry"]


def region_table(app: AppTest):
    """Return the by-region table beside the region chart."""
    (table,) = [
        frame.value for frame in app.dataframe if frame.value.index.name == "region"
    ]
    return table


def stitch(app: AppTest, terms: list[str]) -> AppTest:
    app.toggle(key="stitch").set_value(True)
    return compare(app, terms)


def test_stitched_comparison_says_how(any_width_google):
    app = stitch(open_live(), SEVEN_TERMS)

    assert not app.exception
    assert app.subheader[0].value == ", ".join(SEVEN_TERMS)
    sent = [
        [item["keyword"] for item in request_json(request)["comparisonItem"]]
        for request in received(any_width_google, EXPLORE)
    ]
    assert sent == [SEVEN_TERMS[:5], ["tacos", "curry", "pizza"]]
    (caption,) = [text for text in captions(app) if "Stitched values" in text]
    assert (
        "these 7 terms come from 2 requests that each include the anchor 'pizza'"
        in caption
    )
    assert "scaled so that the highest is 100" in caption


def test_stitched_region_table_on_one_scale(any_width_google):
    canada = next(
        row
        for row in recorded_json("gtapi_comparedgeo_country_2terms_2021.txt")[
            "default"
        ]["geoMapData"]
        if row["geoName"] == "Canada"
    )
    pizza_share, bagel_share = (float(value) for value in canada["value"])
    # First request: pizza's, bagel's, pizza's, bagel's and pizza's shares, with
    # the anchor pizza on pizza's. Second: bagel's, pizza's and, for the
    # anchor, bagel's again.
    ratio = bagel_share / pizza_share
    relative = [1.0, ratio, 1.0, ratio, 1.0, 1.0, 1 / ratio]

    app = stitch(open_live(), SEVEN_TERMS)

    table = region_table(app)
    assert list(table.columns) == SEVEN_TERMS
    expected = [value / sum(relative) * 100 for value in relative]
    assert list(table.loc["Canada"]) == pytest.approx(expected)
    download = app.download_button(key="explore-download-interest_over_time")
    assert download.label == "Download interest over time (ZIP)"


def test_link_reopens_stitched_comparison(any_width_google):
    app = open_explore(q=SEVEN_TERMS, date="today 5-y", stitch="true")

    assert not app.exception
    assert app.toggle(key="stitch").value is True
    assert app.subheader[0].value == ", ".join(SEVEN_TERMS)
    assert any("Stitched values" in caption for caption in captions(app))


def test_twenty_six_stitched_terms_get_sentence(any_width_google):
    terms = [f"term {number}" for number in range(1, 27)]

    app = stitch(open_live(), terms)

    assert not app.exception
    assert texts(app.error) == [
        "26 terms were given; a stitched comparison takes at most 25. Remove 1 term."
    ]
    assert received(any_width_google, EXPLORE) == []


def test_reading_and_region_table_beside_chart(google):
    app = compare(open_live(), ["pizza", "bagel"])
    figures = analyse(
        TrendsData(
            terms=["pizza", "bagel"],
            interest_over_time=recorded_frame(),
            granularity="weekly",
            partial_last=True,
        )
    ).term("pizza")

    assert not app.exception
    reading = [text for text in texts(app.markdown) if "peaked at" in text]
    assert len(reading) == 1
    first_line = reading[0].replace("\\", "").splitlines()[0]
    assert first_line.startswith(
        f"- pizza peaked at {figures.peak_value:g} on {figures.peak_period} and is "
        f"{figures.direction}"
    )
    assert "The last week is not over yet" in reading[0].replace("\\", "")
    table = region_table(app)
    assert table.loc["Canada", "pizza"] == 98.0
    assert table.index[0] == table["pizza"].idxmax()
    labels = [button.label for button in app.download_button]
    assert labels == [
        "Download interest over time (CSV)",
        "Download interest by region (CSV)",
        "Download related queries (CSV)",
    ]


def recorded_frame():
    """Return the recorded weekly pizza and bagel series as the live source reads it."""
    import pandas as pd

    points = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")["default"][
        "timelineData"
    ]
    index = pd.DatetimeIndex(
        pd.to_datetime([int(point["time"]) for point in points], unit="s"), name="date"
    )
    return pd.DataFrame(
        [[float(value) for value in point["value"]] for point in points],
        index=index,
        columns=["pizza", "bagel"],
    )


def test_breakouts_marked_in_rising_table(google):
    app = compare(open_live(), ["pizza", "bagel"])

    rising = app.dataframe(key="explore-related-0-rising").value
    related = recorded_json("gtapi_relatedsearches_queries_pizza_2021.txt")
    recorded_rising = related["default"]["rankedList"][1]["rankedKeyword"]
    assert list(rising["query"]) == [item["query"] for item in recorded_rising]
    assert list(rising["breakout"]) == [
        item["formattedValue"] == "Breakout" for item in recorded_rising
    ]
    assert rising["breakout"].iloc[0]
    assert rising["value"].iloc[0] == "Breakout"


def test_related_rows_join_picked_topics(google):
    app = compare(open_live(), ["pizza", "bagel"])
    app.session_state["explore-related-0-rising"] = {
        "selection": {"rows": [0, 1], "columns": [], "cells": []}
    }
    app.run()
    add = app.button(key="explore-related-0-add")
    assert not add.disabled

    add.click().run()

    assert not app.exception
    picked = app.multiselect(key="explore-picked-topics")
    assert picked.value == ["pizza", "bagel", "licorice pizza", "history of pizza"]
    app.button[-1].click().run()
    assert not app.exception
    assert app.multiselect[0].label == "Topics"
    assert app.multiselect[0].value == [
        "pizza",
        "bagel",
        "licorice pizza",
        "history of pizza",
    ]


def test_sample_chart_names_its_file():
    app = open_explore()

    assert not app.exception
    shown = captions(app)
    assert any(
        caption.startswith(
            "Source: the bundled sample 'Weight-loss drugs in the US, weekly over "
            "five years' (file trends_multitimeline_weekly_3terms_us_5y.csv)."
        )
        for caption in shown
    ), shown


def test_report_charts_state_source_and_query(google):
    runner = get_runner()
    submission = runner.submit(
        {
            "trends_query": {
                "terms": ["pizza", "bagel"],
                "timeframe": "today 5-y",
                "geo": "",
            },
            "writer": "data_brief",
        }
    )
    job = runner.wait(submission.job_id, timeout=TIMEOUT)
    assert job.report_id is not None, job.error

    app = open_explore()
    app.switch_page("pages/history.py")
    app.query_params["report"] = str(job.report_id)
    app.run()

    assert not app.exception
    shown = captions(app)
    assert any(
        caption.startswith("Source: live from Google Trends, fetched ")
        and "Query: pizza, bagel; today 5-y; worldwide;" in caption
        and "The last period is partial" in caption
        for caption in shown
    ), shown
    assert [
        button.label
        for button in app.button
        if button.label == "Add the selected to the topics"
    ] == []
    assert any(
        "Query: pizza, bagel; today 5-y; worldwide" in text.replace("\\", "")
        for text in texts(app.markdown)
    )
