"""OpenAPI documentation under /api, unknown routes, and the health check."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.testclient import TestClient

from generation.api.application import api_routes
from generation.config import load_settings
from generation.models import JobStatus


def test_docs_page_loads_the_schema_under_api(api_client):
    response = api_client.get("/api/docs")

    assert response.status_code == 200
    assert "'/api/openapi.json'" in response.text or '"/api/openapi.json"' in (
        response.text
    )


def test_docs_page_loads_its_scripts_from_this_server_not_a_cdn(api_client):
    page = api_client.get("/api/docs").text

    assert "cdn.jsdelivr.net" not in page
    assert "/api/docs-assets/swagger-ui-bundle.js" in page
    script = api_client.get("/api/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
    assert api_client.get("/api/docs-assets/swagger-ui.css").status_code == 200


def test_schema_lists_every_route_and_the_bearer_scheme(api_client):
    schema = api_client.get("/api/openapi.json").json()

    assert schema["servers"] == [{"url": "/api"}]
    assert set(schema["paths"]) == {
        "/generate",
        "/status/{job_id}",
        "/jobs",
        "/jobs/{job_id}/cancel",
        "/jobs/{job_id}/outline",
        "/jobs/{job_id}/retry",
        "/datasets",
        "/datasets/{dataset_id}",
        "/reports/{report_id}",
        "/health",
    }
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    generate = schema["paths"]["/generate"]["post"]
    assert generate["security"] == [{"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
    body_schema = schema["components"]["schemas"]["GenerateBody"]
    assert {"topics", "dataset_id", "samples", "trends_query"} <= set(
        body_schema["properties"]
    )
    upload = schema["paths"]["/datasets"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]


def test_unknown_route_is_404_json(api_client, auth):
    response = api_client.get("/api/reportz/1", headers=auth)

    assert response.status_code == 404
    assert response.json() == {
        "error": "There is no API route GET /api/reportz/1. See /api/docs for the "
        "routes and their fields.",
        "field": None,
    }


def test_wrong_method_is_405_json(api_client, auth):
    response = api_client.get("/api/generate", headers=auth)

    assert response.status_code == 405
    assert response.json()["error"] == (
        "/api/generate does not accept GET; use POST. See /api/docs for the "
        "routes and their fields."
    )


def test_health_reports_database_executor_and_queue(api_client, add_job, runner):
    add_job(status=JobStatus.QUEUED)
    add_job(status=JobStatus.QUEUED)
    add_job(status=JobStatus.RUNNING)

    response = api_client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": True,
        "executor": True,
        "workers": runner.workers,
        "queued": 2,
        "running": 1,
        "error": None,
    }


def test_health_is_503_when_the_runner_has_stopped(api_client, runner):
    runner.shutdown()

    response = api_client.get("/api/health")

    assert response.status_code == 503
    assert response.json()["executor"] is False
    assert response.json()["error"] == (
        "The job runner of this process has stopped; restart the app."
    )


def test_health_is_503_when_the_database_is_unreachable(tmp_path):
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a SQLite database file " * 200)
    settings = load_settings({}, DATABASE_URL=f"sqlite:///{broken}")

    def no_runner():
        raise AssertionError("the health check must not start a runner")

    client = TestClient(
        Starlette(routes=api_routes(settings, runner_factory=no_runner))
    )

    response = client.get("/api/health")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": False,
        "executor": False,
        "workers": None,
        "queued": None,
        "running": None,
        "error": "The database does not answer; check DATABASE_URL and the "
        "database server.",
    }
