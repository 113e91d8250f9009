"""The main job as a new user does it, in headless Chromium against the real app."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from generation.analysis import analyse
from generation.models import GenerationJob
from generation.trends.samples import load_sample

pytestmark = pytest.mark.browser

TIMEOUT_MS = 60_000
SHOTS = Path(__file__).resolve().parents[2] / "shots"


def settle(page) -> None:
    page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    page.wait_for_selector(
        "[data-testid='stStatusWidget']", state="detached", timeout=TIMEOUT_MS
    )


def test_sample_to_report_in_history(running_app, page):
    expected = analyse(load_sample("weight-loss-drugs-us"))
    # The app must work with no network: every request stays on this machine.
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))

    page.goto(f"{running_app.url}/explore")
    settle(page)
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(page.get_by_text("weekly, 2020-11-22 to 2025-11-23")).to_be_visible()
    page.get_by_role("button", name="Write a report on these").click()

    page.wait_for_url(re.compile(r".*/generate"), timeout=TIMEOUT_MS)
    settle(page)
    expect(page.get_by_text("Data picked on Explore")).to_be_visible()
    page.get_by_role("button", name="Start generation").click()

    page.wait_for_url(re.compile(r".*[?&]job=\d+"), timeout=TIMEOUT_MS)
    job_id = int(re.search(r"job=(\d+)", page.url).group(1))
    expect(page.get_by_text(f"Job {job_id}: succeeded")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    page.get_by_text("Stage log").click()
    log = page.get_by_test_id("stDataFrame").last
    expect(log).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "main-job-status.png"), full_page=True)

    page.get_by_role("link", name=re.compile(r"Read report \d+")).click()
    page.wait_for_url(re.compile(r".*/history\?report=\d+"), timeout=TIMEOUT_MS)
    settle(page)
    body = page.get_by_test_id("stMainBlockContainer").inner_text()
    for figures in expected.terms:
        assert figures.term in body
        assert figures.peak_period in body, figures.term
    page.screenshot(path=str(SHOTS / "main-job-report.png"), full_page=True)

    # A reload shows the same job from the address and starts no second one.
    page.goto(f"{running_app.url}/generate?job={job_id}")
    settle(page)
    expect(page.get_by_text(f"Job {job_id}: succeeded")).to_be_visible()
    with Session(create_engine(running_app.db_url)) as session:
        assert [job.id for job in session.exec(select(GenerationJob)).all()] == [job_id]

    assert hosts == {"127.0.0.1"}
    log_text = running_app.log_text()
    assert "missing ScriptRunContext" not in log_text
    assert "Traceback" not in log_text
