"""The Generate and Settings pages with the Gemini writer and a local fake Gemini API."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest
from werkzeug import Request, Response

from generation.jobs import get_runner
from generation.models import JobStatus
from generation.queries import get_job, get_report
from tests.conftest import REPO_ROOT
from tests.generation.writers.gemini_fake import (
    FAKE_KEY,
    FakeGemini,
    outline_then_recorded,
    recorded_sse,
    serve_fake_gemini,
    sse,
)

TIMEOUT = 60


@pytest.fixture
def fake_gemini(httpserver, monkeypatch) -> FakeGemini:
    """The fake Gemini API, with the app's settings pointed at it."""
    return serve_fake_gemini(httpserver, monkeypatch)


def open_page(path: str) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    app.run()
    app.switch_page(path)
    app.run()
    return app


def widget(elements, label: str):
    matches = [element for element in elements if element.label == label]
    assert len(matches) == 1, [element.label for element in elements]
    return matches[0]


def page_text(app: AppTest) -> str:
    """Return every value the page shows, for searching."""
    values = []
    for kind in (
        "markdown",
        "caption",
        "info",
        "success",
        "error",
        "warning",
        "text",
        "title",
    ):
        values += [str(element.value) for element in getattr(app, kind)]
    return "\n".join(values)


def test_estimate_shown_before_submitting(fake_gemini) -> None:
    app = open_page("pages/generate.py")
    widget(app.selectbox, "Writer").set_value("gemini")
    widget(app.selectbox, "Model").set_value("gemini-2.5-pro")
    widget(app.get("form_submit_button"), "Estimate cost").click()
    app.run()

    assert not app.exception
    estimates = [info.value for info in app.info if info.value.startswith("Estimate:")]
    assert len(estimates) == 1
    assert "output tokens with gemini-2.5-pro, about $" in estimates[0]
    assert "job" not in app.query_params
    assert fake_gemini.requests == []


def test_form_starts_gemini_job(fake_gemini) -> None:
    fake_gemini.stream(recorded_sse())
    app = open_page("pages/generate.py")
    widget(app.selectbox, "Writer").set_value("gemini")
    widget(app.checkbox, "Search Google and cite sources").check()
    widget(app.get("form_submit_button"), "Start generation").click()
    app.run()

    assert not app.exception
    job = get_runner().wait(int(app.query_params["job"]), timeout=TIMEOUT)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.writer == "gemini"
    assert job.model == "gemini-2.5-flash"
    report = get_report(job.report_id)
    assert report.prompt_tokens == 13
    assert "Gemini cited no web pages" in report.body
    app.run()
    assert any("Report ready" in element.value for element in app.success)
    assert FAKE_KEY not in page_text(app)


def test_status_shows_text_while_streaming(fake_gemini) -> None:
    release = threading.Event()

    def held_stream(request: Request) -> Response:
        def events():
            for words in ("First words of the report. ", "More words. "):
                part = {"text": words}
                yield sse(
                    [{"candidates": [{"content": {"parts": [part], "role": "model"}}]}]
                )
                # The job writes streamed text at most every 0.25 s.
                time.sleep(0.5)
            release.wait(TIMEOUT)
            yield recorded_sse()

        return Response(events(), content_type="text/event-stream")

    fake_gemini.handler(held_stream)
    app = open_page("pages/generate.py")
    widget(app.selectbox, "Writer").set_value("gemini")
    widget(app.get("form_submit_button"), "Start generation").click()
    app.run()
    job_id = int(app.query_params["job"])
    deadline = time.monotonic() + TIMEOUT
    while (
        "More words." not in get_job(job_id).partial_text
        and time.monotonic() < deadline
    ):
        time.sleep(0.05)

    app.run()
    shown_while_running = [element.value for element in app.text]
    release.set()
    job = get_runner().wait(job_id, timeout=TIMEOUT)

    assert "First words of the report. More words." in shown_while_running
    assert job.status == JobStatus.SUCCEEDED, job.error


def test_settings_show_model_and_key_state(fake_gemini) -> None:
    app = open_page("pages/settings.py")

    assert not app.exception
    text = page_text(app)
    assert (
        "Gemini model: **gemini-2.5-flash** (GEMINI_MODEL; the Generate form can "
        "pick another per report). Gemini API key: **set**."
    ) in text
    assert FAKE_KEY not in text


REVIEW_OUTLINE = (
    "# GLP-1 drugs: search interest peaks\n"
    "## Summary\nThe main figures.\n"
    "## Ozempic leads\nPeak and average.\n"
    "## What to watch\nBreakouts to track.\n"
)


def start_reviewed_job(fake_gemini) -> tuple[AppTest, int]:
    """Start a Gemini job with the outline review from the form; wait for the pause."""
    fake_gemini.handler(
        outline_then_recorded(
            REVIEW_OUTLINE, {"promptTokenCount": 900, "candidatesTokenCount": 60}
        )
    )
    app = open_page("pages/generate.py")
    widget(app.selectbox, "Writer").set_value("gemini")
    widget(app.checkbox, "Review the outline before the sections are written").check()
    widget(app.get("form_submit_button"), "Start generation").click()
    app.run()
    job_id = int(app.query_params["job"])
    job = get_runner().wait(job_id, timeout=TIMEOUT)
    assert job.status == JobStatus.AWAITING_REVIEW, job.message
    app.run()
    return app, job_id


def test_outline_review_edited_and_approved(fake_gemini) -> None:
    app, job_id = start_reviewed_job(fake_gemini)
    outline_box = widget(app.text_area, "Outline")

    assert outline_box.value.startswith("# GLP-1 drugs: search interest peaks")
    assert "## Ozempic leads" in outline_box.value
    assert any("ready for your review" in element.value for element in app.info)
    assert any("900 prompt and 60 output tokens" in c.value for c in app.caption)

    outline_box.set_value(
        "# Ozempic in the US\n## Summary\n## Where the searches come from\n"
        "## What to watch\n"
    )
    widget(app.get("form_submit_button"), "Approve and write the sections").click()
    app.run()
    job = get_runner().wait(job_id, timeout=TIMEOUT)

    assert not app.exception
    assert job.status == JobStatus.SUCCEEDED, job.error
    report = get_report(job.report_id)
    assert report.title == "Ozempic in the US"
    assert "## Where the searches come from" in report.body
    assert "## Ozempic leads" not in report.body


def test_unusable_outline_shown_as_sentence(fake_gemini) -> None:
    app, job_id = start_reviewed_job(fake_gemini)

    widget(app.text_area, "Outline").set_value("# Only a title")
    widget(app.get("form_submit_button"), "Approve and write the sections").click()
    app.run()

    assert not app.exception
    errors = [element.value for element in app.error]
    assert any("needs at least 3" in error for error in errors), errors
    assert widget(app.text_area, "Outline").value == "# Only a title"
    assert get_job(job_id).status == JobStatus.AWAITING_REVIEW
