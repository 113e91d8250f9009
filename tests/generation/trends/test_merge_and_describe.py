"""Merging several exports into one dataset, and the sentence that describes it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from generation.errors import TrendsFileError
from generation.trends.csv_import import (
    describe_trends_data,
    merge_trends_data,
    parse_trends_csv,
)

WEEKLY_US = "trends_multitimeline_weekly_3terms_us_5y.csv"
STATES = "trends_geomap_us_states_3terms_percent_lt1.csv"
RELATED = "trends_relatedqueries_ozempic_us_top_rising.csv"
DAILY = "trends_multitimeline_daily_4terms_worldwide_nocategoryline.csv"
COUNTRIES = "trends_geomap_country_4terms_percent.csv"


@pytest.fixture
def parse(read_export):
    return lambda filename: parse_trends_csv(read_export(filename), filename)


def test_merge_series_regions_and_related(parse):
    merged = merge_trends_data([parse(RELATED), parse(WEEKLY_US), parse(STATES)])

    # The related export names only ozempic, so it comes first.
    assert merged.terms == ["ozempic", "monjauro", "wegovy"]
    assert merged.granularity == "weekly"
    assert merged.geo == "United States"
    assert merged.timeframe == "2020-11-22 2025-11-23"
    assert merged.region_values == "share"
    assert merged.region_resolution == "REGION"
    assert merged.category == "All categories"
    assert merged.source == "file"
    series = merged.interest_over_time
    assert series.loc[pd.Timestamp("2024-05-12"), "ozempic"] == 100
    assert merged.interest_by_region.loc["Utah", "ozempic"] == 84
    assert merged.related_for("ozempic").rising[0].label == "ozempic vulva"
    assert merged.query == {
        "files": [
            {"filename": RELATED, "kind": "related queries"},
            {"filename": WEEKLY_US, "kind": "interest over time"},
            {"filename": STATES, "kind": "interest by region"},
        ]
    }
    assert merged.provenance == (
        f"Google Trends CSV export '{RELATED}'; "
        f"Google Trends CSV export '{WEEKLY_US}'; "
        f"Google Trends CSV export '{STATES}'"
    )


def test_merge_time_series_of_other_terms(parse):
    first = parse(WEEKLY_US)
    second = parse("trends_multitimeline_weekly_1term_worldwide.csv")

    merged = merge_trends_data([first, second])

    assert merged.terms == ["ozempic", "monjauro", "wegovy", "altcoin"]
    series = merged.interest_over_time
    assert series.index.is_monotonic_increasing
    assert series.index[0] == pd.Timestamp("2020-07-12")
    assert series.loc[pd.Timestamp("2024-12-01"), "altcoin"] == 100
    # Weeks outside the US export's range have no ozempic value.
    assert math.isnan(series.loc[pd.Timestamp("2020-07-12"), "ozempic"])
    assert merged.geo == "United States"


def test_merge_keeps_first_copy_of_a_term(parse):
    merged = merge_trends_data([parse(WEEKLY_US), parse(WEEKLY_US)])

    assert merged.terms == ["ozempic", "monjauro", "wegovy"]
    assert list(merged.interest_over_time.columns) == merged.terms
    assert len(merged.interest_over_time) == 262


def test_merge_rejects_mixed_granularity(parse):
    with pytest.raises(TrendsFileError) as caught:
        merge_trends_data([parse(WEEKLY_US), parse(DAILY)])

    assert caught.value.message == (
        "The files mix interest over time of different granularity (weekly and "
        "daily), so upload time series exported for the same time range."
    )


def test_merge_rejects_mixed_region_resolutions(parse):
    with pytest.raises(TrendsFileError) as caught:
        merge_trends_data([parse(STATES), parse(COUNTRIES)])

    assert "of different kinds (REGION and COUNTRY" in caught.value.message


def test_merge_of_nothing():
    with pytest.raises(TrendsFileError) as caught:
        merge_trends_data([])

    assert "upload at least one Google Trends CSV export" in caught.value.message


def test_merge_of_one_part_returns_it(parse):
    data = parse(WEEKLY_US)

    assert merge_trends_data([data]) is data


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        (
            WEEKLY_US,
            (
                "Interest over time for ozempic, monjauro and wegovy, weekly, "
                "2020-11-22 to 2025-11-23, United States"
            ),
        ),
        (
            DAILY,
            (
                "Interest over time for israel, ukraine, russia and palestine, daily, "
                "2023-12-14 to 2024-03-14, Worldwide"
            ),
        ),
        (
            STATES,
            (
                "Interest by region for ozempic, monjauro and wegovy, as percent "
                "shares, 11/26/20 - 11/26/25"
            ),
        ),
        (
            "trends_geomap_country_french_locale.csv",
            "Interest by country for bitcoin, 01/01/2004 - 11/10/2023",
        ),
        (
            RELATED,
            (
                "Related queries for ozempic (25 top and 25 rising), 9/15/24 - 9/15/25, "
                "United States"
            ),
        ),
        (
            "trends_relatedentities_korean_locale_games_category.csv",
            "Related topics in the category 게임 (25 top and 24 rising)",
        ),
    ],
)
def test_describe_single_export(parse, filename, expected):
    assert describe_trends_data(parse(filename)) == expected


def test_describe_merged_exports(parse):
    merged = merge_trends_data([parse(WEEKLY_US), parse(STATES), parse(RELATED)])

    assert describe_trends_data(merged) == (
        "Interest over time for ozempic, monjauro and wegovy, weekly, "
        "2020-11-22 to 2025-11-23, United States, with interest by region and "
        "related queries"
    )
