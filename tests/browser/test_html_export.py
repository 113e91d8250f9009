"""The HTML export in Chromium: it draws its charts and fetches nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generation.db import session_scope
from generation.exports import export_report
from generation.models import JobStatus, Report

pytestmark = pytest.mark.browser

REQUEST = {
    "category": "Health",
    "topics": ["ozempic", "wegovy"],
    "samples": ["weight-loss-drugs-us", "weight-loss-drugs-by-state"],
    "writer": "data_brief",
}
# Set to a folder to keep the screenshot for a person to look at.
SCREENSHOT_DIR = os.environ.get("EXPORT_SCREENSHOT_DIR", "")


@pytest.fixture
def html_file(runner, tmp_path: Path) -> Path:
    job = runner.wait(runner.submit(REQUEST).job_id, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job.message
    with session_scope(runner.engine) as session:
        session.get(Report, job.report_id).sources = [
            {"title": "Weight-loss drug news", "uri": "https://example.com/news"}
        ]
    exported = export_report(job.report_id, "html", engine=runner.engine)
    path = tmp_path / exported.filename
    path.write_bytes(exported.content)
    return path


def test_html_export_renders_offline_with_charts(page, html_file, tmp_path):
    requested: list[str] = []

    def record(route):
        requested.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", record)

    page.goto(html_file.as_uri())
    page.wait_for_selector("svg")
    screenshot = Path(SCREENSHOT_DIR or tmp_path) / "html-export.png"
    page.screenshot(path=str(screenshot), full_page=True)

    assert requested == [html_file.as_uri()]
    assert page.title() == "Health: ozempic, wegovy — search interest brief"
    charts = page.locator("figure svg")
    assert charts.count() == 4
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box is not None
        assert box["width"] > 300
        assert box["height"] > 100
    assert page.get_by_role("heading", name="Key figures").is_visible()
    assert page.locator("td", has_text="2024-05-12").first.is_visible()
    link = page.get_by_role("link", name="Weight-loss drug news")
    assert link.get_attribute("href") == "https://example.com/news"
    assert screenshot.stat().st_size > 50_000
