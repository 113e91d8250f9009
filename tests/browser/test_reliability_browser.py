"""Jobs in a real browser survive reloads, lost connections and closed tabs."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from generation.access import hash_password
from generation.models import GenerationJob, JobStatus

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
# The paced test writer takes STEPS * PACE seconds: long enough to act mid-job.
SLOW_JOB_ENV = {
    "WRITER_PLUGINS": "tests.support.slow_writer",
    "SLOW_WRITER_STEPS": "80",
    "SLOW_WRITER_PACE_SECONDS": "0.25",
}
PASSWORD = "correct horse battery"
FRAGMENT_ERRORS = re.compile(r"fragment.{0,40}does not exist", re.IGNORECASE)


def settle(page) -> None:
    page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.wait_for_selector(
        "[data-testid='stStatusWidget']", state="detached", timeout=TIMEOUT_MS
    )


def jobs_in(app) -> list[GenerationJob]:
    engine = create_engine(app.db_url)
    try:
        with Session(engine) as session:
            return list(session.exec(select(GenerationJob)).all())
    finally:
        engine.dispose()


def choose_option(page, label: str, option: str, attempts: int = 5) -> None:
    """Pick ``option`` in the select box ``label``, reopening it if a rerun closed it."""
    box = page.get_by_role("combobox", name=label, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(attempts):
        box.click()
        try:
            choice.click(timeout=5_000)
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
            settle(page)
            continue
        expect(box).to_have_value(option, timeout=TIMEOUT_MS)
        return
    pytest.fail(f"the {label!r} select box never offered {option!r}")


def start_paced_job(app, page) -> int:
    """Start a job with the paced writer from the Generate form; return its id."""
    page.goto(f"{app.url}/generate")
    settle(page)
    choose_option(page, "Writer", "paced")
    page.get_by_role("button", name="Start generation").click()
    page.wait_for_url(re.compile(r".*[?&]job=\d+"), timeout=TIMEOUT_MS)
    job_id = int(re.search(r"job=(\d+)", page.url).group(1))
    expect(page.get_by_text(f"Job {job_id}: running")).to_be_visible(timeout=TIMEOUT_MS)
    return job_id


def progress_text(page) -> str:
    return page.get_by_test_id("stProgress").first.inner_text(timeout=TIMEOUT_MS)


def wait_for_new_progress(page, seen: str, timeout_s: float = 20) -> str:
    """Wait until the progress bar's text differs from ``seen``; return it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = progress_text(page)
        if text != seen:
            return text
        page.wait_for_timeout(250)
    pytest.fail(f"the progress stayed at {seen!r} for {timeout_s} s")


def collect_console(page) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.on("pageerror", lambda error: messages.append(str(error)))
    return messages


def test_reload_mid_job_keeps_refreshing(start_app, page):
    app = start_app(SLOW_JOB_ENV)
    console = collect_console(page)
    job_id = start_paced_job(app, page)

    page.reload()
    settle(page)

    expect(page.get_by_text(f"Job {job_id}: running")).to_be_visible(timeout=TIMEOUT_MS)
    first = progress_text(page)
    second = wait_for_new_progress(page, first)
    wait_for_new_progress(page, second)
    expect(page.get_by_text(f"Job {job_id}: succeeded")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert [job.id for job in jobs_in(app)] == [job_id]
    assert not FRAGMENT_ERRORS.search(page.inner_text("body"))
    assert not [line for line in console if FRAGMENT_ERRORS.search(line)]
    assert not FRAGMENT_ERRORS.search(app.log_text())
    assert "Traceback" not in app.log_text()


def test_lost_connection_mid_job_recovers(start_app, page):
    app = start_app(SLOW_JOB_ENV)
    console = collect_console(page)
    job_id = start_paced_job(app, page)
    before = progress_text(page)

    # A laptop that sleeps loses its connection; Streamlit reconnects after.
    page.context.set_offline(True)
    page.wait_for_timeout(4_000)
    page.context.set_offline(False)

    wait_for_new_progress(page, before, timeout_s=40)
    expect(page.get_by_text(f"Job {job_id}: succeeded")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert [job.id for job in jobs_in(app)] == [job_id]
    assert not [line for line in console if FRAGMENT_ERRORS.search(line)]
    assert not FRAGMENT_ERRORS.search(app.log_text())


def test_cancel_while_running(start_app, page):
    app = start_app(SLOW_JOB_ENV)
    job_id = start_paced_job(app, page)
    wait_for_new_progress(page, progress_text(page))

    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_text(f"Job {job_id}: cancelled")).to_be_visible(timeout=10_000)
    expect(
        page.get_by_text("Cancelled; the text written so far is kept.")
    ).to_be_visible()
    (job,) = jobs_in(app)
    assert job.status == JobStatus.CANCELLED
    assert job.cancel_requested
    assert "Part 1 of 80." in job.partial_text
    assert job.report_id is None


def test_closed_tab_job_runs_to_history(start_app, browser):
    app = start_app(SLOW_JOB_ENV)
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    job_id = start_paced_job(app, context.new_page())

    context.close()

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        (job,) = jobs_in(app)
        if job.status.is_final:
            break
        time.sleep(0.5)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.cancel_requested is False
    assert job.report_id is not None
    reader = browser.new_page()
    try:
        reader.goto(f"{app.url}/history?job={job_id}")
        settle(reader)
        expect(reader.get_by_text(f"Job {job_id}: succeeded")).to_be_visible(
            timeout=TIMEOUT_MS
        )
        reader.goto(f"{app.url}/history?report={job.report_id}")
        settle(reader)
        expect(reader.get_by_text("Part 80 of 80.")).to_be_visible(timeout=TIMEOUT_MS)
    finally:
        reader.close()


def test_first_request_to_a_page_asks_for_password(start_app, page):
    app = start_app({"APP_PASSWORD_HASH": hash_password(PASSWORD)})

    page.goto(f"{app.url}/generate")
    settle(page)

    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert "Generate a report" not in page.inner_text("body")
    page.get_by_label("Password", exact=True).fill("wrong guess")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That password is wrong.")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert "Generate a report" not in page.inner_text("body")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Generate a report")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert jobs_in(app) == []
