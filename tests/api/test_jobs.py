"""Status polling, the job list with its cursor, cancel and retry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from generation.models import JobStatus
from generation.queries import get_job


def test_status_of_a_finished_job(api_client, auth, dataset_id, runner):
    submitted = api_client.post(
        "/api/generate", json={"dataset_id": dataset_id}, headers=auth
    ).json()
    job = runner.wait(submitted["job_id"], timeout=30)

    response = api_client.get(submitted["status_url"], headers=auth)

    assert response.status_code == 200
    status = response.json()
    assert status["status"] == "succeeded"
    assert status["final"] is True
    assert status["progress"] == 100
    assert status["stage"] == "done"
    assert status["error"] is None
    assert status["report_id"] == job.report_id
    assert status["report_url"] == f"http://testserver/api/reports/{job.report_id}"
    assert status["queue_position"] is None
    assert status["dataset_id"] == dataset_id
    assert status["created_at"].endswith("Z")
    assert status["started_at"] <= status["finished_at"]
    assert status["events"] is None


def test_status_with_events_lists_the_stages(api_client, auth, dataset_id, runner):
    submitted = api_client.post(
        "/api/generate", json={"dataset_id": dataset_id}, headers=auth
    ).json()
    runner.wait(submitted["job_id"], timeout=30)

    status = api_client.get(
        f"/api/status/{submitted['job_id']}?events=true", headers=auth
    ).json()

    stages = [event["stage"] for event in status["events"]]
    assert stages[0] == "queued"
    assert stages[-1] == "done"
    assert "write" in stages


def test_status_of_a_failed_job_carries_its_sentence(api_client, auth, add_job):
    job_id = add_job(
        status=JobStatus.FAILED,
        error="No Gemini API key is set; add one in Settings.",
        message="No Gemini API key is set; add one in Settings.",
    )

    status = api_client.get(f"/api/status/{job_id}", headers=auth).json()

    assert status["status"] == "failed"
    assert status["error"] == "No Gemini API key is set; add one in Settings."


def test_queued_job_reports_its_queue_position(api_client, auth, add_job):
    add_job(status=JobStatus.RUNNING)
    first = add_job(status=JobStatus.QUEUED)
    second = add_job(status=JobStatus.QUEUED)

    first_status = api_client.get(f"/api/status/{first}", headers=auth).json()
    second_status = api_client.get(f"/api/status/{second}", headers=auth).json()

    assert first_status["queue_position"] == 1
    assert second_status["queue_position"] == 2
    assert second_status["final"] is False


def test_unknown_job_is_404(api_client, auth):
    response = api_client.get("/api/status/4242", headers=auth)

    assert response.status_code == 404
    assert response.json() == {
        "error": "There is no job 4242. It may have been typed wrongly.",
        "field": None,
    }


@pytest.mark.parametrize(
    ("raw_id", "shown"),
    [
        ("abc", "abc"),
        ("-1", "-1"),
        ("0", "0"),
        ("1%20OR%201=1", "1 OR 1=1"),
        ("1;DROP%20TABLE%20generationjob", "1;DROP TABLE generationjob"),
        ("99999999999999999999", "99999999999999999999"),
    ],
)
def test_malformed_job_ids_are_404(api_client, auth, add_job, raw_id, shown):
    add_job()

    response = api_client.get(f"/api/status/{raw_id}", headers=auth)

    assert response.status_code == 404
    assert response.json()["error"] == (
        f"'{shown}' is not a job id; a job id is a positive whole number."
    )
    assert api_client.get("/api/jobs", headers=auth).json()["jobs"] != []


def test_jobs_listed_newest_first_in_pages(api_client, auth, add_job):
    ids = [add_job() for _ in range(5)]

    pages = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api_client.get("/api/jobs", params=params, headers=auth).json()
        pages.append([job["job_id"] for job in page["jobs"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]]


def test_new_jobs_do_not_shift_later_pages(api_client, auth, add_job):
    ids = [add_job() for _ in range(4)]
    first = api_client.get("/api/jobs?limit=2", headers=auth).json()

    add_job()
    second = api_client.get(
        "/api/jobs", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()

    assert [job["job_id"] for job in second["jobs"]] == [ids[1], ids[0]]


def test_jobs_filtered_by_status(api_client, auth, add_job):
    add_job(status=JobStatus.SUCCEEDED)
    failed = add_job(status=JobStatus.FAILED)
    cancelled = add_job(status=JobStatus.CANCELLED)

    repeated = api_client.get(
        "/api/jobs?status=failed&status=cancelled", headers=auth
    ).json()
    commas = api_client.get("/api/jobs?status=failed,cancelled", headers=auth).json()

    assert [job["job_id"] for job in repeated["jobs"]] == [cancelled, failed]
    assert [job["job_id"] for job in commas["jobs"]] == [cancelled, failed]


def test_jobs_filtered_by_date(api_client, auth, add_job):
    add_job(created_at=datetime(2026, 1, 5, 12, tzinfo=UTC))
    february = add_job(created_at=datetime(2026, 2, 10, 9, tzinfo=UTC))
    add_job(created_at=datetime(2026, 3, 1, 0, tzinfo=UTC))

    page = api_client.get(
        "/api/jobs",
        params={"created_after": "2026-02-01", "created_before": "2026-03-01"},
        headers=auth,
    ).json()

    assert [job["job_id"] for job in page["jobs"]] == [february]


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        (
            "status=done",
            "status",
            (
                "'done' is not a job status; use one of: queued, running, succeeded, "
                "failed, cancelled, interrupted, awaiting_review."
            ),
        ),
        (
            "cursor=bm90LWEtY3Vyc29y",
            "cursor",
            (
                "The cursor is not one this API returned; use the next_cursor of the "
                "previous page, or leave the cursor out to start again."
            ),
        ),
        (
            "limit=1000",
            "limit",
            (
                "The field 'limit' is invalid: Input should be less than or equal "
                "to 100."
            ),
        ),
        ("created_after=last%20week", "created_after", "The field 'created_after'"),
    ],
)
def test_invalid_list_parameters_are_named(api_client, auth, query, field, error):
    response = api_client.get(f"/api/jobs?{query}", headers=auth)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["error"].startswith(error)


def test_cancel_a_queued_job(api_client, auth, add_job):
    job_id = add_job(status=JobStatus.QUEUED)

    response = api_client.post(f"/api/jobs/{job_id}/cancel", headers=auth)

    assert response.status_code == 202
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_requested"] is True
    assert get_job(job_id).status == JobStatus.CANCELLED


def test_cancel_a_finished_job_is_409(api_client, auth, add_job):
    job_id = add_job(status=JobStatus.SUCCEEDED)

    response = api_client.post(f"/api/jobs/{job_id}/cancel", headers=auth)

    assert response.status_code == 409
    assert response.json()["error"] == (
        f"Job {job_id} has already ended (succeeded); there is nothing to cancel."
    )


def test_cancel_unknown_job_is_404(api_client, auth):
    response = api_client.post("/api/jobs/77/cancel", headers=auth)

    assert response.status_code == 404
    assert response.json()["error"] == (
        "There is no job 77. It may have been typed wrongly."
    )


def test_retry_an_ended_job_links_the_new_one(api_client, auth, add_job, runner):
    failed = add_job(status=JobStatus.FAILED, error="The writer stopped.")

    response = api_client.post(f"/api/jobs/{failed}/retry", headers=auth)

    assert response.status_code == 202
    reply = response.json()
    assert reply["retry_of"] == failed
    assert reply["job_id"] != failed
    retried = runner.wait(reply["job_id"], timeout=30)
    assert retried.retry_of == failed
    assert retried.status == JobStatus.SUCCEEDED, retried.error


def test_retry_a_running_job_is_409(api_client, auth, add_job):
    job_id = add_job(status=JobStatus.RUNNING)

    response = api_client.post(f"/api/jobs/{job_id}/retry", headers=auth)

    assert response.status_code == 409
    assert response.json()["error"] == (
        f"Job {job_id} is still running; retry it once it has ended, or cancel "
        "it first."
    )
