"""History filters in the page URL: to query parameters and back."""

from __future__ import annotations

from datetime import date

from generation.history import HistoryFilters
from generation.models import JobStatus


def test_filters_round_trip_through_query_params():
    filters = HistoryFilters(
        status=JobStatus.FAILED,
        category="Food & Drink",
        topic="pizza",
        writer="gemini",
        model="gemini-2.5-pro",
        date_from=date(2026, 1, 1),
        date_to=date(2026, 1, 31),
        schedule_id=7,
        search='"new york" pizza',
        sort="cost",
        descending=False,
        page=3,
        page_size=50,
    )

    params = filters.to_query_params()

    assert params == {
        "status": "failed",
        "category": "Food & Drink",
        "topic": "pizza",
        "writer": "gemini",
        "model": "gemini-2.5-pro",
        "from": "2026-01-01",
        "to": "2026-01-31",
        "schedule": "7",
        "q": '"new york" pizza',
        "sort": "cost",
        "order": "asc",
        "page": "3",
        "size": "50",
    }
    assert HistoryFilters.from_query_params(params) == filters


def test_default_filters_give_empty_params():
    assert HistoryFilters().to_query_params() == {}
    assert HistoryFilters.from_query_params({}) == HistoryFilters()


def test_bad_values_are_ignored_with_sentences():
    params = {
        "status": "exploded",
        "from": "yesterday",
        "schedule": "-3",
        "sort": "colour",
        "order": "sideways",
        "page": "0",
        "size": "7",
        "topic": "x" * 101,
    }

    filters = HistoryFilters.from_query_params(params)

    assert filters == HistoryFilters()
    assert filters.ignored == (
        (
            "The status 'exploded' is not one of queued, running, succeeded, failed, "
            "cancelled, interrupted, awaiting_review, so it was ignored."
        ),
        "The topic filter is longer than 100 characters, so it was ignored.",
        "The date 'yesterday' is not a date like 2025-01-31, so it was ignored.",
        "The schedule '-3' is not a schedule id, so it was ignored.",
        (
            "The sort 'colour' is not one of date, duration, cost, relevance, so the "
            "list is sorted by date."
        ),
        (
            "The order 'sideways' is neither asc nor desc, so newest and largest come "
            "first."
        ),
        "The page '0' is not a page number, so the first page is shown.",
        "The page size '7' is not one of 10, 25, 50, 100, so 25 rows are shown.",
    )


def test_reversed_dates_are_swapped_with_a_sentence():
    filters = HistoryFilters.from_query_params(
        {"from": "2026-02-01", "to": "2026-01-01"}
    )

    assert filters.date_from == date(2026, 1, 1)
    assert filters.date_to == date(2026, 2, 1)
    assert filters.ignored == (
        (
            "The start date 2026-02-01 was after the end date 2026-01-01, so the two "
            "were swapped."
        ),
    )


def test_repeated_param_takes_last_value():
    filters = HistoryFilters.from_query_params({"status": ["queued", "running"]})

    assert filters.status == JobStatus.RUNNING


def test_status_and_text_are_normalised():
    filters = HistoryFilters.from_query_params(
        {"status": " FAILED ", "topic": "  new   york  "}
    )

    assert filters.status == JobStatus.FAILED
    assert filters.topic == "new york"


def test_with_page_clamps_to_first_page():
    assert HistoryFilters(page=4).with_page(0).page == 1
    assert HistoryFilters(page=4).with_page(5).page == 5


def test_is_filtered_ignores_sort_and_page():
    assert not HistoryFilters(sort="cost", page=3).is_filtered
    assert HistoryFilters(topic="pizza").is_filtered
