"""``python -m generation tokens create|list|revoke``, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from generation import tokens

REPO_ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generation", *args],
        check=False,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_create_prints_the_token_once_and_it_authenticates(engine):
    created = run_cli("tokens", "create", "--name", "nightly export")

    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("trk_")
    assert "shown only now" in created.stderr
    row = tokens.authenticate_token(secret, engine=engine)
    assert row.name == "nightly export"


def test_list_shows_last_use_and_never_the_token(engine):
    secret = run_cli("tokens", "create", "--name", "cron").stdout.strip()
    tokens.authenticate_token(secret, engine=engine)

    listed = run_cli("tokens", "list", "--json")

    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [row["name"] for row in rows] == ["cron"]
    assert rows[0]["last_used_at"] is not None
    assert rows[0]["revoked_at"] is None
    assert rows[0]["prefix"] == secret[: tokens.SHOWN_PREFIX_CHARS]
    assert secret not in listed.stdout


def test_revoke_stops_the_token(engine):
    created = json.loads(
        run_cli("tokens", "create", "--name", "notebook", "--json").stdout
    )

    revoked = run_cli("tokens", "revoke", str(created["id"]))

    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == (
        f"Token {created['id']} 'notebook' is revoked; requests with it now get 401."
    )
    listed = run_cli("tokens", "list").stdout
    assert "revoked" in listed


def test_revoke_unknown_id_fails():
    revoked = run_cli("tokens", "revoke", "12")

    assert revoked.returncode == 2
    assert revoked.stderr.strip() == (
        "error: There is no API token 12. List the tokens to see their ids."
    )


def test_create_without_a_name_is_rejected():
    created = run_cli("tokens", "create", "--name", "  ")

    assert created.returncode == 2
    assert created.stderr.strip() == (
        "error: A token needs a name, such as the program that will use it."
    )
