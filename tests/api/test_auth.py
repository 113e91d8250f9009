"""Access to the API: bearer tokens, revoked tokens, public routes, no leaks."""

from __future__ import annotations

import logging

from generation import tokens


def test_request_without_token_is_rejected(api_client):
    response = api_client.get("/api/jobs")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {
        "error": "This route needs an API token: send the header 'Authorization: "
        "Bearer <token>'; create a token in Settings or with 'python -m "
        "generation tokens create --name NAME'.",
        "field": None,
    }


def test_other_scheme_is_rejected(api_client, new_token):
    response = api_client.get(
        "/api/jobs", headers={"Authorization": f"Basic {new_token.secret}"}
    )

    assert response.status_code == 401
    assert response.json()["error"].startswith("This route needs an API token")


def test_unknown_token_is_rejected(api_client, new_token):
    forged = new_token.secret[:-4] + "AAAA"

    response = api_client.get(
        "/api/jobs", headers={"Authorization": f"Bearer {forged}"}
    )

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert response.json()["error"] == (
        "The API token is not valid; create a token in Settings or with "
        "'python -m generation tokens create --name NAME'."
    )


def test_revoked_token_is_rejected(api_client, auth, new_token, engine):
    assert api_client.get("/api/jobs", headers=auth).status_code == 200

    tokens.revoke_token(new_token.id, engine=engine)
    response = api_client.get("/api/jobs", headers=auth)

    assert response.status_code == 401
    assert response.json()["error"].startswith(
        "The API token 'tests' has been revoked; create a token"
    )


def test_auth_is_checked_before_the_body_is_read(api_client):
    response = api_client.post(
        "/api/generate",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 401


def test_health_and_docs_need_no_token(api_client):
    assert api_client.get("/api/health").status_code == 200
    assert api_client.get("/api/docs").status_code == 200
    assert api_client.get("/api/openapi.json").status_code == 200


def test_request_records_last_used_time(api_client, auth, new_token, engine):
    assert tokens.list_tokens(engine=engine)[0].last_used_at is None

    api_client.get("/api/jobs", headers=auth)

    row = tokens.list_tokens(engine=engine)[0]
    assert row.id == new_token.id
    assert row.last_used_at is not None


def test_token_never_reaches_the_log(api_client, auth, new_token, caplog):
    caplog.set_level(logging.DEBUG)
    forged = {"Authorization": f"Bearer {new_token.secret[:-1]}x"}

    api_client.get("/api/jobs", headers=auth)
    api_client.get("/api/jobs", headers=forged)
    api_client.post("/api/jobs/1/cancel", headers=auth)

    assert caplog.records, "expected the requests to log something"
    assert new_token.secret not in caplog.text
    assert new_token.secret[len(tokens.TOKEN_PREFIX) :] not in caplog.text
