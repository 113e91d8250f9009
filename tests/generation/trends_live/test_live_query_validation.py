"""Validation of live queries: each rule rejects with its sentence and field."""

from __future__ import annotations

from datetime import date

import pytest

from generation.errors import InvalidRequest
from generation.trends.query import (
    TrendsQuery,
    default_resolution,
    query_from_dict,
    validate_query,
)

TODAY = date(2026, 3, 1)


def rejection(**arguments) -> InvalidRequest:
    arguments.setdefault("terms", ["pizza"])
    arguments.setdefault("today", TODAY)
    with pytest.raises(InvalidRequest) as caught:
        validate_query(**arguments)
    return caught.value


def test_six_terms_rejected():
    error = rejection(terms=["a", "b", "c", "d", "e", "f"])
    assert error.field == "terms"
    assert error.message == (
        "6 terms were given; Google Trends compares at most 5 at once. Remove 1 term."
    )


def test_empty_term_rejected_with_position():
    error = rejection(terms=["pizza", "  "])
    assert error.field == "terms"
    assert error.message == "Term 2 is empty; type a search term or remove it."


def test_no_terms_rejected():
    error = rejection(terms=[])
    assert error.message == "Enter at least one search term."


def test_duplicate_terms_rejected_ignoring_case():
    error = rejection(terms=["Pizza", "bagel", "pizza"])
    assert error.field == "terms"
    assert error.message == (
        "'pizza' is entered twice (as 'Pizza' too); give each term once."
    )


def test_overlong_term_rejected():
    error = rejection(terms=["x" * 101])
    assert error.message == (
        "Term 1 is 101 characters long; Google Trends takes at most 100. Shorten it."
    )


def test_unknown_timeframe_rejected():
    error = rejection(timeframe="today 2-y")
    assert error.field == "timeframe"
    assert error.message.startswith("'today 2-y' is not a Google Trends timeframe;")
    assert "today 5-y" in error.message


def test_reversed_date_range_rejected():
    error = rejection(timeframe="2024-01-01 2023-01-01")
    assert error.field == "timeframe"
    assert error.message == (
        "The date range starts on 2024-01-01 and ends on 2023-01-01; the start "
        "must come before the end."
    )


def test_future_end_date_rejected():
    error = rejection(timeframe="2025-01-01 2026-03-02")
    assert error.field == "timeframe"
    assert error.message == (
        "The date range ends on 2026-03-02, which is in the future; end it on "
        "2026-03-01 or earlier."
    )


def test_date_before_2004_rejected():
    error = rejection(timeframe="2003-06-01 2005-01-01")
    assert "Google Trends data begins on 2004-01-01" in error.message


def test_impossible_date_rejected():
    error = rejection(timeframe="2024-02-30 2024-03-30")
    assert (
        error.message == "'2024-02-30' is not a valid date; write dates as YYYY-MM-DD."
    )


def test_unknown_region_rejected():
    error = rejection(geo="XX")
    assert error.field == "geo"
    assert error.message == (
        "'XX' is not a region code Google Trends knows; use a two-letter country "
        "code such as GB, a subdivision such as US-CA, or leave it empty for "
        "worldwide."
    )


def test_unknown_subdivision_rejected():
    error = rejection(geo="US-ZZ")
    assert error.field == "geo"
    assert error.message == (
        "'US-ZZ' is not a subdivision of United States; use an ISO 3166-2 code "
        "such as US-CA or GB-ENG."
    )


def test_unknown_category_rejected():
    error = rejection(category=99999)
    assert error.field == "category"
    assert error.message == (
        "Category 99999 is not a known Google Trends category; pick one from the "
        "list, or add it in Settings with its Trends id."
    )


def test_extra_known_category_accepted():
    query = validate_query(
        ["pizza"], category=99999, known_categories=[99999], today=TODAY
    )
    assert query.category == 99999


def test_category_name_maps_to_id():
    query = validate_query(["pizza"], category="Food & Drink", today=TODAY)
    assert query.category == 71


def test_unknown_property_rejected():
    error = rejection(gprop="video")
    assert error.field == "gprop"
    assert error.message == (
        "'video' is not a Google Trends property; use web, news, images, youtube "
        "or shopping."
    )


def test_metro_outside_united_states_rejected():
    error = rejection(geo="GB", resolution="metro")
    assert error.field == "resolution"
    assert error.message.startswith("Metro areas exist only in the United States;")


def test_country_resolution_inside_country_rejected():
    error = rejection(geo="GB", resolution="country")
    assert error.field == "resolution"
    assert "needs a worldwide query" in error.message


def test_valid_query_is_normalised():
    query = validate_query(
        ["  pizza ", "paris,  texas", 'say "hi"', "김치"],
        timeframe="TODAY 5-Y",
        geo="us-ca",
        category="71",
        gprop="Shopping",
        resolution="metro",
        today=TODAY,
    )
    assert query == TrendsQuery(
        terms=("pizza", "paris, texas", 'say "hi"', "김치"),
        timeframe="today 5-y",
        geo="US-CA",
        category=71,
        gprop="froogle",
        resolution="DMA",
    )
    assert query.property_name == "shopping"


def test_single_string_is_one_term():
    query = validate_query("paris, texas", today=TODAY)
    assert query.terms == ("paris, texas",)


def test_default_resolution_follows_region():
    assert default_resolution("") == "COUNTRY"
    assert default_resolution("GB") == "REGION"
    assert default_resolution("US-CA") == "CITY"


def test_default_region_comes_from_settings(monkeypatch):
    monkeypatch.setenv("TRENDS_GEO", "DE")
    from generation import config

    config.get_settings.cache_clear()
    assert validate_query(["pizza"], today=TODAY).geo == "DE"
    assert validate_query(["pizza"], geo="", today=TODAY).geo == ""


def test_equal_queries_share_key():
    first = validate_query(["pizza", "bagel"], "today 5-y", geo="gb", today=TODAY)
    second = validate_query([" pizza", "bagel "], "today  5-y", geo="GB", today=TODAY)
    other = validate_query(["pizza", "bagel"], "today 12-m", geo="GB", today=TODAY)
    assert first.normalised_key() == second.normalised_key()
    assert first.normalised_key() != other.normalised_key()


def test_query_from_dict_rejects_unknown_field():
    with pytest.raises(InvalidRequest) as caught:
        query_from_dict({"terms": ["pizza"], "country": "GB"})
    assert caught.value.field == "country"


def test_query_from_dict_round_trips():
    query = validate_query(["pizza"], "today 3-m", geo="FR", gprop="news", today=TODAY)
    assert query_from_dict(query.to_dict()) == query
