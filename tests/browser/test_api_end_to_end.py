"""The HTTP API end to end: ``streamlit run app.py`` serves it beside the pages.

A program's whole path: a token from the command line, a real Trends export
uploaded, a generation started and polled until it succeeds, and the
report's figures read back. The browser test then finds the same job in the
History page of the same server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from generation.analysis import analyse
from generation.trends.csv_import import parse_trends_csv
from generation.trends.samples import SAMPLES_DIR
from tests.browser.conftest import REPO_ROOT, RunningApp

WEEKLY_EXPORT = SAMPLES_DIR / "trends_multitimeline_weekly_3terms_us_5y.csv"
POLL_TIMEOUT_SECONDS = 120
TIMEOUT_MS = 60_000


def create_token(app: RunningApp) -> str:
    created = subprocess.run(
        [sys.executable, "-m", "generation", "tokens", "create", "--name", "e2e"],
        cwd=REPO_ROOT,
        env={**os.environ, "DATABASE_URL": app.db_url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def call(
    app: RunningApp,
    method: str,
    path: str,
    token: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{app.url}{path}",
        data=body,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def upload_export(app: RunningApp, token: str, path: Path) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + path.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return call(
        app,
        "POST",
        "/api/datasets",
        token,
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def generate_over_http(app: RunningApp) -> dict[str, Any]:
    """Run the whole API path and return the job's final status."""
    token = create_token(app)

    status_code, dataset = upload_export(app, token, WEEKLY_EXPORT)
    assert status_code == 201, dataset
    assert dataset["terms"] == ["ozempic", "monjauro", "wegovy"]

    request = {"dataset_id": dataset["dataset_id"], "category": "Health"}
    status_code, submission = call(
        app, "POST", "/api/generate", token, json.dumps(request).encode()
    )
    assert status_code == 202, submission
    assert submission["status_url"] == (f"{app.url}/api/status/{submission['job_id']}")

    deadline = time.monotonic() + POLL_TIMEOUT_SECONDS
    while True:
        status_code, status = call(
            app, "GET", f"/api/status/{submission['job_id']}", token
        )
        assert status_code == 200, status
        if status["final"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["status"] == "succeeded", status
    status["token"] = token
    return status


def test_generation_over_http_ends_with_each_terms_peak(start_app):
    app = start_app()

    status = generate_over_http(app)
    status_code, report = call(
        app, "GET", f"/api/reports/{status['report_id']}", status["token"]
    )

    assert status_code == 200, report
    expected = analyse(parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name))
    by_term = {item["term"]: item for item in report["analysis"]["terms"]}
    assert list(by_term) == ["ozempic", "monjauro", "wegovy"]
    for figures in expected.terms:
        assert by_term[figures.term]["peak_period"] == figures.peak_period
        assert by_term[figures.term]["peak_value"] == figures.peak_value
    # ozempic's highest week in the export is 2024-05-12 (value 100).
    assert by_term["ozempic"]["peak_period"] == "2024-05-12"
    assert report["category"] == "Health"
    with urllib.request.urlopen(f"{app.url}/api/health", timeout=30) as response:
        assert json.loads(response.read())["database"] is True
    log_text = app.log_text()
    assert "missing ScriptRunContext" not in log_text
    assert "Traceback" not in log_text
    assert status["token"] not in log_text


@pytest.mark.browser
def test_job_started_over_http_shows_in_history(start_app, page):
    app = start_app()
    status = generate_over_http(app)
    job_id = status["job_id"]

    # Headless Chromium cannot use a save dialog. When the File System Access
    # API fails, Streamlit downloads the grid's CSV as a plain file instead.
    page.add_init_script(
        "window.showSaveFilePicker = () => Promise.reject(new Error('no dialog'));"
    )
    page.goto(f"{app.url}/history")
    expect(page.get_by_role("heading", name="History")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible(timeout=TIMEOUT_MS)
    # The grid draws on a canvas, so its rows are read from its CSV download.
    grid.hover()
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.get_by_role("button", name="Download as CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert [row["job"] for row in rows] == [f"?job={job_id}"]
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["category"] == "Health"

    page.goto(f"{app.url}/history?job={job_id}")
    expect(page.get_by_text(f"Job {job_id}: succeeded")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    log_text = app.log_text()
    assert "missing ScriptRunContext" not in log_text
    assert "Traceback" not in log_text
