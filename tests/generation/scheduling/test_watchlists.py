"""Watched terms: jumps, breakouts and new rising searches become alerts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from generation.datasets import save_dataset
from generation.errors import InvalidRequest
from generation.models import JobStatus
from generation.trends.base import RelatedList, TrendsData
from generation.trends.samples import load_sample
from generation.watchlists import (
    add_watched_term,
    check_due_watchlists,
    check_now,
    check_slot,
    dismiss_alert,
    list_alerts,
    list_watched_terms,
    remove_watched_term,
    start_report,
)

MONDAY_9AM = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def weekly_until(day: str) -> TrendsData:
    """The real weekly US export of ozempic, monjauro and wegovy, cut after ``day``."""
    data = load_sample("weight-loss-drugs-us")
    return dataclasses.replace(
        data, interest_over_time=data.interest_over_time.loc[:day].copy()
    )


def related_with_rising(count: int) -> TrendsData:
    """The real related-queries export for ozempic, keeping its first rising rows."""
    data = load_sample("ozempic-related-queries")
    full = data.related[0]
    related = RelatedList(
        term=full.term, kind=full.kind, top=full.top, rising=full.rising[:count]
    )
    return dataclasses.replace(data, related=[related])


def test_jump_raises_alert(engine):
    watched = add_watched_term("ozempic", source="datasets", jump_percent=50)
    save_dataset(weekly_until("2022-12-25"), engine=engine)

    baseline = check_due_watchlists(MONDAY_9AM)
    save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)
    later = check_due_watchlists(MONDAY_9AM + timedelta(days=1))

    assert [outcome.alerts for outcome in baseline] == [[]]
    assert len(later) == 1
    assert later[0].alerts == [
        (
            "Interest in 'ozempic' rose 53% since the previous check, from 32 to 49 "
            "on Google's 0-100 scale."
        )
    ]
    alerts = list_alerts()
    assert [(alert.term, alert.kind) for alert in alerts] == [("ozempic", "jump")]
    assert list_watched_terms()[0].last_value == 49
    assert list_watched_terms()[0].id == watched.id


def test_fall_raises_no_alert(engine):
    add_watched_term("ozempic", source="datasets", jump_percent=50)
    save_dataset(weekly_until("2025-01-05"), engine=engine)
    check_due_watchlists(MONDAY_9AM)
    save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)

    later = check_due_watchlists(MONDAY_9AM + timedelta(days=1))

    # 67 on 5 January 2025, 49 in the latest week.
    assert later[0].alerts == []
    assert later[0].error == ""
    assert list_alerts() == []


def test_breakouts_alert_on_first_check(engine):
    add_watched_term("ozempic", source="datasets")
    save_dataset(related_with_rising(25), engine=engine)

    outcomes = check_due_watchlists(MONDAY_9AM)

    assert outcomes[0].alerts == [
        (
            "Breakout searches related to 'ozempic' (a rise of over 5000%): "
            "ozempic vulva, ozempic lawsuit 2025."
        )
    ]


def test_new_rising_queries_alert(engine):
    add_watched_term("ozempic", source="datasets")
    save_dataset(related_with_rising(6), engine=engine)
    check_due_watchlists(MONDAY_9AM)
    save_dataset(related_with_rising(9), engine=engine)

    later = check_due_watchlists(MONDAY_9AM + timedelta(days=1))

    assert later[0].alerts == [
        (
            "New rising searches related to 'ozempic': gila monster ozempic, "
            "retatrutide, ozempic patch."
        )
    ]
    assert [alert.kind for alert in list_alerts()] == ["rising", "breakout"]


def test_series_and_related_from_separate_datasets(engine, runner):
    add_watched_term("ozempic", source="datasets")
    series_id = save_dataset(weekly_until("2022-12-25"), engine=engine)
    check_due_watchlists(MONDAY_9AM)
    related_id = save_dataset(related_with_rising(4), engine=engine)
    newer_series_id = save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)

    later = check_due_watchlists(MONDAY_9AM + timedelta(days=1))

    # The first check saw no related queries, so every rising search is
    # a baseline and only the breakouts and the jump are news.
    assert later[0].alerts == [
        (
            "Breakout searches related to 'ozempic' (a rise of over 5000%): "
            "ozempic vulva, ozempic lawsuit 2025."
        ),
        (
            "Interest in 'ozempic' rose 53% since the previous check, from 32 to 49 "
            "on Google's 0-100 scale."
        ),
    ]
    alerts = {alert.kind: alert for alert in list_alerts()}
    jump_job = runner.wait(start_report(alerts["jump"].id, runner=runner), 60)
    breakout_job = runner.wait(start_report(alerts["breakout"].id, runner=runner), 60)
    assert series_id != newer_series_id
    assert jump_job.dataset_id == newer_series_id
    assert breakout_job.dataset_id == related_id


def test_each_slot_checked_once(engine):
    add_watched_term("ozempic", source="datasets", check_every_hours=6)
    save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)

    first = check_due_watchlists(MONDAY_9AM)
    same_slot = check_due_watchlists(MONDAY_9AM + timedelta(hours=2, minutes=59))
    next_slot = check_due_watchlists(MONDAY_9AM + timedelta(hours=3))
    after_downtime = check_due_watchlists(MONDAY_9AM + timedelta(days=3))

    assert [outcome.due_at for outcome in first] == [MONDAY_9AM.replace(hour=6)]
    assert same_slot == []
    assert [outcome.due_at for outcome in next_slot] == [MONDAY_9AM.replace(hour=12)]
    assert len(after_downtime) == 1


def test_check_slot_aligns_to_midnight_utc():
    moment = datetime(2024, 6, 3, 23, 59, tzinfo=UTC)

    assert check_slot(moment, 24) == datetime(2024, 6, 3, tzinfo=UTC)
    assert check_slot(moment, 12) == datetime(2024, 6, 3, 12, tzinfo=UTC)
    assert check_slot(moment, 1) == datetime(2024, 6, 3, 23, tzinfo=UTC)


def test_missing_data_records_failure(engine):
    watched = add_watched_term("tirzepatide", source="datasets")
    save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)

    outcome = check_now(watched.id, now=MONDAY_9AM)

    assert outcome.alerts == []
    assert outcome.error == (
        "No saved dataset contains 'tirzepatide'. Import a Google Trends export "
        "with it, or watch it with live data."
    )
    assert list_watched_terms()[0].last_error == outcome.error


def test_paused_and_removed_terms_are_not_checked(engine):
    paused = add_watched_term("ozempic", source="datasets")
    removed = add_watched_term("wegovy", source="datasets")
    save_dataset(load_sample("weight-loss-drugs-us"), engine=engine)
    from generation.watchlists import set_watched_term_paused

    set_watched_term_paused(paused.id, True)
    remove_watched_term(removed.id)

    assert check_due_watchlists(MONDAY_9AM) == []
    assert [view.term for view in list_watched_terms()] == ["ozempic"]


def test_start_report_on_alert(engine, runner):
    add_watched_term("ozempic", source="datasets", category="Health")
    dataset_id = save_dataset(related_with_rising(25), engine=engine)
    check_due_watchlists(MONDAY_9AM)
    (alert,) = list_alerts()

    job_id = start_report(alert.id, runner=runner)
    job = runner.wait(job_id, timeout=60)

    assert job.status == JobStatus.SUCCEEDED
    assert job.dataset_id == dataset_id
    assert job.request["topics"] == ["ozempic"]
    assert job.request["category"] == "Health"
    assert "ozempic vulva" in job.request["instructions"]
    (view,) = list_alerts()
    assert view.job_id == job_id
    assert view.report_id == job.report_id
    dismiss_alert(alert.id)
    assert list_alerts() == []
    assert len(list_alerts(include_dismissed=True)) == 1


def test_live_check_failure_is_a_sentence(engine, trends_server):
    trends_server.expect_request("/trends/explore/").respond_with_data("")
    trends_server.expect_request(
        "/trends/api/explore", method="POST"
    ).respond_with_data("", status=429, headers={"Retry-After": "0"})
    watched = add_watched_term("ozempic", geo="US", timeframe="today 3-m")

    outcome = check_now(watched.id, now=MONDAY_9AM)

    explore = [
        request
        for request, _response in trends_server.log
        if request.path == "/trends/api/explore"
    ]
    assert explore
    assert '"keyword": "ozempic"' in explore[0].args["req"]
    assert '"geo": "US"' in explore[0].args["req"]
    assert outcome.alerts == []
    assert outcome.error.startswith("Google Trends is limiting requests (HTTP 429)")
    assert list_watched_terms()[0].last_error == outcome.error


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"term": "  "}, "term"),
        ({"term": "x" * 101}, "term"),
        ({"term": "ozempic", "source": "rss"}, "source"),
        ({"term": "ozempic", "jump_percent": 0}, "jump_percent"),
        ({"term": "ozempic", "check_every_hours": 5}, "check_every_hours"),
        ({"term": "ozempic", "timeframe": "yesterday"}, "timeframe"),
        ({"term": "ozempic", "geo": "XX"}, "geo"),
    ],
)
def test_add_watched_term_rejects(engine, arguments, field):
    with pytest.raises(InvalidRequest) as caught:
        add_watched_term(**arguments)

    assert caught.value.field == field
