"""The trends interface: cache first, stale fallback, TTLs, one upstream call."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime, timedelta

import pytest
import requests
import responses
from gtapi_replay import received, recorded, serve_explore, serve_recorded
from sqlmodel import Session, select
from werkzeug import Request, Response

from generation.errors import InvalidRequest, TrendsRateLimited, TrendsUnavailable
from generation.models import utcnow
from generation.trends import service
from generation.trends.cache import (
    TrendsCacheEntry,
    read_cache,
    ttl_for_timeframe,
)
from generation.trends.query import validate_query

EXPLORE = "/trends/api/explore"
AUTOCOMPLETE = "/trends/api/autocomplete/pizza"
RSS = "/trending/rss"


def query(timeframe: str = "today 5-y"):
    return validate_query(["pizza", "bagel"], timeframe, geo="", today=date(2026, 3, 1))


def serve_google(server) -> None:
    serve_explore(server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    serve_recorded(
        server,
        "/trends/api/widgetdata/multiline",
        "gtapi_multiline_weekly_2terms_5y_ispartial.txt",
    )
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
    serve_recorded(server, AUTOCOMPLETE, "gtapi_autocomplete_pizza.txt")
    server.expect_request(RSS).respond_with_data(
        recorded("trends_trending_now_rss_gb.xml"),
        content_type="application/rss+xml; charset=utf-8",
    )


def make_google_refuse(server) -> None:
    """Replace every answer with HTTP 429, as a rate-limited Google does."""
    server.clear()
    server.expect_request(re.compile(".*")).respond_with_data(
        "", status=429, headers={"Retry-After": "0"}
    )


def age_cache(engine, by: timedelta) -> None:
    """Move every cache entry's fetch and expiry times ``by`` into the past."""
    with Session(engine) as session:
        for entry in session.exec(select(TrendsCacheEntry)).all():
            entry.fetched_at -= by
            entry.expires_at -= by
            session.add(entry)
        session.commit()


def test_first_call_is_live_and_cached(trends_server, engine, live_source):
    serve_google(trends_server)

    result = service.get_trends(query(), engine=engine, source=live_source)

    assert result.from_cache is False
    assert result.stale is False
    assert result.age_seconds == 0.0
    assert result.data.source == "live"
    with Session(engine) as session:
        (entry,) = session.exec(select(TrendsCacheEntry)).all()
    assert entry.kind == "interest"
    assert entry.request["terms"] == ["pizza", "bagel"]
    assert entry.expires_at - entry.fetched_at == timedelta(days=1)


def test_second_call_comes_from_cache(trends_server, engine, live_source):
    serve_google(trends_server)
    first = service.get_trends(query(), engine=engine, source=live_source)
    requests_after_first = len(trends_server.log)

    second = service.get_trends(query(), engine=engine, source=live_source)

    assert len(trends_server.log) == requests_after_first
    assert second.from_cache is True
    assert second.stale is False
    assert second.data.source == "cache"
    assert second.data.partial_last is True
    assert second.data.interest_over_time.equals(first.data.interest_over_time)
    rising = second.data.related_for("pizza", "queries").rising
    assert rising[0].breakout is True


def test_stale_cache_served_with_age_when_rate_limited(
    trends_server, engine, live_source
):
    serve_google(trends_server)
    live = service.get_trends(query(), engine=engine, source=live_source)
    age_cache(engine, timedelta(days=2))
    make_google_refuse(trends_server)

    result = service.get_trends(query(), engine=engine, source=live_source)

    assert result.stale is True
    assert result.from_cache is True
    assert 2 * 86400 <= result.age_seconds < 2 * 86400 + 60
    assert result.notice.startswith("Google Trends is limiting requests (HTTP 429);")
    assert result.data.interest_over_time.equals(live.data.interest_over_time)
    assert service.describe_age(result.age_seconds) == "2 days"


def test_no_cache_and_rate_limited_raises(trends_server, engine, live_source):
    make_google_refuse(trends_server)

    with pytest.raises(TrendsRateLimited):
        service.get_trends(query(), engine=engine, source=live_source)


def test_stale_not_allowed_raises(trends_server, engine, live_source):
    serve_google(trends_server)
    service.get_trends(query(), engine=engine, source=live_source)
    age_cache(engine, timedelta(days=2))
    make_google_refuse(trends_server)

    with pytest.raises(TrendsUnavailable):
        service.get_trends(
            query(), engine=engine, source=live_source, allow_stale=False
        )


def test_offline_with_cache_serves_stale(
    engine, trends_server, live_source, monkeypatch
):
    serve_google(trends_server)
    service.get_trends(query(), engine=engine, source=live_source)
    age_cache(engine, timedelta(hours=30))
    trends_server.stop()
    try:
        result = service.get_trends(query(), engine=engine, source=live_source)
    finally:
        trends_server.start()

    assert result.stale is True
    assert result.notice.startswith("Could not connect to Google Trends at localhost:")
    assert service.describe_age(result.age_seconds) == "30 hours"


def test_ttl_of_one_hour_expires(trends_server, engine, live_source):
    serve_google(trends_server)
    service.get_trends(query("now 1-H"), engine=engine, source=live_source)
    age_cache(engine, timedelta(minutes=59))

    service.get_trends(query("now 1-H"), engine=engine, source=live_source)
    assert len(received(trends_server, EXPLORE)) == 1

    age_cache(engine, timedelta(minutes=2))
    result = service.get_trends(query("now 1-H"), engine=engine, source=live_source)

    assert len(received(trends_server, EXPLORE)) == 2
    assert result.from_cache is False


def test_ttl_per_timeframe():
    now = datetime(2026, 3, 1, 12, 0)
    assert ttl_for_timeframe("now 1-H") == timedelta(hours=1)
    assert ttl_for_timeframe("now 4-H") < timedelta(hours=1)
    assert ttl_for_timeframe("now 1-d") < timedelta(hours=1)
    assert ttl_for_timeframe("today 5-y") == timedelta(days=1)
    assert ttl_for_timeframe("all") == timedelta(days=1)
    assert ttl_for_timeframe("2020-01-01 2021-01-01", now=now) == timedelta(days=1)
    assert ttl_for_timeframe("2026-01-01 2026-03-01", now=now) == timedelta(hours=6)


def test_ten_threads_make_one_upstream_request(trends_server, engine, live_source):
    serve_google(trends_server)
    trends_server.clear()
    serve_google_slowly(trends_server)
    start = threading.Barrier(10)
    results = []
    errors = []

    def ask() -> None:
        start.wait()
        try:
            results.append(
                service.get_trends(query(), engine=engine, source=live_source)
            )
        except Exception as error:  # noqa: BLE001 - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 10
    assert len(received(trends_server, EXPLORE)) == 1
    assert len(received(trends_server, "/trends/explore/")) == 1
    for result in results:
        assert result.data.interest_over_time["pizza"].iloc[-1] == 58.0


def serve_google_slowly(server) -> None:
    """Serve the recorded answers, holding the explore answer for 0.3 s."""
    from gtapi_replay import NID_COOKIE

    server.expect_request("/trends/explore/").respond_with_response(
        Response("", headers={"Set-Cookie": f"NID={NID_COOKIE}; Path=/"})
    )

    def slow_explore(_request: Request) -> Response:
        time.sleep(0.3)
        return Response(
            recorded("gtapi_explore_widgets_pizza_bagel_5y.txt"),
            content_type="application/json",
        )

    server.expect_request(EXPLORE, method="POST").respond_with_handler(slow_explore)
    serve_google(server)


def test_dict_query_is_validated_before_any_request(trends_server, engine):
    serve_google(trends_server)

    with pytest.raises(InvalidRequest) as caught:
        service.get_trends(
            {"terms": ["a", "b", "c", "d", "e", "f"], "timeframe": "today 5-y"},
            engine=engine,
        )

    assert caught.value.field == "terms"
    assert trends_server.log == []


def test_job_trends_query_dict_is_fetched(trends_server, engine):
    serve_google(trends_server)

    result = service.get_trends(
        {
            "terms": ["pizza", "bagel"],
            "timeframe": "today 5-y",
            "geo": "",
            "category": 0,
            "gprop": "",
        },
        engine=engine,
    )

    assert result.data.terms == ["pizza", "bagel"]
    assert result.data.query["resolution"] == "COUNTRY"


def test_suggestions_are_cached(trends_server, engine, live_source):
    serve_google(trends_server)

    first = service.suggest("pizza", engine=engine, source=live_source)
    second = service.suggest("Pizza ", engine=engine, source=live_source)

    assert [item.title for item in first] == [item.title for item in second]
    assert first[0].mid == "/m/0663v"
    assert len(received(trends_server, AUTOCOMPLETE)) == 1


def test_trending_now_is_cached_then_stale(trends_server, engine):
    serve_google(trends_server)

    first = service.trending_now("gb", engine=engine)
    second = service.trending_now("GB", engine=engine)
    assert len(received(trends_server, RSS)) == 1
    age_cache(engine, timedelta(hours=1))
    make_google_refuse(trends_server)
    third = service.trending_now("GB", engine=engine)

    assert first.from_cache is False
    assert first.searches[0].title == "Nvidia"
    assert second.from_cache is True
    assert second.stale is False
    assert third.stale is True
    assert third.notice.startswith("Google Trends is limiting requests")
    assert [item.title for item in third.searches] == [
        item.title for item in first.searches
    ]
    assert third.searches[0].published == first.searches[0].published


def test_cache_read_reports_freshness(trends_server, engine, live_source):
    serve_google(trends_server)
    service.get_trends(query(), engine=engine, source=live_source)
    with Session(engine) as session:
        (entry,) = session.exec(select(TrendsCacheEntry)).all()

    fresh = read_cache(engine, entry.key, now=entry.fetched_at + timedelta(hours=23))
    expired = read_cache(engine, entry.key, now=entry.fetched_at + timedelta(hours=25))

    assert fresh is not None and fresh.fresh is True
    assert expired is not None and expired.fresh is False
    assert expired.age_seconds == 25 * 3600


def test_no_request_leaves_localhost(trends_server, engine):
    serve_google(trends_server)
    local_prefix = trends_server.url_for("/").rstrip("/")

    # responses lets only the local server through; any other address gets
    # a ConnectionError, which would turn into a failed live call below.
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(local_prefix)
        with pytest.raises(requests.ConnectionError):
            requests.get("https://trends.google.com/trends/api/explore", timeout=1)
        interest = service.get_trends(query(), engine=engine)
        suggestions = service.suggest("pizza", engine=engine)
        trending = service.trending_now("GB", engine=engine)

    assert interest.from_cache is False
    assert suggestions[0].title == "Pizza"
    assert trending.from_cache is False
    assert len(trends_server.log) == 9


def test_cache_age_uses_fetch_time(trends_server, engine, live_source):
    serve_google(trends_server)
    before = utcnow()
    result = service.get_trends(query(), engine=engine, source=live_source)
    assert result.data.fetched_at is not None
    assert before <= result.data.fetched_at <= utcnow()
