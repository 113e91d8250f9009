"""Retries on 429, 5xx and timeouts; the cool-down; connection failures."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from gtapi_replay import received, serve_explore, serve_recorded
from pytrends.request import TrendReq
from werkzeug import Request, Response

from generation import config
from generation.errors import TrendsRateLimited, TrendsUnavailable
from generation.trends.live import LiveTrendsSource, TrendReqAtBaseUrl
from generation.trends.query import validate_query
from generation.trends.transport import TrendsTransport, parse_retry_after

EXPLORE = "/trends/api/explore"
MULTILINE = "/trends/api/widgetdata/multiline"


def query():
    return validate_query(
        ["pizza", "bagel"], "today 5-y", geo="", today=date(2026, 3, 1)
    )


def serve_widgets(server) -> None:
    serve_recorded(server, MULTILINE, "gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    serve_recorded(
        server,
        "/trends/api/widgetdata/comparedgeo",
        "gtapi_comparedgeo_country_2terms_2021.txt",
    )
    serve_recorded(
        server,
        "/trends/api/widgetdata/relatedsearches",
        "gtapi_relatedsearches_queries_pizza_2021.txt",
    )


def refuse_explore_once(server, status: int, headers: dict[str, str] | None = None):
    server.expect_oneshot_request(EXPLORE, method="POST").respond_with_data(
        "", status=status, headers=headers or {}
    )


def test_429_with_retry_after_then_success(trends_server, live_source, sleeps):
    refuse_explore_once(trends_server, 429, {"Retry-After": "2"})
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    serve_widgets(trends_server)

    data = live_source.fetch(query())

    assert len(received(trends_server, EXPLORE)) == 2
    assert sleeps == [2.0]
    assert data.interest_over_time["pizza"].iloc[-1] == 58.0


def test_429_without_retry_after_backs_off_with_jitter(
    trends_server, live_source, sleeps
):
    refuse_explore_once(trends_server, 429)
    refuse_explore_once(trends_server, 429)
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    serve_widgets(trends_server)

    live_source.fetch(query())

    assert len(received(trends_server, EXPLORE)) == 3
    assert len(sleeps) == 2
    # Initial wait 0.01 s doubling per attempt, plus up to 0.01 s of jitter.
    assert 0.01 <= sleeps[0] <= 0.02
    assert 0.02 <= sleeps[1] <= 0.03


def test_429_throughout_raises_rate_limited_and_cools_down(
    trends_server, live_source, sleeps
):
    trends_server.expect_request(EXPLORE, method="POST").respond_with_data(
        "", status=429, headers={"Retry-After": "1"}
    )

    with pytest.raises(TrendsRateLimited) as caught:
        live_source.fetch(query())

    assert caught.value.message == (
        "Google Trends is limiting requests (HTTP 429); try again in about 60 seconds."
    )
    assert len(received(trends_server, EXPLORE)) == 3
    assert sleeps == [1.0, 1.0]

    requests_before = len(trends_server.log)
    with pytest.raises(TrendsRateLimited) as again:
        live_source.fetch(query())
    assert len(trends_server.log) == requests_before
    assert again.value.message.startswith(
        "Google Trends was limiting requests a moment ago, so no new request was "
        "sent; try again in about"
    )


def test_first_request_429_with_long_retry_after_is_not_retried(
    trends_server, live_source, sleeps
):
    trends_server.expect_oneshot_request("/trends/explore/").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )

    with pytest.raises(TrendsRateLimited) as caught:
        live_source.fetch(query())

    assert len(trends_server.log) == 1
    assert sleeps == []
    assert caught.value.message == (
        "Google Trends is limiting requests (HTTP 429); try again in about 60 minutes."
    )


def test_total_wait_is_bounded(trends_server, live_source, sleeps):
    trends_server.expect_request(EXPLORE, method="POST").respond_with_data(
        "", status=429, headers={"Retry-After": "20"}
    )

    with pytest.raises(TrendsRateLimited):
        live_source.fetch(query())

    # A second 20 s wait would pass the 30 s budget, so only one retry ran.
    assert sleeps == [20.0]
    assert len(received(trends_server, EXPLORE)) == 2


def test_repeated_500_raises_unavailable_sentence(trends_server, live_source, sleeps):
    trends_server.expect_request(EXPLORE, method="POST").respond_with_data(
        "Internal Server Error", status=500
    )

    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query())

    assert not isinstance(caught.value, TrendsRateLimited)
    assert caught.value.message == (
        "Google Trends failed with HTTP 500 on /trends/api/explore, 3 times; try "
        "again in a few minutes."
    )
    assert len(received(trends_server, EXPLORE)) == 3
    assert len(sleeps) == 2


def test_503_once_then_success(trends_server, live_source, sleeps):
    trends_server.expect_oneshot_request(MULTILINE).respond_with_data("", status=503)
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    serve_widgets(trends_server)

    data = live_source.fetch(query())

    assert len(received(trends_server, MULTILINE)) == 2
    assert len(sleeps) == 1
    assert data.partial_last is True


def test_timeouts_raise_unavailable_sentence(trends_server, monkeypatch, sleeps):
    monkeypatch.setenv("TRENDS_TIMEOUT_SECONDS", "0.2")
    config.get_settings.cache_clear()

    def slow_answer(_request: Request) -> Response:
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    trends_server.expect_request(EXPLORE, method="POST").respond_with_handler(
        slow_answer
    )
    source = LiveTrendsSource(
        config.get_settings(),
        transport_factory=lambda settings: TrendsTransport(
            settings, sleep=sleeps.append
        ),
    )

    with pytest.raises(TrendsUnavailable) as caught:
        source.fetch(query())

    assert caught.value.message == (
        "Google Trends timed out after 0.2 seconds, 3 times; try again "
        "later or raise TRENDS_TIMEOUT_SECONDS."
    )
    assert len(sleeps) == 2


def test_connection_refused_fails_at_once(sleeps):
    source = LiveTrendsSource(
        config.get_settings(),
        transport_factory=lambda settings: TrendsTransport(
            settings, sleep=sleeps.append
        ),
    )

    with pytest.raises(TrendsUnavailable) as caught:
        source.fetch(query())

    assert caught.value.message == (
        "Could not connect to Google Trends at 127.0.0.1:9 (connection refused); "
        "check the network connection or the GOOGLE_TRENDS_BASE_URL setting."
    )
    assert sleeps == []


def test_pytrends_own_retries_are_off(trends_server):
    transport = TrendsTransport(config.get_settings())

    client = TrendReqAtBaseUrl(transport, hl="en-US", tz=0)

    assert client.retries == 0
    assert client.backoff_factor == 0


def test_pytrends_own_retries_break_on_urllib3_2(trends_server):
    client = TrendReqAtBaseUrl(TrendsTransport(config.get_settings()), hl="en-US", tz=0)
    client.retries = 2
    client.backoff_factor = 0.1

    # pytrends 4.9 passes method_whitelist=, which urllib3 2 removed.
    with pytest.raises(TypeError, match="method_whitelist"):
        TrendReq._get_data(client, trends_server.url_for("/trends/api/explore"))


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after({"Retry-After": "120"}) == 120.0
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    in_a_minute = datetime.now(UTC) + timedelta(seconds=60)
    seconds = parse_retry_after(
        {"Retry-After": format_datetime(in_a_minute, usegmt=True)}
    )
    assert seconds is not None
    assert 55 <= seconds <= 60
