"""Every kind of real Google Trends export parses to the values in the file."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from generation.trends.base import LESS_THAN_ONE, TrendsData
from generation.trends.csv_import import parse_trends_csv


def value_at(data: TrendsData, date: str, term: str) -> float:
    return float(data.interest_over_time.loc[pd.Timestamp(date), term])


def test_weekly_three_terms_us(read_export):
    filename = "trends_multitimeline_weekly_3terms_us_5y.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.granularity == "weekly"
    assert data.geo == "United States"
    assert data.category == "All categories"
    assert data.source == "file"
    assert data.provenance == f"Google Trends CSV export '{filename}'"
    assert data.partial_last is False
    assert data.timeframe == "2020-11-22 2025-11-23"
    frame = data.interest_over_time
    assert frame.index.name == "date"
    assert len(frame) == 262
    assert list(frame.dtypes) == ["float64"] * 3
    assert value_at(data, "2020-11-22", "ozempic") == 3
    assert value_at(data, "2024-05-12", "ozempic") == 100
    assert frame["ozempic"].idxmax() == pd.Timestamp("2024-05-12")
    # The last line reads "2025-11-23,49,<1,23".
    assert value_at(data, "2025-11-23", "monjauro") == LESS_THAN_ONE
    assert value_at(data, "2025-11-23", "wegovy") == 23
    assert data.interest_by_region is None
    assert data.related == []


def test_daily_four_terms_without_category_line(read_export):
    filename = "trends_multitimeline_daily_4terms_worldwide_nocategoryline.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["israel", "ukraine", "russia", "palestine"]
    assert data.granularity == "daily"
    assert data.geo == "Worldwide"
    assert data.category == ""
    assert len(data.interest_over_time) == 92
    assert value_at(data, "2023-12-14", "ukraine") == 70
    assert value_at(data, "2023-12-26", "israel") == 100
    assert value_at(data, "2024-03-14", "palestine") == 12


def test_weekly_five_terms_berlin(read_export):
    filename = "trends_multitimeline_weekly_5terms_berlin_city.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == [
        "bio lebensmittel",
        "bio gemüse",
        "bio tomaten",
        "supermarkt berlin",
        "wochenmarkt berlin",
    ]
    assert data.geo == "Berlin"
    assert data.granularity == "weekly"
    assert value_at(data, "2025-12-21", "supermarkt berlin") == 100
    assert value_at(data, "2026-01-18", "bio gemüse") == 3
    assert value_at(data, "2026-01-18", "wochenmarkt berlin") == 7


def test_monthly_with_less_than_one(read_export):
    filename = "trends_multitimeline_monthly_1term_worldwide_lt1_values.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["Bitcoin"]
    assert data.granularity == "monthly"
    assert len(data.interest_over_time) == 238
    assert value_at(data, "2004-01-01", "Bitcoin") == 0
    # "2004-09,<1": above zero but below one.
    assert value_at(data, "2004-09-01", "Bitcoin") == LESS_THAN_ONE
    assert value_at(data, "2017-12-01", "Bitcoin") == 100
    assert data.interest_over_time["Bitcoin"].dtype == "float64"


def test_weekly_one_term(read_export):
    filename = "trends_multitimeline_weekly_1term_worldwide.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["altcoin"]
    assert data.granularity == "weekly"
    assert value_at(data, "2020-07-12", "altcoin") == 10
    assert data.interest_over_time["altcoin"].idxmax() == pd.Timestamp("2024-12-01")
    assert value_at(data, "2025-07-13", "altcoin") == 43


def test_korean_terms_south_korea(read_export):
    filename = "trends_multitimeline_weekly_2terms_korean_southkorea.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["윤석열", "홍준표"]
    assert data.geo == "South Korea"
    assert value_at(data, "2020-11-08", "윤석열") == 21
    assert value_at(data, "2021-06-27", "윤석열") == 100
    assert value_at(data, "2021-06-27", "홍준표") == 9


def test_2026_format_quoted_time_header(read_export):
    filename = "trends_timeformat_2026_monthly_1term_germany_quoted.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["alnatura"]
    assert data.granularity == "monthly"
    # The 2026 format names no region.
    assert data.geo == ""
    assert data.category == ""
    assert len(data.interest_over_time) == 61
    assert value_at(data, "2021-02-01", "alnatura") == 97
    assert value_at(data, "2026-02-01", "alnatura") == 100


def test_region_us_states_percent_shares(read_export):
    filename = "trends_geomap_us_states_3terms_percent_lt1.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.interest_over_time is None
    assert data.region_values == "share"
    assert data.region_resolution == "REGION"
    assert data.timeframe == "11/26/20 - 11/26/25"
    assert data.category == "All categories"
    frame = data.interest_by_region
    assert frame.index.name == "region"
    assert len(frame) == 51
    assert frame.index[0] == "West Virginia"
    assert frame.loc["West Virginia", "ozempic"] == 74
    # "<1%" is a share above zero but below one percent.
    assert frame.loc["West Virginia", "monjauro"] == LESS_THAN_ONE
    assert frame.loc["Utah", "ozempic"] == 84
    assert frame.loc["Massachusetts", "wegovy"] == 39


def test_region_countries_with_empty_cells(read_export):
    filename = "trends_geomap_country_4terms_percent.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["israel", "ukraine", "russia", "palestine"]
    assert data.region_resolution == "COUNTRY"
    assert data.region_values == "share"
    assert data.timeframe == "12/14/23 - 3/14/24"
    assert data.category == ""
    frame = data.interest_by_region
    assert len(frame) == 250
    assert frame.loc["Suriname", "israel"] == 90
    assert math.isnan(frame.loc["Suriname", "ukraine"])
    assert frame.loc["Suriname", "russia"] == 10
    assert list(frame.loc["Israel"]) == [82, 7, 6, 5]
    # Countries with too little data have no values at all.
    assert frame.loc["Samoa"].isna().all()


def test_region_french_interface(read_export):
    filename = "trends_geomap_country_french_locale.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["bitcoin"]
    assert data.category == "Toutes catégories"
    assert data.region_resolution == "COUNTRY"
    assert data.region_values == "index"
    assert data.timeframe == "01/01/2004 - 11/10/2023"
    frame = data.interest_by_region
    assert frame.loc["Nigeria", "bitcoin"] == 100
    assert frame.loc["Ghana", "bitcoin"] == 47
    assert math.isnan(frame.loc["Pays-Bas caribéens", "bitcoin"])
    assert "Wallis-et-Futuna" in frame.index


def test_related_queries_ozempic(read_export):
    filename = "trends_relatedqueries_ozempic_us_top_rising.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["ozempic"]
    assert data.geo == "United States"
    assert data.timeframe == "9/15/24 - 9/15/25"
    assert data.interest_over_time is None
    related = data.related_for("ozempic", "queries")
    assert len(related.top) == 25
    assert len(related.rising) == 25
    assert related.top[0].label == "ozempic side effects"
    assert related.top[0].value == 100
    assert related.top[-1].label == "what is in ozempic"
    assert related.top[-1].value == 14
    breakout = related.rising[0]
    assert breakout.label == "ozempic vulva"
    assert breakout.breakout is True
    assert breakout.value is None
    assert breakout.display == "Breakout"
    increase = related.rising[2]
    assert increase.label == "microdosing ozempic"
    assert increase.value == 1600
    assert increase.display == "+1,600%"
    assert increase.breakout is False
    assert [item.label for item in related.rising if item.breakout] == [
        "ozempic vulva",
        "ozempic lawsuit 2025",
    ]


def test_related_queries_persian_labels(read_export):
    filename = "trends_relatedqueries_python_iran_top_rising.csv"
    data = parse_trends_csv(read_export(filename), filename)

    assert data.terms == ["python"]
    assert data.geo == "Iran"
    related = data.related_for("python")
    assert related.top[0].label == "پایتون"
    assert related.top[0].value == 100
    assert related.top[1].label == "install python"
    assert related.top[1].value == 87
    assert len(related.rising) == 8
    assert related.rising[0].label == "google drive"
    assert related.rising[0].breakout is True
    assert related.rising[1].value == 150


def test_related_topics_korean_interface(read_export):
    filename = "trends_relatedentities_korean_locale_games_category.csv"
    data = parse_trends_csv(read_export(filename), filename)

    # The export names a category (games) but no search term.
    assert data.terms == []
    assert data.category == "게임"
    assert len(data.related) == 1
    related = data.related[0]
    assert related.kind == "topics"
    assert related.term == ""
    assert len(related.top) == 25
    assert related.top[0].label == "게임"
    assert related.top[0].value == 100
    assert related.top[5].label == "FIFA"
    assert related.top[5].value == 39
    assert len(related.rising) == 24
    # "급등" is the Korean interface's word for Breakout.
    assert all(item.breakout for item in related.rising)
    assert related.rising[-2].label == "Pokémon GO"
    assert related.rising[-2].display == "급등"


def test_related_kind_from_file_name(read_export):
    content = read_export("trends_relatedqueries_ozempic_us_top_rising.csv")

    assert parse_trends_csv(content, "relatedQueries.csv").related[0].kind == "queries"
    assert parse_trends_csv(content, "relatedEntities.csv").related[0].kind == "topics"
    assert parse_trends_csv(content).related[0].kind == "queries"
    assert parse_trends_csv(content).provenance == "Google Trends CSV export"


@pytest.mark.parametrize(
    "filename",
    [
        "trends_multitimeline_weekly_3terms_us_5y.csv",
        "trends_geomap_us_states_3terms_percent_lt1.csv",
        "trends_relatedqueries_ozempic_us_top_rising.csv",
    ],
)
def test_parsed_data_survives_json_storage(read_export, filename):
    data = parse_trends_csv(read_export(filename), filename)
    restored = TrendsData.from_json_dict(data.to_json_dict())

    assert restored.terms == data.terms
    assert restored.related == data.related
    assert restored.region_values == data.region_values
    assert restored.query == {
        "files": [{"filename": filename, "kind": data_kind(data)}]
    }
    for original, copy in (
        (data.interest_over_time, restored.interest_over_time),
        (data.interest_by_region, restored.interest_by_region),
    ):
        if original is None:
            assert copy is None
        else:
            # Storage may turn whole-number float columns into integers.
            pd.testing.assert_frame_equal(original, copy, check_dtype=False)


def data_kind(data: TrendsData) -> str:
    if data.interest_over_time is not None:
        return "interest over time"
    if data.interest_by_region is not None:
        return "interest by region"
    return "related queries"
