"""Each page through Streamlit's AppTest: renders, and the form starts a real job."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from generation import config
from generation.jobs import get_runner
from generation.models import JobStatus
from generation.queries import get_job, get_report
from tests.conftest import REPO_ROOT

PAGES = [
    "pages/dashboard.py",
    "pages/explore.py",
    "pages/generate.py",
    "pages/history.py",
    "pages/settings.py",
]
TIMEOUT = 60


def open_page(path: str, **query_params: str) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    for name, value in query_params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page(path)
    app.run()
    return app


@pytest.mark.parametrize("path", PAGES)
def test_each_page_renders_without_an_exception(path):
    app = open_page(path)
    assert not app.exception
    assert not app.error, [element.value for element in app.error]
    assert app.title[0].value


def test_the_form_starts_a_job_that_ends_with_a_report():
    app = open_page("pages/generate.py")
    topics = app.multiselect[1]
    assert topics.label == "Topics"
    assert topics.value == ["ozempic", "monjauro", "wegovy"]
    topics.set_value(["ozempic", "wegovy"])
    app.selectbox[0].set_value("Health")
    app.get("form_submit_button")[0].click()
    app.run()

    assert not app.exception
    job_id = int(app.query_params["job"])
    job = get_runner().wait(job_id, timeout=TIMEOUT)
    assert job.status == JobStatus.SUCCEEDED
    assert job.topics == "ozempic, wegovy"
    assert job.category == "Health"
    report = get_report(job.report_id)
    assert "ozempic" in report.title
    assert "wegovy" in report.title

    app.run()
    assert any("Report ready" in element.value for element in app.success)


def test_the_same_form_sent_twice_gives_one_job(monkeypatch):
    # A slow machine may take more than the default window between the clicks.
    monkeypatch.setenv("JOB_DEDUP_SECONDS", "600")
    config.get_settings.cache_clear()
    app = open_page("pages/generate.py")
    app.get("form_submit_button")[0].click()
    app.run()
    first = app.query_params["job"]
    app.get("form_submit_button")[0].click()
    app.run()
    assert app.query_params["job"] == first
    assert [toast.value for toast in app.toast] == [
        f"The same request was sent moments ago; showing job {first}."
    ]


def test_form_sent_as_job_ends_is_kept(monkeypatch):
    import views.job_status

    app = open_page("pages/generate.py")
    app.get("form_submit_button")[0].click()
    app.run()
    first = int(app.query_params["job"])
    assert get_runner().wait(first, timeout=TIMEOUT).status == JobStatus.SUCCEEDED
    reads = []

    def job_that_ends_between_reads(job_id):
        # The page reads the job running; the status block reads it ended.
        job = get_job(job_id)
        reads.append(job_id)
        if len(reads) == 1:
            return job.model_copy(update={"status": JobStatus.RUNNING})
        return job

    monkeypatch.setattr(views.job_status, "get_job", job_that_ends_between_reads)
    notes = [area for area in app.text_area if area.label.startswith("Notes")]
    notes[0].set_value("A second report, please.")
    app.get("form_submit_button")[0].click()
    app.run()

    assert not app.exception
    assert int(app.query_params["job"]) != first
    assert len(reads) >= 2


def test_explore_takes_picked_topics_to_the_form():
    app = open_page("pages/explore.py")
    assert not app.exception
    assert "ozempic, monjauro and wegovy, weekly, 2020-11-22 to 2025-11-23" in (
        app.caption[1].value
    )
    picked = app.multiselect(key="explore-picked-topics")
    picked.set_value(["monjauro"])
    app.button[0].click()
    app.run()
    assert not app.exception
    assert any("Data picked on Explore" in info.value for info in app.info)
    assert app.multiselect[0].value == ["monjauro"]


def test_history_opens_a_report_and_a_job_from_the_url():
    runner = get_runner()
    job = runner.wait(
        runner.submit({"samples": ["weight-loss-drugs-us"]}).job_id, timeout=TIMEOUT
    )
    report = get_report(job.report_id)

    app = open_page("pages/history.py", report=str(job.report_id))
    assert not app.exception
    assert app.title[0].value.replace("\\", "") == report.title
    assert any("2024-05-12" in element.value for element in app.markdown)

    app = open_page("pages/history.py", job=str(job.id))
    assert not app.exception
    assert app.title[0].value == f"Job {job.id}"
    assert get_job(job.id).status == JobStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ({"job": "abc"}, "'abc' is not a job id"),
        ({"job": "-3"}, "'-3' is not a job id"),
        ({"job": "1 OR 1=1"}, "'1 OR 1=1' is not a job id"),
        ({"job": "99999"}, "There is no job 99999"),
        ({"report": "4242"}, "There is no report 4242"),
    ],
)
def test_bad_ids_in_the_url_get_a_sentence(query, sentence):
    app = open_page("pages/history.py", **query)
    assert not app.exception
    messages = [element.value for element in [*app.warning, *app.error]]
    assert any(sentence in message for message in messages), messages


def test_a_bad_setting_is_a_sentence_on_every_page(monkeypatch):
    monkeypatch.setenv("EXECUTOR_WORKERS", "lots")
    config.get_settings.cache_clear()
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception
    assert [element.value for element in app.error] == [
        (
            "The setting EXECUTOR_WORKERS is not valid: Input should be a valid "
            "integer, unable to parse string as an integer. Fix it in the "
            "environment or in .streamlit/secrets.toml, then start again."
        )
    ]


def test_duplicate_into_the_form_brings_every_input():
    runner = get_runner()
    original = runner.wait(
        runner.submit(
            {
                "samples": ["weight-loss-drugs-us"],
                "topics": ["wegovy"],
                "category": "Health",
                "report_type": "content_plan",
                "length": "short",
                "tone": "friendly",
                "language": "Deutsch",
                "instructions": "Für das Produktteam.",
            }
        ).job_id,
        timeout=TIMEOUT,
    )
    app = open_page("pages/history.py", report=str(original.report_id))
    next(b for b in app.button if b.label == "Duplicate into the form").click()
    app.run()
    assert not app.exception

    form = {widget.label: widget.value for widget in [*app.selectbox, *app.multiselect]}
    assert form["Topics"] == ["wegovy"]
    assert form["Category"] == "Health"
    assert form["Report type"] == "content_plan"
    assert form["Length"] == "short"
    assert form["Tone"] == "friendly"
    assert [field.value for field in app.text_input if field.label == "Language"] == [
        "Deutsch"
    ]
    assert [area.value for area in app.text_area] == ["Für das Produktteam."]
