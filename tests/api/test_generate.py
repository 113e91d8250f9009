"""POST /api/generate: a job at once, the form's dedup rule, readable refusals."""

from __future__ import annotations

import pytest

from generation.models import JobStatus
from generation.queries import get_job


def test_generate_returns_202_with_the_job_to_poll(api_client, auth, dataset_id):
    body = {"dataset_id": dataset_id, "topics": ["ozempic"], "writer": "data_brief"}

    response = api_client.post("/api/generate", json=body, headers=auth)

    assert response.status_code == 202
    reply = response.json()
    assert reply["created"] is True
    assert reply["status"] in ("queued", "running", "succeeded")
    assert reply["status_url"] == f"http://testserver/api/status/{reply['job_id']}"
    job = get_job(reply["job_id"])
    assert job.dataset_id == dataset_id
    assert job.request["topics"] == ["ozempic"]


def test_repeat_request_returns_same_job_with_200(api_client, auth, dataset_id):
    body = {"dataset_id": dataset_id, "topics": ["ozempic", "wegovy"]}
    first = api_client.post("/api/generate", json=body, headers=auth)

    # The same request with the topics in another order is the same request.
    repeat = {"dataset_id": dataset_id, "topics": ["Wegovy", "ozempic"]}
    second = api_client.post("/api/generate", json=repeat, headers=auth)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["job_id"] == first.json()["job_id"]
    assert second.json()["created"] is False


def test_generate_from_samples_runs_to_a_report(api_client, auth, runner):
    body = {"samples": ["weight-loss-drugs-us"], "topics": ["wegovy"]}

    reply = api_client.post("/api/generate", json=body, headers=auth).json()
    job = runner.wait(reply["job_id"], timeout=30)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.report_id is not None


def test_six_topics_for_a_live_query_are_rejected(api_client, auth):
    topics = ["ozempic", "wegovy", "mounjaro", "zepbound", "saxenda", "rybelsus"]
    body = {"topics": topics, "trends_query": {"terms": topics[:5]}}

    response = api_client.post("/api/generate", json=body, headers=auth)

    assert response.status_code == 422
    assert response.json() == {
        "error": "6 topics were given with a live trends query; Google Trends "
        "compares at most 5 terms at once. Remove 1 topic.",
        "field": "topics",
    }


def test_six_query_terms_are_rejected(api_client, auth):
    terms = ["ozempic", "wegovy", "mounjaro", "zepbound", "saxenda", "rybelsus"]

    response = api_client.post(
        "/api/generate", json={"trends_query": {"terms": terms}}, headers=auth
    )

    assert response.status_code == 422
    assert response.json()["field"] == "trends_query.terms"
    assert response.json()["error"] == (
        "6 terms were given; Google Trends compares at most 5 at once. Remove 1 term."
    )


def test_more_topics_than_the_engine_allows_are_rejected(api_client, auth, dataset_id):
    topics = [f"topic {number}" for number in range(26)]

    response = api_client.post(
        "/api/generate", json={"dataset_id": dataset_id, "topics": topics}, headers=auth
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "26 topics were given; the limit is 25. Remove some topics.",
        "field": "topics",
    }


def test_bad_json_is_rejected_with_a_sentence(api_client, auth):
    response = api_client.post(
        "/api/generate",
        content=b'{"topics": ["ozempic",]}',
        headers={**auth, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert response.json() == {
        "error": "The request body is not valid JSON (Expecting value at "
        "character 23). Send one JSON object.",
        "field": None,
    }


def test_body_that_is_not_an_object_is_rejected(api_client, auth):
    response = api_client.post("/api/generate", json=["ozempic"], headers=auth)

    assert response.status_code == 422
    assert response.json()["error"].startswith(
        "The request body must be one JSON object with the request fields"
    )


@pytest.mark.parametrize(
    ("body", "field", "error"),
    [
        (
            {"topik": ["ozempic"], "samples": ["weight-loss-drugs-us"]},
            "topik",
            (
                "'topik' is not a field of this request; check its spelling. "
                "See /api/docs for the routes and their fields."
            ),
        ),
        (
            {"samples": ["weight-loss-drugs-us"], "report_type": "novel"},
            "report_type",
            (
                "The field 'report_type' is invalid: Input should be 'briefing', "
                "'market_opportunity', 'content_plan' or 'competitor_comparison'."
            ),
        ),
        (
            {"samples": ["weight-loss-drugs-us"], "topics": "ozempic"},
            "topics",
            "The field 'topics' is invalid: Input should be a valid list.",
        ),
        (
            {"samples": ["weight-loss-drugs-us"], "topics": ["x" * 101]},
            "topics",
            (
                "A topic is 101 characters long; the limit is 100. Shorten it to a "
                "search term."
            ),
        ),
        (
            {"samples": ["weight-loss-drugs-us"], "writer": "shakespeare"},
            "writer",
            "There is no writer called 'shakespeare'. Choose one of: ",
        ),
        (
            {"dataset_id": 999},
            "dataset_id",
            (
                "No trends dataset has id 999; upload the export with POST "
                "/api/datasets and use the dataset_id it returns."
            ),
        ),
        (
            {"samples": ["no-such-sample"]},
            "samples",
            "No bundled sample is called 'no-such-sample', so choose one of: ",
        ),
        (
            {"trends_query": {"terms": ["ozempic"], "geo": "ZZ"}},
            "trends_query.geo",
            "'ZZ' is not a region code Google Trends knows; ",
        ),
        (
            {"topics": ["ozempic"]},
            None,
            (
                "The request names no trends data: give dataset_id (an id from POST "
                "/api/datasets), samples (names of bundled samples) or trends_query "
                "(a live Google Trends query)."
            ),
        ),
    ],
)
def test_invalid_fields_are_named(api_client, auth, body, field, error):
    response = api_client.post("/api/generate", json=body, headers=auth)

    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["error"].startswith(error)


def test_rejected_request_creates_no_job(api_client, auth):
    api_client.post("/api/generate", json={"dataset_id": 999}, headers=auth)

    page = api_client.get("/api/jobs", headers=auth).json()

    assert page["jobs"] == []


def test_a_dataset_id_too_large_for_the_database_is_a_422(api_client, auth):
    body = {"dataset_id": 99999999999999999999999}
    response = api_client.post("/api/generate", json=body, headers=auth)

    assert response.status_code == 422
    assert response.json()["field"] == "dataset_id"
    assert "less than or equal to 9223372036854775807" in response.json()["error"]
