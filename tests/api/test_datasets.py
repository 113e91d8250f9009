"""POST and GET /api/datasets: real exports in, the importer's refusals out."""

from __future__ import annotations

from generation.datasets import load_dataset
from generation.trends.samples import SAMPLES_DIR

WEEKLY_EXPORT = SAMPLES_DIR / "trends_multitimeline_weekly_3terms_us_5y.csv"
REGION_EXPORT = SAMPLES_DIR / "trends_geomap_us_states_3terms_percent_lt1.csv"


def upload(client, auth, *files, **form):
    parts = [("file", (name, content, "text/csv")) for name, content in files]
    return client.post("/api/datasets", files=parts, data=form, headers=auth)


def test_upload_stores_a_dataset(api_client, auth):
    response = upload(
        api_client,
        auth,
        ("multiTimeline.csv", WEEKLY_EXPORT.read_bytes()),
        name="GLP-1 drugs",
    )

    assert response.status_code == 201
    body = response.json()
    dataset_id = body["dataset_id"]
    assert response.headers["Location"] == (
        f"http://testserver/api/datasets/{dataset_id}"
    )
    assert body["name"] == "GLP-1 drugs"
    assert body["terms"] == ["ozempic", "monjauro", "wegovy"]
    assert body["source"] == "file"
    assert body["provenance"] == "Google Trends CSV export 'multiTimeline.csv'"
    assert body["summary"]["granularity"] == "weekly"
    assert body["summary"]["period_start"] == "2020-11-22"
    assert body["summary"]["period_end"] == "2025-11-23"
    assert body["summary"]["points"] == 262
    assert load_dataset(dataset_id).terms == body["terms"]


def test_get_dataset_returns_terms_and_summary(api_client, auth):
    created = upload(
        api_client, auth, ("multiTimeline.csv", WEEKLY_EXPORT.read_bytes())
    ).json()

    response = api_client.get(f"/api/datasets/{created['dataset_id']}", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["terms"] == ["ozempic", "monjauro", "wegovy"]
    assert body["description"] == (
        "Interest over time for ozempic, monjauro and wegovy, weekly, 2020-11-22 "
        "to 2025-11-23, United States"
    )


def test_upload_of_two_exports_combines_them(api_client, auth):
    response = upload(
        api_client,
        auth,
        ("multiTimeline.csv", WEEKLY_EXPORT.read_bytes()),
        ("geoMap.csv", REGION_EXPORT.read_bytes()),
    )

    assert response.status_code == 201
    summary = response.json()["summary"]
    assert summary["points"] == 262
    assert summary["regions"] > 40
    assert summary["region_resolution"] == "REGION"


def test_same_upload_twice_returns_the_same_dataset(api_client, auth):
    content = WEEKLY_EXPORT.read_bytes()

    first = upload(api_client, auth, ("a.csv", content)).json()
    second = upload(api_client, auth, ("a.csv", content)).json()

    assert second["dataset_id"] == first["dataset_id"]


def test_html_upload_is_400_with_sentence(api_client, auth):
    page = b"<!DOCTYPE html><html><head><title>Google Trends</title></head></html>"

    response = upload(api_client, auth, ("trends.csv", page))

    assert response.status_code == 400
    assert response.json() == {
        "error": "The file 'trends.csv' is a web page (HTML), not a CSV file, so "
        "use the download button of a Google Trends chart instead of saving the "
        "page.",
        "field": None,
    }


def test_file_that_is_not_csv_is_415(api_client, auth):
    response = upload(api_client, auth, ("trends.xlsx", b"PK\x03\x04 workbook"))

    assert response.status_code == 415
    assert response.json()["error"] == (
        "The file 'trends.xlsx' is not a CSV file; upload the CSV that the "
        "download button of a Google Trends chart saves."
    )


def test_json_body_instead_of_a_form_is_415(api_client, auth):
    response = api_client.post(
        "/api/datasets", json={"csv": "Week,pizza"}, headers=auth
    )

    assert response.status_code == 415
    assert response.json()["error"] == (
        "Send the Google Trends export as multipart/form-data, with the CSV file "
        "in the field 'file'."
    )


def test_form_without_a_file_is_415(api_client, auth):
    response = api_client.post(
        "/api/datasets", files={"name": (None, "no file")}, headers=auth
    )

    assert response.status_code == 415
    assert response.json()["error"].startswith("The form has no file in the field")


def test_more_than_five_files_is_400(api_client, auth):
    content = WEEKLY_EXPORT.read_bytes()
    files = [(f"part-{number}.csv", content) for number in range(6)]

    response = upload(api_client, auth, *files)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "The upload could not be read as a form (Too many files. Maximum number "
        "of files is 5.); send at most 5 CSV files in the field 'file'."
    )


def test_unknown_dataset_is_404(api_client, auth):
    response = api_client.get("/api/datasets/31", headers=auth)

    assert response.status_code == 404
    assert response.json()["error"] == "No trends dataset has id 31."
