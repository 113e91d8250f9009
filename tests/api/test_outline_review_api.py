"""The outline review over HTTP: start with review_outline, read it, approve it.

The real google-genai SDK talks to the local fake Gemini server.
"""

from __future__ import annotations

import pytest

from generation.models import JobStatus
from tests.generation.writers.gemini_fake import (
    FakeGemini,
    outline_then_recorded,
    serve_fake_gemini,
)

WAIT_SECONDS = 30
OUTLINE = (
    "# Weight-loss drug searches\n"
    "## Summary\nThe figures.\n"
    "## Ozempic leads\nPeaks.\n"
    "## What to watch\nBreakouts.\n"
)


@pytest.fixture
def fake_gemini(httpserver, monkeypatch) -> FakeGemini:
    fake = serve_fake_gemini(httpserver, monkeypatch)
    fake.handler(
        outline_then_recorded(
            OUTLINE, {"promptTokenCount": 800, "candidatesTokenCount": 50}
        )
    )
    return fake


def start_reviewed(api_client, auth, runner) -> int:
    response = api_client.post(
        "/api/generate",
        headers=auth,
        json={
            "samples": ["weight-loss-drugs-us"],
            "writer": "gemini",
            "options": {"review_outline": True},
        },
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert runner.wait(job_id, WAIT_SECONDS).status == JobStatus.AWAITING_REVIEW
    return job_id


def test_status_shows_outline_for_review(api_client, auth, runner, fake_gemini):
    job_id = start_reviewed(api_client, auth, runner)

    status = api_client.get(f"/api/status/{job_id}", headers=auth).json()

    assert status["status"] == "awaiting_review"
    assert status["final"] is False
    assert status["outline"].startswith("# Weight-loss drug searches\n\n## Summary")
    assert status["report_id"] is None


def test_approved_outline_written(api_client, auth, runner, fake_gemini):
    job_id = start_reviewed(api_client, auth, runner)
    edited = "# Ozempic only\n## Summary\n## Ozempic by month\n## What to watch\n"

    response = api_client.post(
        f"/api/jobs/{job_id}/outline", headers=auth, json={"outline": edited}
    )
    job = runner.wait(job_id, WAIT_SECONDS)
    report = api_client.get(f"/api/reports/{job.report_id}", headers=auth).json()

    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running", "succeeded")
    assert response.json()["outline"] == edited.strip()
    assert job.status == JobStatus.SUCCEEDED, job.message
    assert report["title"] == "Ozempic only"
    assert "## Ozempic by month" in report["body"]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"outline": "# Title only"}, 422, "needs at least 3"),
        ({"outline": OUTLINE, "extra": 1}, 422, "extra"),
        ({}, 422, "outline"),
    ],
)
def test_invalid_outline_body_is_422(
    api_client, auth, runner, fake_gemini, body, status, error
):
    job_id = start_reviewed(api_client, auth, runner)

    response = api_client.post(f"/api/jobs/{job_id}/outline", headers=auth, json=body)

    assert response.status_code == status
    assert error in response.text
    assert runner.wait(job_id, 0).status == JobStatus.AWAITING_REVIEW


def test_approving_a_finished_job_is_409(api_client, auth, add_job):
    job_id = add_job(status=JobStatus.SUCCEEDED)

    response = api_client.post(
        f"/api/jobs/{job_id}/outline", headers=auth, json={"outline": OUTLINE}
    )

    assert response.status_code == 409
    assert response.json()["error"] == (
        f"Job {job_id} is succeeded, not awaiting_review, so there is no outline "
        "to approve."
    )


def test_approving_unknown_job_is_404(api_client, auth):
    response = api_client.post(
        "/api/jobs/9999/outline", headers=auth, json={"outline": OUTLINE}
    )

    assert response.status_code == 404


def test_review_with_data_brief_is_422(api_client, auth):
    response = api_client.post(
        "/api/generate",
        headers=auth,
        json={
            "samples": ["weight-loss-drugs-us"],
            "writer": "data_brief",
            "options": {"review_outline": True},
        },
    )

    assert response.status_code == 422
    assert response.json()["field"] == "options.review_outline"


def test_second_outline_after_approval_is_409(api_client, auth, runner, fake_gemini):
    job_id = start_reviewed(api_client, auth, runner)
    first = api_client.post(
        f"/api/jobs/{job_id}/outline", headers=auth, json={"outline": OUTLINE}
    )
    other = "# Other\n## Summary\n## Middle\n## What to watch\n"

    second = api_client.post(
        f"/api/jobs/{job_id}/outline", headers=auth, json={"outline": other}
    )

    assert first.status_code == 202
    assert second.status_code == 409
    assert "already approved" in second.json()["error"]
