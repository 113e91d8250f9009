"""Trends data written as Google Trends CSV exports and read back by the importer."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from gtapi_replay import serve_weekly_comparison

from generation.errors import InvalidRequest, NoTrendsData
from generation.trends import samples, service
from generation.trends.base import LESS_THAN_ONE, RelatedItem, RelatedList, TrendsData
from generation.trends.csv_export import to_trends_csv, trends_download
from generation.trends.csv_import import merge_trends_data, parse_trends_csv
from generation.trends.query import validate_query
from generation.trends.stitching import get_stitched_trends, validate_stitched_query

TODAY = date(2026, 3, 1)
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "trends"


@pytest.fixture
def live_data(trends_server, engine, live_source) -> TrendsData:
    serve_weekly_comparison(trends_server)
    query = validate_query(["pizza", "bagel"], "today 5-y", geo="", today=TODAY)
    return service.get_trends(query, engine=engine, source=live_source).data


def cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def test_interest_over_time_round_trip(live_data):
    content = to_trends_csv(live_data, "interest_over_time")

    back = parse_trends_csv(content, "multiTimeline.csv")

    assert back.terms == ["pizza", "bagel"]
    assert back.granularity == "weekly"
    assert back.geo == "Worldwide"
    assert back.category == "All categories"
    pd.testing.assert_frame_equal(
        back.interest_over_time, live_data.interest_over_time, check_freq=False
    )


def test_interest_over_time_layout(live_data):
    rows = cells(to_trends_csv(live_data, "interest_over_time"))

    assert rows[0] == ["Category: All categories"]
    assert rows[1] == []
    assert rows[2] == ["Week", "pizza: (Worldwide)", "bagel: (Worldwide)"]
    assert rows[3] == ["2018-04-01", "81", "1"]
    assert rows[-1] == ["2023-03-19", "58", "2"]


def test_region_shares_round_trip(live_data):
    content = to_trends_csv(live_data, "interest_by_region")

    back = parse_trends_csv(content, "geoMap.csv")

    assert back.region_values == "share"
    assert back.region_resolution == "COUNTRY"
    assert back.timeframe == "4/1/18 - 3/19/23"
    pd.testing.assert_frame_equal(back.interest_by_region, live_data.interest_by_region)
    below_one = live_data.interest_by_region["bagel"] == LESS_THAN_ONE
    assert below_one.any()
    rows = cells(content)
    assert rows[2][0] == "Country"
    assert "<1%" in {row[2] for row in rows[3:]}


def test_related_queries_round_trip(live_data):
    content = to_trends_csv(live_data, "related_queries")

    back = parse_trends_csv(content, "relatedQueries.csv")

    assert back.terms == ["pizza", "bagel"]
    for term in ("pizza", "bagel"):
        original = live_data.related_for(term, "queries")
        read = back.related_for(term, "queries")
        assert [item.label for item in read.top] == [
            item.label for item in original.top
        ]
        assert [item.value for item in read.top] == [
            item.value for item in original.top
        ]
        assert [item.label for item in read.rising] == [
            item.label for item in original.rising
        ]
        assert [item.value for item in read.rising] == [
            item.value for item in original.rising
        ]
        assert [item.breakout for item in read.rising] == [
            item.breakout for item in original.rising
        ]
    assert back.related_for("pizza").rising[0].display == "Breakout"
    assert back.related_for("pizza").rising[1].display == "+400%"


def test_related_topics_round_trip_keeps_korean():
    name = "trends_relatedentities_korean_locale_games_category.csv"
    original = parse_trends_csv((FIXTURES / name).read_bytes(), name)

    back = parse_trends_csv(
        to_trends_csv(original, "related_topics"), "relatedEntities.csv"
    )

    assert back.category == "게임"
    (read,) = back.related
    (source,) = original.related
    assert read.kind == "topics"
    assert [item.label for item in read.top] == [item.label for item in source.top]
    assert [item.value for item in read.top] == [item.value for item in source.top]
    assert [(item.label, item.value, item.breakout) for item in read.rising] == [
        (item.label, item.value, item.breakout) for item in source.rising
    ]


def test_monthly_sample_keeps_less_than_one():
    original = samples.load_sample("bitcoin-since-2004")

    content = to_trends_csv(original)
    back = parse_trends_csv(content, "multiTimeline.csv")

    assert cells(content)[2][0] == "Month"
    assert cells(content)[3][0] == "2004-01"
    assert "<1" in {row[1] for row in cells(content)[3:]}
    assert back.granularity == "monthly"
    pd.testing.assert_frame_equal(
        back.interest_over_time, original.interest_over_time, check_freq=False
    )


def test_awkward_terms_round_trip(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    terms = ["paris, texas", '피자 "hot"']
    query = validate_query(terms, "today 5-y", geo="US-CA", today=TODAY)
    data = service.get_trends(query, engine=engine, source=live_source).data

    content = to_trends_csv(data)
    back = parse_trends_csv(content, "multiTimeline.csv")

    assert back.terms == terms
    assert back.geo == "California"
    assert cells(content)[2][1] == "paris, texas: (California)"


def test_formula_like_cells_are_neutralised():
    index = pd.DatetimeIndex(pd.to_datetime(["2024-01-07", "2024-01-14"]), name="date")
    regions = pd.DataFrame(
        {"=SUM(A1)": [100.0, 40.0]}, index=pd.Index(["@evil", "Chile"], name="region")
    )
    data = TrendsData(
        terms=["=SUM(A1)"],
        interest_over_time=pd.DataFrame({"=SUM(A1)": [10.0, 20.0]}, index=index),
        interest_by_region=regions,
        related=[
            RelatedList(
                term="=SUM(A1)",
                kind="queries",
                top=[
                    RelatedItem(label="=cmd|' /C calc'!A0", value=100.0, display="100")
                ],
                rising=[
                    RelatedItem(label="-2+3", value=250.0, display="+250%"),
                    RelatedItem(
                        label="ok", value=None, display="=HYPERLINK(1)", breakout=True
                    ),
                ],
            )
        ],
        granularity="weekly",
        category="+Category",
    )

    over_time = cells(to_trends_csv(data, "interest_over_time"))
    by_region = cells(to_trends_csv(data, "interest_by_region"))
    related = cells(to_trends_csv(data, "related_queries"))

    assert over_time[0] == ["Category: +Category"]
    assert over_time[2][1] == "'=SUM(A1): (Worldwide)"
    assert by_region[3][0] == "'@evil"
    assert ["'=cmd|' /C calc'!A0", "100"] in related
    assert ["'-2+3", "+250%"] in related
    assert ["ok", "'=HYPERLINK(1)"] in related


def test_stitched_download_is_zip(trends_server, engine, live_source):
    serve_weekly_comparison(trends_server)
    terms = ["pizza", "bagel", "pasta", "sushi", "ramen", "tacos", "curry"]
    query = validate_stitched_query(terms, "today 5-y", geo="", today=TODAY)
    data = get_stitched_trends(
        query, engine=engine, source=live_source, batch_size=2
    ).data

    download = trends_download(data, "interest_over_time")

    assert download.filename == "multiTimeline.zip"
    assert download.mime_type == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = archive.namelist()
        parts = [parse_trends_csv(archive.read(name), name) for name in names]
    assert names == ["multiTimeline-1.csv", "multiTimeline-2.csv"]
    merged = merge_trends_data(parts)
    assert merged.terms == terms
    pd.testing.assert_frame_equal(
        merged.interest_over_time,
        data.interest_over_time,
        check_freq=False,
        atol=0.005,
        rtol=0,
    )


def test_five_terms_download_is_one_csv(live_data):
    download = trends_download(live_data, "interest_by_region")

    assert download.filename == "geoMap.csv"
    assert download.mime_type == "text/csv"
    assert download.content == to_trends_csv(live_data, "interest_by_region")


def test_six_columns_in_one_file_are_rejected():
    index = pd.DatetimeIndex(pd.to_datetime(["2024-01-07"]), name="date")
    terms = [f"term {number}" for number in range(6)]
    data = TrendsData(
        terms=terms,
        interest_over_time=pd.DataFrame([[1.0] * 6], index=index, columns=terms),
    )

    with pytest.raises(InvalidRequest) as caught:
        to_trends_csv(data)

    assert caught.value.message == (
        "A Google Trends export contains at most 5 terms, but the interest over time "
        "has 6; download it as a ZIP of several files."
    )


def test_missing_table_is_a_sentence():
    data = samples.load_sample("bitcoin-since-2004")

    with pytest.raises(NoTrendsData) as caught:
        to_trends_csv(data, "interest_by_region")

    assert caught.value.message == "This data has no interest by region to export."
