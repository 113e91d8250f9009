"""Schedules start ordinary jobs at their due times, once, and catch up once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpserver import HTTPServer
from scheduling_support import TRENDING_FEED_GB
from sqlmodel import Session, select

from generation.clock import ManualClock
from generation.errors import InvalidRequest, NotFound
from generation.models import GenerationJob, JobStatus
from generation.scheduling import (
    Timing,
    create_schedule,
    delete_schedule,
    describe_schedules,
    list_runs,
    pause_schedule,
    resume_schedule,
    run_due,
    run_now,
    schedule_names,
    start_scheduler,
    upcoming_runs,
    update_schedule,
)
from generation.scheduling import runner as scheduling_runner
from generation.scheduling.models import Schedule, ScheduleRun
from generation.scheduling.runner import Scheduler

SAMPLE_REQUEST = {
    "category": "Health",
    "topics": ["ozempic", "wegovy"],
    "samples": ["weight-loss-drugs-us"],
    "writer": "data_brief",
    "length": "short",
}
BERLIN_9AM = Timing("daily", "09:00", timezone="Europe/Berlin")
# Monday 3 June 2024, 08:00 in Berlin (CEST, UTC+2).
MONDAY_8AM_BERLIN = datetime(2024, 6, 3, 6, 0, tzinfo=UTC)


def jobs_of(engine, schedule_id: int) -> list[GenerationJob]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(GenerationJob).where(GenerationJob.schedule_id == schedule_id)
            ).all()
        )


def test_run_due_starts_job_at_due_time(engine, runner):
    schedule = create_schedule(
        name="Weight-loss drugs daily",
        request=SAMPLE_REQUEST,
        timing=BERLIN_9AM,
        now=MONDAY_8AM_BERLIN,
    )

    early = run_due(MONDAY_8AM_BERLIN + timedelta(minutes=59), runner=runner)
    on_time = run_due(MONDAY_8AM_BERLIN + timedelta(hours=1), runner=runner)
    again = run_due(MONDAY_8AM_BERLIN + timedelta(hours=1, minutes=5), runner=runner)

    assert early == []
    assert len(on_time) == 1
    assert again == []
    outcome = on_time[0]
    assert outcome.due_at == datetime(2024, 6, 3, 7, 0, tzinfo=UTC)
    assert outcome.skipped_due_times == 0
    assert outcome.error == ""
    job = runner.wait(outcome.job_id, timeout=60)
    assert job.schedule_id == schedule.id
    assert job.status == JobStatus.SUCCEEDED
    assert job.request["topics"] == ["ozempic", "wegovy"]
    assert job.request["samples"] == ["weight-loss-drugs-us"]
    assert [found.id for found in jobs_of(engine, schedule.id)] == [outcome.job_id]


def test_catch_up_after_downtime_creates_one_run(engine, runner):
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    # Nothing ran Monday to Wednesday; the process comes back Thursday noon.
    thursday_noon = datetime(2024, 6, 6, 10, 0, tzinfo=UTC)

    outcomes = run_due(thursday_noon, runner=runner)
    later = run_due(thursday_noon + timedelta(hours=2), runner=runner)

    assert len(outcomes) == 1
    assert later == []
    assert outcomes[0].due_at == datetime(2024, 6, 6, 7, 0, tzinfo=UTC)
    assert outcomes[0].skipped_due_times == 3
    assert len(jobs_of(engine, schedule.id)) == 1
    runs = list_runs(schedule.id)
    assert len(runs) == 1
    assert runs[0].skipped_due_times == 3
    assert runs[0].caught_up_note == (
        "Caught up once after downtime: 3 earlier due times passed while "
        "nothing was running and were skipped."
    )
    view = describe_schedules(now=thursday_noon)[0]
    assert view.last_run.caught_up_note.startswith("Caught up once")
    assert view.next_due_at == datetime(2024, 6, 7, 7, 0, tzinfo=UTC)


def test_broken_schedule_does_not_block_others(engine, runner, caplog):
    broken = create_schedule(
        name="Broken", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    healthy = create_schedule(
        name="Healthy", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    # A time zone missing from this system's tz database, as after a tzdata change.
    with Session(engine) as session:
        row = session.get(Schedule, broken.id)
        row.timezone = "Europe/Atlantis"
        session.add(row)
        session.commit()

    with caplog.at_level(logging.ERROR, logger="generation.scheduling.runner"):
        outcomes = run_due(MONDAY_8AM_BERLIN + timedelta(hours=1), runner=runner)

    assert [outcome.schedule_id for outcome in outcomes] == [healthy.id]
    assert f"due run of schedule {broken.id} failed" in caplog.text
    views = {view.id: view for view in describe_schedules()}
    assert views[broken.id].next_due_at is None
    assert [run.schedule_id for run in upcoming_runs()] == [healthy.id]


def test_taken_due_time_is_skipped(engine, runner):
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    due = datetime(2024, 6, 3, 7, 0, tzinfo=UTC)
    # Another process inserted the run row but has not yet moved last_due_at.
    with Session(engine) as session:
        session.add(ScheduleRun(schedule_id=schedule.id, due_at=due))
        session.commit()

    outcomes = run_due(due + timedelta(minutes=1), runner=runner)

    assert len(outcomes) == 1
    assert outcomes[0].taken_elsewhere
    assert outcomes[0].job_id is None
    assert "already started by another process" in outcomes[0].describe()
    assert jobs_of(engine, schedule.id) == []


def test_paused_schedule_does_not_catch_up(engine, runner):
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    pause_schedule(schedule.id)
    wednesday_noon = datetime(2024, 6, 5, 10, 0, tzinfo=UTC)

    while_paused = run_due(wednesday_noon, runner=runner)
    resume_schedule(schedule.id, now=wednesday_noon)
    after_resume = run_due(wednesday_noon + timedelta(hours=1), runner=runner)
    next_morning = run_due(datetime(2024, 6, 6, 7, 0, tzinfo=UTC), runner=runner)

    assert while_paused == []
    assert after_resume == []
    assert len(next_morning) == 1
    assert next_morning[0].skipped_due_times == 0


def test_update_counts_due_times_from_the_change(engine, runner):
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )
    monday_noon = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)

    update_schedule(
        schedule.id,
        name="Mornings",
        request=SAMPLE_REQUEST,
        timing=Timing("daily", "07:00", timezone="Europe/Berlin"),
        now=monday_noon,
    )
    outcomes = run_due(monday_noon, runner=runner)

    assert outcomes == []
    views = describe_schedules(now=monday_noon)
    assert views[0].name == "Mornings"
    assert views[0].timing == "Daily at 07:00 (Europe/Berlin)"
    assert views[0].next_due_at == datetime(2024, 6, 4, 5, 0, tzinfo=UTC)


def test_run_now_starts_a_manual_run(engine, runner):
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=MONDAY_8AM_BERLIN
    )

    first = run_now(schedule.id, runner=runner)
    repeat = run_now(schedule.id, runner=runner)

    assert first.job_id is not None
    assert repeat.job_id == first.job_id
    runs = list_runs(schedule.id)
    assert [run.trigger for run in runs] == ["manual"]
    job = runner.wait(first.job_id, timeout=60)
    assert job.status == JobStatus.SUCCEEDED
    assert job.schedule_id == schedule.id
    assert list_runs(schedule.id)[0].report_id == job.report_id


def test_deleted_schedule_stops_and_keeps_name(engine, runner):
    schedule = create_schedule(
        name="Old schedule", request=SAMPLE_REQUEST, timing=BERLIN_9AM
    )

    delete_schedule(schedule.id)

    assert run_due(datetime(2030, 1, 1, tzinfo=UTC), runner=runner) == []
    assert schedule_names({schedule.id}) == {schedule.id: "Old schedule (deleted)"}
    with pytest.raises(NotFound):
        run_now(schedule.id, runner=runner)


def test_upcoming_runs_soonest_first(engine):
    now = MONDAY_8AM_BERLIN
    create_schedule(
        name="Evening",
        request=SAMPLE_REQUEST,
        timing=Timing("daily", "18:00", timezone="Europe/Berlin"),
        now=now,
    )
    create_schedule(name="Morning", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=now)
    paused = create_schedule(
        name="Paused", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=now
    )
    pause_schedule(paused.id)

    upcoming = upcoming_runs(now=now)

    assert [run.schedule_name for run in upcoming] == ["Morning", "Evening"]
    assert upcoming[0].due_at == datetime(2024, 6, 3, 7, 0, tzinfo=UTC)
    assert upcoming[1].due_at == datetime(2024, 6, 3, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"samples": []}, "source", "where the data comes from"),
        ({"writer": "poet"}, "writer", "no writer called 'poet'"),
        ({"report_type": "poem"}, "report_type", "invalid"),
        (
            {"samples": [], "trends_query": {"timeframe": "today 3-m"}, "topics": []},
            "topics",
            "needs topics",
        ),
        (
            {
                "samples": [],
                "trends_query": {"timeframe": "today 3-m"},
                "topics": ["a", "b", "c", "d", "e", "f"],
            },
            "topics",
            "at most 5",
        ),
        (
            {"samples": [], "trends_query": {"timeframe": "yesterday"}},
            "timeframe",
            "",
        ),
    ],
)
def test_create_schedule_rejects(engine, changes, field, words):
    request = dict(SAMPLE_REQUEST, **changes)

    with pytest.raises(InvalidRequest) as caught:
        create_schedule(name="Bad", request=request, timing=BERLIN_9AM)

    assert caught.value.field == field
    assert words in caught.value.message


def test_create_schedule_rejects_name_and_trending(engine):
    with pytest.raises(InvalidRequest) as no_name:
        create_schedule(name="  ", request=SAMPLE_REQUEST, timing=BERLIN_9AM)
    with pytest.raises(InvalidRequest) as trending_samples:
        create_schedule(
            name="Trending",
            request=SAMPLE_REQUEST,
            timing=BERLIN_9AM,
            trending_geo="GB",
            trending_count=3,
        )
    with pytest.raises(InvalidRequest) as too_many:
        create_schedule(
            name="Trending",
            request={"trends_query": {"timeframe": "now 7-d"}},
            timing=BERLIN_9AM,
            trending_geo="GB",
            trending_count=6,
        )

    assert no_name.value.field == "name"
    assert trending_samples.value.field == "source"
    assert too_many.value.field == "trending_count"


def serve_trending_feed(server: HTTPServer) -> None:
    server.expect_request(
        "/trending/rss", query_string={"geo": "GB", "hl": "en-US"}
    ).respond_with_data(
        TRENDING_FEED_GB.read_bytes(), content_type="application/rss+xml"
    )


def test_trending_schedule_resolves_topics_at_run_time(engine, runner, trends_server):
    serve_trending_feed(trends_server)
    schedule = create_schedule(
        name="Top 3 in the UK",
        request={
            "category": "News",
            "trends_query": {"timeframe": "now 7-d", "geo": "GB"},
            "writer": "data_brief",
        },
        timing=BERLIN_9AM,
        trending_geo="gb",
        trending_count=3,
        now=MONDAY_8AM_BERLIN,
    )

    outcomes = run_due(MONDAY_8AM_BERLIN + timedelta(hours=1), runner=runner)

    # The feed's two 500+ searches, then the first of its three 200+ ones.
    expected = [
        "nipah virus outbreak latest news",
        "dwp benefit cap impact",
        "pacers vs rockets",
    ]
    assert schedule.trending_geo == "GB"
    assert len(outcomes) == 1
    assert outcomes[0].error == ""
    assert list_runs(schedule.id)[0].topics == expected
    with Session(engine) as session:
        job = session.get(GenerationJob, outcomes[0].job_id)
    assert job.request["topics"] == expected
    assert job.request["trends_query"]["terms"] == expected
    assert job.request["trends_query"]["geo"] == "GB"
    assert describe_schedules()[0].topics == "Top 3 trending now in GB"
    runner.cancel(job.id)


def test_trending_feed_failure_records_run_error(engine, runner, trends_server):
    trends_server.expect_request("/trending/rss").respond_with_data(
        "unavailable", status=503
    )
    schedule = create_schedule(
        name="Top 2",
        request={"trends_query": {"timeframe": "now 7-d", "geo": "GB"}},
        timing=BERLIN_9AM,
        trending_geo="GB",
        trending_count=2,
        now=MONDAY_8AM_BERLIN,
    )

    outcomes = run_due(MONDAY_8AM_BERLIN + timedelta(hours=1), runner=runner)

    assert len(outcomes) == 1
    assert outcomes[0].job_id is None
    assert "503" in outcomes[0].error
    run = list_runs(schedule.id)[0]
    assert run.error == outcomes[0].error
    assert run.job_status == "failed"
    assert jobs_of(engine, schedule.id) == []


def test_scheduler_thread_runs_due_schedules(engine, runner):
    clock = ManualClock(MONDAY_8AM_BERLIN)
    schedule = create_schedule(
        name="Daily", request=SAMPLE_REQUEST, timing=BERLIN_9AM, now=clock.now()
    )
    scheduler = Scheduler(0.05, clock=clock, runner=runner)
    scheduler.start()
    try:
        clock.advance(timedelta(hours=1))
        deadline = time.monotonic() + 20
        while not jobs_of(engine, schedule.id) and time.monotonic() < deadline:
            time.sleep(0.05)
        ticks_then = scheduler.ticks
        time.sleep(0.3)
    finally:
        scheduler.stop(timeout=10)

    assert len(jobs_of(engine, schedule.id)) == 1
    assert scheduler.ticks > ticks_then


def test_scheduler_thread_survives_errors(engine, monkeypatch, caplog):
    def broken_run_due(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(scheduling_runner, "run_due", broken_run_due)
    scheduler = Scheduler(0.02, clock=ManualClock(MONDAY_8AM_BERLIN))
    with caplog.at_level(logging.ERROR, logger="generation.scheduling.runner"):
        scheduler.start()
        deadline = time.monotonic() + 10
        while scheduler.ticks < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        alive = scheduler.running
        scheduler.stop(timeout=10)

    assert alive
    assert scheduler.ticks >= 3
    assert "Scheduler pass over schedules failed" in caplog.text


def test_start_scheduler_once_per_process(engine):
    first = start_scheduler(60)
    second = start_scheduler(60)

    assert first is second
    assert first.running
    assert first.interval_seconds == 60
