"""The real pytrends against real recorded Google Trends bodies on localhost."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from gtapi_replay import (
    JSON_TYPE,
    NID_COOKIE,
    received,
    recorded_json,
    request_json,
    serve_by_token,
    serve_explore,
    serve_recorded,
    widget_token,
)

from generation.errors import NoTrendsData, TrendsUnavailable
from generation.trends.base import LESS_THAN_ONE
from generation.trends.query import validate_query

TODAY = date(2026, 3, 1)
MULTILINE = "/trends/api/widgetdata/multiline"
COMPAREDGEO = "/trends/api/widgetdata/comparedgeo"
RELATED = "/trends/api/widgetdata/relatedsearches"


def query(*terms: str, timeframe: str = "today 5-y", **options):
    return validate_query(list(terms), timeframe, today=TODAY, **options)


def serve_weekly(server) -> None:
    serve_explore(server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    serve_recorded(server, MULTILINE, "gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    serve_recorded(server, COMPAREDGEO, "gtapi_comparedgeo_country_2terms_2021.txt")
    serve_recorded(server, RELATED, "gtapi_relatedsearches_queries_pizza_2021.txt")


def test_weekly_interest_marks_partial_last_week(trends_server, live_source):
    serve_weekly(trends_server)

    data = live_source.fetch(query("pizza", "bagel"))

    frame = data.interest_over_time
    points = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    timeline = points["default"]["timelineData"]
    assert list(frame.columns) == ["pizza", "bagel"]
    assert len(frame) == len(timeline)
    assert frame.index.name == "date"
    assert frame.index[0] == datetime(2018, 4, 1)
    assert frame.index[-1] == datetime(2023, 3, 19)
    assert frame["pizza"].iloc[-1] == 58.0
    assert frame["bagel"].iloc[-1] == 2.0
    assert frame["pizza"].iloc[0] == 81.0
    assert data.partial_last is True
    assert data.granularity == "weekly"
    assert data.source == "live"
    assert data.timeframe == "today 5-y"
    assert data.query["terms"] == ["pizza", "bagel"]
    assert data.fetched_at is not None
    assert data.provenance.startswith("Google Trends live (http://localhost:")


def test_daily_interest_uses_widget_token(trends_server, live_source):
    explore = "gtapi_explore_widgets_pizza_bagel_2021_5days.txt"
    serve_explore(trends_server, explore)
    serve_recorded(trends_server, MULTILINE, "gtapi_multiline_daily_2terms_5days.txt")
    serve_recorded(
        trends_server, COMPAREDGEO, "gtapi_comparedgeo_country_2terms_2021.txt"
    )
    serve_recorded(
        trends_server, RELATED, "gtapi_relatedsearches_queries_pizza_2021.txt"
    )

    data = live_source.fetch(query("pizza", "bagel", timeframe="2021-01-01 2021-01-05"))

    frame = data.interest_over_time
    assert list(frame["pizza"]) == [100.0, 83.0, 78.0, 49.0, 50.0]
    assert list(frame["bagel"]) == [2.0, 2.0, 2.0, 1.0, 1.0]
    assert frame.index[0] == datetime(2021, 1, 1)
    assert data.partial_last is False
    assert data.granularity == "daily"
    (multiline,) = received(trends_server, MULTILINE)
    assert multiline.args["token"] == widget_token(explore, "TIMESERIES")
    assert request_json(multiline)["resolution"] == "DAY"
    (explore_request,) = received(trends_server, "/trends/api/explore")
    assert request_json(explore_request)["comparisonItem"][0]["time"] == (
        "2021-01-01 2021-01-05"
    )


def test_interest_by_region_drops_regions_without_data(trends_server, live_source):
    serve_weekly(trends_server)

    data = live_source.fetch(query("pizza", "bagel"))

    regions = data.interest_by_region
    geo_map = recorded_json("gtapi_comparedgeo_country_2terms_2021.txt")
    with_data = [row for row in geo_map["default"]["geoMapData"] if any(row["hasData"])]
    assert len(regions) == len(with_data)
    assert "Puerto Rico" not in regions.index
    assert regions.loc["Canada", "pizza"] == 98.0
    assert regions.loc["Canada", "bagel"] == 2.0
    assert regions.loc["United States", "bagel"] == 3.0
    assert regions.index.name == "region"
    assert data.region_values == "share"
    assert data.region_resolution == "COUNTRY"


def test_region_share_below_one_percent_is_half(trends_server, live_source):
    serve_weekly(trends_server)

    regions = live_source.fetch(query("pizza", "bagel")).interest_by_region

    geo_map = recorded_json("gtapi_comparedgeo_country_2terms_2021.txt")
    below_one = [
        row["geoName"]
        for row in geo_map["default"]["geoMapData"]
        if row["formattedValue"][1] == "<1%"
    ]
    assert below_one
    for name in below_one:
        assert regions.loc[name, "bagel"] == LESS_THAN_ONE


def test_region_resolution_is_sent(trends_server, live_source):
    serve_weekly(trends_server)

    live_source.fetch(query("pizza", "bagel", geo="US", resolution="metro"))

    (region_request,) = received(trends_server, COMPAREDGEO)
    sent = request_json(region_request)
    assert sent["resolution"] == "DMA"
    assert sent["includeLowSearchVolumeGeos"] is False
    (explore,) = received(trends_server, "/trends/api/explore")
    assert [item["geo"] for item in request_json(explore)["comparisonItem"]] == [
        "US",
        "US",
    ]


def test_related_queries_keep_breakout_and_rising_percent(trends_server, live_source):
    serve_weekly(trends_server)

    data = live_source.fetch(query("pizza", "bagel"))

    related = data.related_for("pizza", "queries")
    assert related.top[0].label == "pizza hut"
    assert related.top[0].value == 100.0
    assert len(related.top) == 25
    breakout = related.rising[0]
    assert breakout.label == "licorice pizza"
    assert breakout.breakout is True
    assert breakout.value is None
    assert breakout.display == "Breakout"
    assert related.rising[1].label == "history of pizza"
    assert related.rising[1].value == 400.0
    assert related.rising[1].breakout is False
    assert related.rising[1].display == "+400%"
    assert data.related_for("bagel", "queries").top


def test_value_count_mismatch_is_sentence(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_2021.txt")
    serve_recorded(trends_server, MULTILINE, "gtapi_multiline_daily_2terms_5days.txt")

    # Two values per point for a one-term query: not what Google sends.
    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query("pizza", timeframe="2021-01-01 2021-12-31"))

    assert "format this app does not recognise" in caught.value.message


def test_related_topics_parse_titles_and_less_than_one(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_2021.txt")
    serve_recorded(trends_server, MULTILINE, "gtapi_multiline_daily_2terms_5days.txt")
    serve_recorded(
        trends_server, COMPAREDGEO, "gtapi_comparedgeo_country_2terms_2021.txt"
    )
    explore = "gtapi_explore_widgets_pizza_2021.txt"
    serve_by_token(
        trends_server,
        RELATED,
        {
            widget_token(explore, "RELATED_TOPICS"): (
                "gtapi_relatedsearches_topics_pizza_2021.txt"
            ),
            widget_token(explore, "RELATED_QUERIES"): (
                "gtapi_relatedsearches_queries_pizza_2021.txt"
            ),
        },
    )

    data = live_source.fetch(query("pizza", "bagel", timeframe="2021-01-01 2021-12-31"))

    topics = data.related_for("pizza", "topics")
    assert topics.top[0].label == "Pizza"
    assert topics.top[1].label == "Pizza Hut"
    assert topics.top[1].value == 23.0
    ooni = next(item for item in topics.top if item.label == "Ooni")
    assert ooni.value == LESS_THAN_ONE
    assert ooni.display == "<1"
    assert topics.rising[0].label == "Sam Goody"
    assert topics.rising[0].breakout is True
    assert topics.rising[1].value == 160.0
    assert data.related_for("pizza", "queries").rising[0].label == "licorice pizza"


def test_suggestions_from_autocomplete(trends_server, live_source):
    serve_recorded(
        trends_server, "/trends/api/autocomplete/pizza", "gtapi_autocomplete_pizza.txt"
    )

    suggestions = live_source.suggest("pizza")

    assert [item.title for item in suggestions] == [
        "Pizza",
        "Licorice Pizza",
        "Dominos Pizza",
        "Pizza dough",
        "history of pizza",
    ]
    assert suggestions[0].type == "Dish"
    assert suggestions[0].mid == "/m/0663v"
    (request,) = received(trends_server, "/trends/api/autocomplete/pizza")
    assert request.args["hl"] == "en-US"


def test_korean_suggestion_path_is_encoded(trends_server, live_source):
    # No Korean autocomplete answer was recorded; this one has the recorded
    # pizza answer's shape and checks only how the word travels.
    trends_server.expect_request("/trends/api/autocomplete/김치").respond_with_data(
        ")]}',\n"
        + '{"default":{"topics":[{"mid":"/m/0gj4z","title":"김치","type":"음식"}]}}',
        content_type=JSON_TYPE,
    )

    suggestions = live_source.suggest("김치")

    assert suggestions[0].title == "김치"
    (request,) = received(trends_server, "/trends/api/autocomplete/김치")
    assert request.environ["RAW_URI"].startswith(
        "/trends/api/autocomplete/%EA%B9%80%EC%B9%98?"
    )


def test_terms_with_commas_quotes_and_hangul_are_sent_whole(trends_server, live_source):
    serve_weekly(trends_server)
    terms = ["paris, texas", 'the "best" pizza']

    data = live_source.fetch(query(*terms))

    (explore,) = received(trends_server, "/trends/api/explore")
    sent = request_json(explore)["comparisonItem"]
    assert [item["keyword"] for item in sent] == terms
    assert list(data.interest_over_time.columns) == terms


def test_korean_term_is_sent_as_unicode(trends_server, live_source):
    serve_weekly(trends_server)

    live_source.fetch(query("김치", "비빔밥"))

    (explore,) = received(trends_server, "/trends/api/explore")
    sent = request_json(explore)["comparisonItem"]
    assert [item["keyword"] for item in sent] == ["김치", "비빔밥"]
    assert explore.args["hl"] == "en-US"
    assert explore.args["tz"] == "0"


def test_every_request_goes_to_base_url_with_cookie(trends_server, live_source):
    serve_weekly(trends_server)

    live_source.fetch(query("pizza", "bagel"))

    paths = [request.path for request, _response in trends_server.log]
    assert paths == [
        "/trends/explore/",
        "/trends/api/explore",
        MULTILINE,
        COMPAREDGEO,
        RELATED,
        RELATED,
    ]
    for request, _response in trends_server.log[1:]:
        assert request.headers["Cookie"] == f"NID={NID_COOKIE}"
        assert request.headers["Accept-Language"] == "en-US"


def test_empty_timeline_is_no_data_sentence(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    trends_server.expect_request(MULTILINE).respond_with_data(
        ')]}\',\n{"default":{"timelineData":[],"averages":[]}}', content_type=JSON_TYPE
    )

    with pytest.raises(NoTrendsData) as caught:
        live_source.fetch(query("zyxqv", "qvxzy"))

    assert caught.value.message == (
        "Google Trends has too little search data for 'zyxqv' and 'qvxzy' "
        "(today 5-y, worldwide) to show; try a longer timeframe, a wider region "
        "or a more common term."
    )
    assert received(trends_server, COMPAREDGEO) == []


def test_timeline_without_data_flags_is_no_data(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    point = {
        "time": "1609459200",
        "value": [0, 0],
        "hasData": [False, False],
        "formattedValue": ["0", "0"],
    }
    body = {"default": {"timelineData": [point, point | {"time": "1609545600"}]}}
    trends_server.expect_request(MULTILINE).respond_with_json(body)

    with pytest.raises(NoTrendsData):
        live_source.fetch(query("zyxqv", "qvxzy", geo="IS"))


def test_text_partial_flag_is_recognised(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    body = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    body["default"]["timelineData"][-1]["isPartial"] = "true"
    trends_server.expect_request(MULTILINE).respond_with_json(body)
    serve_recorded(
        trends_server, COMPAREDGEO, "gtapi_comparedgeo_country_2terms_2021.txt"
    )
    serve_recorded(
        trends_server, RELATED, "gtapi_relatedsearches_queries_pizza_2021.txt"
    )

    data = live_source.fetch(query("pizza", "bagel"))

    assert data.partial_last is True


def test_less_than_one_in_timeline_is_half(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    body = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    body["default"]["timelineData"][0]["value"] = [81, 0]
    body["default"]["timelineData"][0]["formattedValue"] = ["81", "<1"]
    trends_server.expect_request(MULTILINE).respond_with_json(body)
    serve_recorded(
        trends_server, COMPAREDGEO, "gtapi_comparedgeo_country_2terms_2021.txt"
    )
    serve_recorded(
        trends_server, RELATED, "gtapi_relatedsearches_queries_pizza_2021.txt"
    )

    frame = live_source.fetch(query("pizza", "bagel")).interest_over_time

    assert frame["bagel"].iloc[0] == LESS_THAN_ONE
    assert frame["pizza"].iloc[0] == 81.0


def test_html_instead_of_json_is_sentence(trends_server, live_source):
    trends_server.expect_request(
        "/trends/api/explore", method="POST"
    ).respond_with_data(
        "<html><body>Before you continue to Google</body></html>",
        content_type="text/html; charset=utf-8",
    )

    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query("pizza"))

    assert caught.value.message == (
        "Google Trends sent a web page instead of data (often a consent or robot "
        "check); try again later."
    )


def test_malformed_json_is_sentence(trends_server, live_source):
    serve_explore(trends_server, "gtapi_explore_widgets_pizza_bagel_5y.txt")
    truncated = recorded_json("gtapi_multiline_weekly_2terms_5y_ispartial.txt")
    text = ")]}',\n" + str(truncated)[:500]
    trends_server.expect_request(MULTILINE).respond_with_data(
        text, content_type=JSON_TYPE
    )

    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query("pizza", "bagel"))

    assert caught.value.message == (
        "Google Trends sent data from /trends/api/widgetdata/multiline that is not "
        "valid JSON; try again later."
    )


def test_unexpected_shape_is_sentence(trends_server, live_source):
    trends_server.expect_request(
        "/trends/api/explore", method="POST"
    ).respond_with_json({"error": "changed"})

    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query("pizza"))

    assert "format this app does not recognise" in caught.value.message


def test_client_error_status_is_sentence(trends_server, live_source):
    trends_server.expect_request(
        "/trends/api/explore", method="POST"
    ).respond_with_data("bad request", status=400)

    with pytest.raises(TrendsUnavailable) as caught:
        live_source.fetch(query("pizza"))

    assert caught.value.message.startswith(
        "Google Trends rejected the request to /trends/api/explore with HTTP 400;"
    )
    assert len(received(trends_server, "/trends/api/explore")) == 1
