"""The Settings page's schedules, watched terms and webhooks through AppTest."""

from __future__ import annotations

from datetime import timedelta

from streamlit.testing.v1 import AppTest

from generation.db import get_engine, init_db
from generation.jobs import get_runner
from generation.models import JobStatus, utcnow
from generation.scheduling import (
    Timing,
    create_schedule,
    list_runs,
    list_schedules,
    run_due,
)
from generation.webhooks import list_endpoints
from tests.conftest import REPO_ROOT

TIMEOUT = 60


def open_settings() -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    app.run()
    app.switch_page("pages/settings.py")
    app.run()
    return app


def button(app: AppTest, label: str):
    return next(item for item in app.button if item.label == label)


def messages(elements) -> list[str]:
    return [element.value for element in elements]


def test_create_schedule_from_form():
    app = open_settings()
    assert messages(app.info).count("No schedules yet. Create one below.") == 1

    app.text_input(key="schedule-name-new").set_value("Weight-loss drugs, weekdays")
    app.text_input(key="schedule-topics-new").set_value("ozempic, wegovy")
    app.selectbox(key="schedule-category-new").set_value("Health")
    app.selectbox(key="schedule-frequency-new").set_value("weekdays")
    app.run()
    app.text_input(key="schedule-at-new").set_value("07:30")
    app.selectbox(key="schedule-timezone-new").set_value("Europe/Berlin")
    button(app, "Create schedule").click()
    app.run()

    assert not app.exception
    assert messages(app.error) == []
    assert "Schedule 'Weight-loss drugs, weekdays' created." in messages(app.success)
    (schedule,) = list_schedules()
    assert schedule.frequency == "weekdays"
    assert schedule.at_time == "07:30"
    assert schedule.timezone == "Europe/Berlin"
    assert schedule.request["topics"] == ["ozempic", "wegovy"]
    assert schedule.request["category"] == "Health"
    assert schedule.request["samples"] == [
        "weight-loss-drugs-us",
        "weight-loss-drugs-by-state",
        "ozempic-related-queries",
    ]


def test_invalid_schedule_shows_sentence():
    app = open_settings()

    app.text_input(key="schedule-name-new").set_value("Bad cron")
    app.selectbox(key="schedule-frequency-new").set_value("cron")
    app.run()
    app.text_input(key="schedule-cron-new").set_value("every morning")
    button(app, "Create schedule").click()
    app.run()

    assert not app.exception
    assert messages(app.error) == [
        (
            "'every morning' is not a cron expression; write five fields (minute "
            "hour day-of-month month day-of-week), such as '0 9 * * 1-5'."
        )
    ]
    assert list_schedules() == []


def test_run_now_and_caught_up_note():
    engine = init_db(get_engine())
    schedule = create_schedule(
        name="Daily ozempic",
        request={"topics": ["ozempic"], "samples": ["weight-loss-drugs-us"]},
        timing=Timing("daily", "06:00", timezone="UTC"),
        now=utcnow() - timedelta(days=3),
        engine=engine,
    )
    (outcome,) = run_due(runner=get_runner())
    get_runner().wait(outcome.job_id, timeout=TIMEOUT)

    app = open_settings()
    notes = [note for note in messages(app.info) if "Daily ozempic" in note]
    button(app, "Run now").click()
    app.run()

    assert not app.exception
    assert len(notes) == 1
    assert "Caught up once after downtime: 2 earlier due times" in notes[0]
    started = [text for text in messages(app.success) if "started [job" in text]
    assert len(started) == 1
    runs = list_runs(schedule.id)
    assert [run.trigger for run in runs] == ["manual", "schedule"]
    job = get_runner().wait(runs[0].job_id, timeout=TIMEOUT)
    assert job.status == JobStatus.SUCCEEDED
    assert job.schedule_id == schedule.id


def test_pause_and_delete_buttons(engine):
    create_schedule(
        name="Mornings",
        request={"topics": ["ozempic"], "samples": ["weight-loss-drugs-us"]},
        timing=Timing("daily", "08:00", timezone="UTC"),
    )
    app = open_settings()

    button(app, "Pause").click()
    app.run()
    paused = list_schedules()[0].paused
    button(app, "Resume").click()
    app.run()
    resumed = not list_schedules()[0].paused
    button(app, "Delete").click()
    app.run()

    assert not app.exception
    assert paused
    assert resumed
    assert list_schedules() == []
    assert "Schedule 1 deleted." in messages(app.success)


def test_webhook_form_rejects_loopback():
    app = open_settings()

    app.text_input(key="webhook-url").set_value("http://127.0.0.1:8080/hook")
    app.text_input(key="webhook-secret").set_value("a-secret-value-123456")
    next(
        item for item in app.get("form_submit_button") if item.label == "Add webhook"
    ).click()
    app.run()

    assert not app.exception
    assert messages(app.error) == [
        (
            "The webhook URL points at 127.0.0.1, which is a loopback address. "
            "Webhooks may only reach public addresses unless WEBHOOK_ALLOW_PRIVATE "
            "is set."
        )
    ]
    assert list_endpoints() == []
