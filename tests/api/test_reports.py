"""GET /api/reports/{id}: the report with each term's figures, and as Markdown."""

from __future__ import annotations

import csv
import io

import pytest
from pypdf import PdfReader

from generation.db import session_scope
from generation.models import Report, utcnow
from generation.trends.samples import SAMPLES_DIR

WEEKLY_EXPORT = SAMPLES_DIR / "trends_multitimeline_weekly_3terms_us_5y.csv"


def peak_weeks_in_export() -> dict[str, tuple[str, float]]:
    """Read the export with the csv module alone: each term's first highest week."""
    rows = list(csv.reader(io.StringIO(WEEKLY_EXPORT.read_text(encoding="utf-8"))))
    header_index = next(i for i, row in enumerate(rows) if row and row[0] == "Week")
    terms = [cell.split(":")[0] for cell in rows[header_index][1:]]
    peaks: dict[str, tuple[str, float]] = {}
    for row in rows[header_index + 1 :]:
        for term, cell in zip(terms, row[1:], strict=True):
            value = 0.5 if cell == "<1" else float(cell)
            if term not in peaks or value > peaks[term][1]:
                peaks[term] = (row[0], value)
    return peaks


@pytest.fixture
def report_id(api_client, auth, dataset_id, runner) -> int:
    submitted = api_client.post(
        "/api/generate", json={"dataset_id": dataset_id}, headers=auth
    ).json()
    job = runner.wait(submitted["job_id"], timeout=30)
    assert job.report_id is not None, job.error
    return job.report_id


def test_report_json_has_each_terms_peak_period(api_client, auth, report_id):
    response = api_client.get(f"/api/reports/{report_id}", headers=auth)

    assert response.status_code == 200
    report = response.json()
    by_term = {item["term"]: item for item in report["analysis"]["terms"]}
    peaks = peak_weeks_in_export()
    assert list(by_term) == list(peaks) == ["ozempic", "monjauro", "wegovy"]
    for term, (week, value) in peaks.items():
        assert by_term[term]["peak_period"] == week
        assert by_term[term]["peak_value"] == value
    assert by_term["ozempic"]["peak_period"] == "2024-05-12"
    assert report["topics"] == ["ozempic", "monjauro", "wegovy"]
    assert report["writer"] == "data_brief"
    assert report["body"].startswith("# ")


def test_report_as_markdown(api_client, auth, report_id):
    response = api_client.get(f"/api/reports/{report_id}?format=md", headers=auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        f'inline; filename="report-{report_id}-'
    )
    heading = response.text.splitlines()[0]
    assert heading.startswith("# ")
    assert "ozempic, monjauro, wegovy" in heading
    for week, _value in peak_weeks_in_export().values():
        assert week in response.text


def test_report_as_html(api_client, auth, report_id):
    response = api_client.get(f"/api/reports/{report_id}?format=html", headers=auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.lstrip().lower().startswith("<!doctype html>")
    for week, _value in peak_weeks_in_export().values():
        assert week in response.text


def test_report_as_pdf(api_client, auth, report_id):
    response = api_client.get(f"/api/reports/{report_id}?format=pdf", headers=auth)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
    )
    assert "2024-05-12" in text


def test_unknown_format_is_named(api_client, auth, report_id):
    response = api_client.get(f"/api/reports/{report_id}?format=docx", headers=auth)

    assert response.status_code == 422
    assert response.json()["field"] == "format"
    assert response.json()["error"].startswith("The field 'format' is invalid: ")


def test_deleted_report_is_404(api_client, auth, report_id, engine):
    with session_scope(engine) as session:
        session.get(Report, report_id).deleted_at = utcnow()

    response = api_client.get(f"/api/reports/{report_id}", headers=auth)

    assert response.status_code == 404
    assert response.json()["error"] == f"Report {report_id} has been deleted."


def test_unknown_report_is_404(api_client, auth):
    response = api_client.get("/api/reports/555", headers=auth)

    assert response.status_code == 404
    assert response.json()["error"] == (
        "There is no report 555. It may have been typed wrongly."
    )
