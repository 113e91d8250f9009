"""Stitching more than five terms onto one scale through an anchor term.

The local server responds to every request with the recorded pizza and bagel
bodies, so in each request the first term gets pizza's values and the second
bagel's. With two terms per request, the anchor (pizza, the higher mean of
the first request) goes last in the later requests and gets bagel's values
there: the factors are far from 1, and the expected numbers below are
computed from the recorded body.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from gtapi_replay import (
    received,
    recorded_json,
    request_json,
    serve_weekly_comparison,
)

from generation.errors import InvalidRequest
from generation.trends.base import LESS_THAN_ONE, TrendsData
from generation.trends.service import TrendsResult
from generation.trends.stitching import (
    MAX_STITCHED_TERMS,
    StitchedQuery,
    anchor_factor,
    count_requests,
    describe_stitching,
    get_stitched_trends,
    stitch_results,
    stitching_of,
    validate_stitched_query,
)

TODAY = date(2026, 3, 1)
EXPLORE = "/trends/api/explore"
MULTILINE_BODY = "gtapi_multiline_weekly_2terms_5y_ispartial.txt"
REGIONS_BODY = "gtapi_comparedgeo_country_2terms_2021.txt"


def stitched_query(*terms: str) -> StitchedQuery:
    return validate_stitched_query(list(terms), "today 5-y", geo="", today=TODAY)


def recorded_series() -> tuple[pd.Series, pd.Series]:
    """Return the recorded pizza and bagel series, with '<1' read as 0.5."""
    points = recorded_json(MULTILINE_BODY)["default"]["timelineData"]
    index = pd.to_datetime([int(point["time"]) for point in points], unit="s")

    def column(position: int) -> pd.Series:
        values = [
            LESS_THAN_ONE
            if point["formattedValue"][position].startswith("<")
            else float(point["value"][position])
            for point in points
        ]
        return pd.Series(values, index=index)

    return column(0), column(1)


def test_four_terms_share_one_scale(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    pizza, bagel = recorded_series()
    both = (pizza > 0) & (bagel > 0)
    # In the later requests the anchor pizza is second, so it gets bagel's values.
    factor = pizza[both].mean() / bagel[both].mean()
    scale = 100 / (pizza.max() * factor)

    result = get_stitched_trends(
        stitched_query("pizza", "bagel", "pasta", "sushi"),
        engine=engine,
        source=live_source,
        batch_size=2,
    )

    frame = result.data.interest_over_time
    assert list(frame.columns) == ["pizza", "bagel", "pasta", "sushi"]
    assert frame["pizza"].to_numpy() == pytest.approx((pizza * scale).to_numpy())
    assert frame["bagel"].to_numpy() == pytest.approx((bagel * scale).to_numpy())
    assert frame["pasta"].to_numpy() == pytest.approx(
        (pizza * factor * scale).to_numpy()
    )
    assert frame["sushi"].to_numpy() == pytest.approx(frame["pasta"].to_numpy())
    assert frame.max().max() == pytest.approx(100.0)
    assert factor > 10
    sent = [
        [item["keyword"] for item in request_json(request)["comparisonItem"]]
        for request in received(trends_server, EXPLORE)
    ]
    assert sent == [["pizza", "bagel"], ["pasta", "pizza"], ["sushi", "pizza"]]


def test_stitched_data_records_method(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)

    result = get_stitched_trends(
        stitched_query("pizza", "bagel", "pasta"),
        engine=engine,
        source=live_source,
        batch_size=2,
    )

    data = result.data
    stitched = stitching_of(data)
    assert stitched is not None
    assert stitched["anchor"] == "pizza"
    assert stitched["requests"] == [["pizza", "bagel"], ["pasta", "pizza"]]
    assert stitched["factors"][0] == 1.0
    assert stitched["factors"][1] > 10
    assert stitched["left_out"] == []
    assert data.query["terms"] == ["pizza", "bagel", "pasta"]
    assert data.partial_last is True
    assert data.source == "live"
    assert data.provenance.endswith("2 requests stitched through the anchor 'pizza'")
    sentence = describe_stitching(data)
    assert sentence.startswith("Stitched values: Google Trends compares at most 5")
    assert "these 3 terms come from 2 requests" in sentence
    assert "include the anchor 'pizza'" in sentence
    assert "scaled so that the highest is 100" in sentence


def test_region_shares_stitched_through_anchor(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    canada = next(
        row
        for row in recorded_json(REGIONS_BODY)["default"]["geoMapData"]
        if row["geoName"] == "Canada"
    )
    pizza_share, bagel_share = (float(value) for value in canada["value"])
    # Volumes relative to the anchor: pizza 1, bagel in the first request, and
    # pasta in the second, where the anchor has bagel's share.
    relative = {
        "pizza": 1.0,
        "bagel": bagel_share / pizza_share,
        "pasta": pizza_share / bagel_share,
    }
    total = sum(relative.values())

    result = get_stitched_trends(
        stitched_query("pizza", "bagel", "pasta"),
        engine=engine,
        source=live_source,
        batch_size=2,
    )

    regions = result.data.interest_by_region
    assert list(regions.columns) == ["pizza", "bagel", "pasta"]
    for term, value in relative.items():
        assert regions.loc["Canada", term] == pytest.approx(value / total * 100)
    assert regions.sum(axis=1).to_numpy() == pytest.approx(100.0)
    assert result.data.region_values == "share"


def test_second_stitch_uses_cache(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    query = stitched_query("pizza", "bagel", "pasta")
    first = get_stitched_trends(query, engine=engine, source=live_source, batch_size=2)
    sent = len(trends_server.log)

    second = get_stitched_trends(query, engine=engine, source=live_source, batch_size=2)

    assert len(trends_server.log) == sent
    assert second.from_cache is True
    assert second.data.source == "cache"
    assert second.data.interest_over_time.equals(first.data.interest_over_time)


def test_five_terms_need_no_stitching(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)

    result = get_stitched_trends(
        stitched_query("pizza", "bagel"), engine=engine, source=live_source
    )

    assert stitching_of(result.data) is None
    assert describe_stitching(result.data) == ""
    assert len(received(trends_server, EXPLORE)) == 1
    assert result.data.interest_over_time["pizza"].iloc[-1] == 58.0


def test_twenty_six_terms_rejected(trends_server):
    terms = [f"term {number}" for number in range(1, MAX_STITCHED_TERMS + 2)]

    with pytest.raises(InvalidRequest) as caught:
        validate_stitched_query(terms, today=TODAY)

    assert caught.value.message == (
        "26 terms were given; a stitched comparison takes at most 25. Remove 1 term."
    )
    assert caught.value.field == "terms"
    assert trends_server.log == []


def test_twenty_five_terms_are_accepted():
    terms = [f"term {number}" for number in range(1, MAX_STITCHED_TERMS + 1)]

    query = validate_stitched_query(terms, "today 12-m", geo="GB", today=TODAY)

    assert len(query.terms) == 25
    assert query.options.terms == tuple(terms[:5])
    assert query.request(["term 9", "term 1"]).geo == "GB"
    assert query.to_dict()["terms"] == terms


def test_duplicate_across_requests_is_rejected():
    terms = ["pizza", "bagel", "pasta", "sushi", "ramen", "tacos", "Pizza"]

    with pytest.raises(InvalidRequest) as caught:
        validate_stitched_query(terms, today=TODAY)

    assert caught.value.message == (
        "'Pizza' is entered twice (as 'pizza' too); give each term once."
    )


def test_stitched_options_are_validated():
    with pytest.raises(InvalidRequest) as caught:
        validate_stitched_query(["a", "b", "c", "d", "e", "f"], "today 2-y")

    assert caught.value.field == "timeframe"


def test_anchor_factor_ignores_periods_with_zero():
    index = pd.date_range("2024-01-07", periods=4, freq="W")
    base = pd.Series([10.0, 0.0, 30.0, 20.0], index=index)
    other = pd.Series([5.0, 50.0, 0.0, 10.0], index=index)

    # Only the first and last weeks count: (10 + 20) / (5 + 10).
    assert anchor_factor(base, other) == pytest.approx(2.0)
    assert anchor_factor(base, other * 0) is None


def result_of(frame: pd.DataFrame) -> TrendsResult:
    data = TrendsData(
        terms=list(frame.columns),
        interest_over_time=frame,
        source="live",
        provenance="Google Trends live (local)",
    )
    return TrendsResult(data=data, stale=False, age_seconds=0.0, from_cache=False)


def test_zero_anchor_leaves_request_out():
    index = pd.date_range("2024-01-07", periods=3, freq="W", name="date")
    first = pd.DataFrame(
        {"pizza": [100.0, 80.0, 60.0], "bagel": [2.0, 1.0, 2.0]}, index=index
    )
    swamped = pd.DataFrame(
        {"weather": [100.0, 90.0, 95.0], "pizza": [0.0, 0.0, 0.0]}, index=index
    )
    kept = pd.DataFrame({"pasta": [50.0, 40.0, 30.0], "pizza": [100.0, 80.0, 60.0]})
    kept.index = index
    query = validate_stitched_query(
        ["pizza", "bagel", "weather", "pasta"], "today 12-m", geo="", today=TODAY
    )

    result = stitch_results(
        query,
        "pizza",
        [["pizza", "bagel"], ["weather", "pizza"], ["pasta", "pizza"]],
        [result_of(first), result_of(swamped), result_of(kept)],
    )

    data = result.data
    assert data.terms == ["pizza", "bagel", "pasta"]
    assert list(data.interest_over_time.columns) == ["pizza", "bagel", "pasta"]
    assert list(data.interest_over_time["pasta"]) == [50.0, 40.0, 30.0]
    assert stitching_of(data)["left_out"] == ["weather"]
    assert stitching_of(data)["factors"] == [1.0, None, 1.0]
    assert (
        "Left out: 'weather', because the anchor 'pizza' has no interest above 0 "
        "in their request" in describe_stitching(data)
    )


def test_stale_request_marks_whole_result():
    index = pd.date_range("2024-01-07", periods=2, freq="W", name="date")
    first = result_of(pd.DataFrame({"a": [100.0, 50.0], "b": [10.0, 5.0]}, index))
    later = result_of(pd.DataFrame({"c": [40.0, 20.0], "a": [50.0, 25.0]}, index))
    later.from_cache, later.stale, later.age_seconds = True, True, 7200.0
    later.notice = "Google Trends is limiting requests (HTTP 429)."
    query = validate_stitched_query(["a", "b", "c"], "today 12-m", geo="", today=TODAY)

    result = stitch_results(query, "a", [["a", "b"], ["c", "a"]], [first, later])

    assert result.stale is True
    assert result.from_cache is False
    assert result.age_seconds == 7200.0
    assert result.notice == "Google Trends is limiting requests (HTTP 429)."
    assert result.data.source == "cache"
    # c is 40 against the anchor's 50 there, and the anchor's 100 here.
    assert list(result.data.interest_over_time["c"]) == [80.0, 40.0]


def test_request_count_for_term_counts():
    assert count_requests(1) == 1
    assert count_requests(5) == 1
    assert count_requests(6) == 2
    assert count_requests(9) == 2
    assert count_requests(10) == 3
    assert count_requests(25) == 6
    assert count_requests(4, batch_size=2) == 3
