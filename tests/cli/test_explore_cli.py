"""``python -m generation explore`` against a local Google Trends, run as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from tests.generation.trends_live.gtapi_replay import (
    received,
    recorded_json,
    serve_any_width_comparison,
    serve_weekly_comparison,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPLORE = "/trends/api/explore"


@pytest.fixture
def google(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    """A local Google Trends that serves the cookie request."""
    httpserver.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": "NID=cli; Path=/"})
    )
    yield httpserver
    httpserver.clear()


def run_explore(server: HTTPServer, *args: str) -> subprocess.CompletedProcess:
    env = os.environ.copy()
    env["GOOGLE_TRENDS_BASE_URL"] = server.url_for("/").rstrip("/")
    env["TRENDS_GEO"] = ""
    env["TRENDS_RETRY_INITIAL_SECONDS"] = "0.01"
    return subprocess.run(
        [sys.executable, "-m", "generation", "explore", *args],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def recorded_points() -> list[dict]:
    body = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    return body["default"]["timelineData"]


def test_text_tables_show_all_three_views(google):
    serve_weekly_comparison(google)

    done = run_explore(
        google, "pizza", "bagel", "--timeframe", "today 5-y", "--rows", "100"
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Source: live from Google Trends, fetched ")
    assert "Query: pizza, bagel; today 5-y; worldwide;" in lines[0]
    header = lines.index("Interest over time (weekly)")
    assert lines[header + 1].split() == ["pizza", "bagel"]
    assert lines[header + 2].split() == ["date"]
    assert lines[header + 3].split() == ["2018-04-01", "81", "1"]
    points = recorded_points()
    assert len([line for line in lines if re.match(r"^\d{4}-\d\d-\d\d", line)]) == len(
        points
    )
    assert lines[header + 2 + len(points)].split() == ["2023-03-19*", "58", "2"]
    assert "* partial period: not over when fetched" in lines
    assert any(
        line.startswith("Interest by country (share of searches, %;") for line in lines
    )
    assert any(line.split()[:3] == ["Canada", "98", "2"] for line in lines)
    assert "Related queries for pizza" in lines
    assert "    licorice pizza  [Breakout: growth above 5000 %]" in lines
    assert "    history of pizza  +400%" in lines


def test_json_has_every_row_and_its_source(google):
    serve_weekly_comparison(google)

    done = run_explore(google, "pizza", "bagel", "--timeframe", "today 5-y", "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    points = recorded_points()
    over_time = result["interest_over_time"]
    assert len(over_time) == len(points)
    assert over_time[0] == {"date": "2018-04-01", "pizza": 81.0, "bagel": 1.0}
    assert over_time[-1] == {"date": "2023-03-19", "pizza": 58.0, "bagel": 2.0}
    assert result["partial_last"] is True
    assert result["source"]["kind"] == "live"
    assert result["source"]["stale"] is False
    assert result["query"]["terms"] == ["pizza", "bagel"]
    canada = next(
        row for row in result["interest_by_region"]["rows"] if row["region"] == "Canada"
    )
    assert canada == {"region": "Canada", "pizza": 98.0, "bagel": 2.0}
    assert result["interest_by_region"]["values"] == "share"
    pizza = next(item for item in result["related"] if item["term"] == "pizza")
    assert pizza["rising"][0] == {
        "label": "licorice pizza",
        "value": None,
        "display": "Breakout",
        "breakout": True,
    }


def test_second_run_uses_the_cache(google):
    serve_weekly_comparison(google)
    run_explore(google, "pizza", "bagel", "--timeframe", "today 5-y")

    done = run_explore(google, "pizza", "bagel", "--timeframe", "today 5-y", "--json")

    assert done.returncode == 0, done.stderr
    assert len(received(google, EXPLORE)) == 1
    assert json.loads(done.stdout)["source"]["kind"] == "cache"


def test_stitch_compares_seven_terms(google):
    serve_any_width_comparison(google)
    terms = ["pizza", "bagel", "pasta", "sushi", "ramen", "tacos", "curry"]

    done = run_explore(google, *terms, "--timeframe", "today 5-y", "--stitch", "--json")

    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["terms"] == terms
    assert result["query"]["stitched"]["anchor"] == "pizza"
    assert len(received(google, EXPLORE)) == 2
    peak = max(
        value
        for row in result["interest_over_time"]
        for key, value in row.items()
        if key != "date"
    )
    assert peak == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ["a", "b", "c", "d", "e", "f"],
            (
                "error: 6 terms were given; Google Trends compares at most 5 at "
                "once. Remove 1 term."
            ),
        ),
        (
            ["pizza", "--timeframe", "today 2-y"],
            "error: 'today 2-y' is not a Google Trends timeframe;",
        ),
        (["pizza", "--geo", "ZZ"], "error: 'ZZ' is not a region code Google Trends"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(google, args, sentence):
    done = run_explore(google, *args)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(sentence)
    assert len(done.stderr.strip().splitlines()) == 1
    assert google.log == []


def test_rate_limit_without_cache_exits_1(google):
    google.expect_request(re.compile("/trends/api/.*")).respond_with_data(
        "", status=429, headers={"Retry-After": "0"}
    )

    done = run_explore(google, "pizza")

    assert done.returncode == 1
    assert done.stdout == ""
    *logged, sentence = done.stderr.strip().splitlines()
    assert sentence.startswith("error: Google Trends is limiting requests (HTTP 429);")
    assert "Google Trends returned HTTP 429; retry 1 of 2" in logged[0]
