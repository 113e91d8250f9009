"""API tokens: shown once, stored hashed, revocable, with a last-used time."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import Session, select

from generation import tokens
from generation.errors import InvalidRequest, NotFound


def test_create_stores_only_a_hash(engine):
    created = tokens.create_token("  CMS  export ", engine=engine)

    with Session(engine) as session:
        row = session.exec(select(tokens.ApiToken)).one()
    assert created.secret.startswith("trk_")
    assert len(created.secret) >= 40
    assert row.name == "CMS export"
    assert row.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret not in row.model_dump_json()
    assert row.prefix == created.secret[: tokens.SHOWN_PREFIX_CHARS]


def test_two_tokens_differ(engine):
    first = tokens.create_token("one", engine=engine)
    second = tokens.create_token("two", engine=engine)

    assert first.secret != second.secret
    assert [row.name for row in tokens.list_tokens(engine=engine)] == ["two", "one"]


def test_authenticate_returns_the_matching_row(engine):
    created = tokens.create_token("cron", engine=engine)
    tokens.create_token("other", engine=engine)

    row = tokens.authenticate_token(created.secret, engine=engine)

    assert row.id == created.id
    assert row.last_used_at is not None


@pytest.mark.parametrize("presented", ["", "trk_", "not-a-token", "trk_" + "A" * 43])
def test_authenticate_rejects_unknown_tokens(engine, presented):
    tokens.create_token("cron", engine=engine)

    with pytest.raises(tokens.InvalidToken, match="The API token is not valid"):
        tokens.authenticate_token(presented, engine=engine)


def test_revoked_token_no_longer_authenticates(engine):
    created = tokens.create_token("notebook", engine=engine)

    revoked = tokens.revoke_token(created.id, engine=engine)

    assert revoked.revoked_at is not None
    assert not revoked.is_active
    with pytest.raises(tokens.InvalidToken, match="'notebook' has been revoked"):
        tokens.authenticate_token(created.secret, engine=engine)
    active = tokens.list_tokens(include_revoked=False, engine=engine)
    assert active == []


def test_revoke_unknown_token_raises_not_found(engine):
    with pytest.raises(NotFound, match="There is no API token 7"):
        tokens.revoke_token(7, engine=engine)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "A token needs a name"),
        ("x" * 101, "The token name is 101 characters long; the limit is 100"),
    ],
)
def test_create_rejects_bad_names(engine, name, message):
    with pytest.raises(InvalidRequest, match=message) as raised:
        tokens.create_token(name, engine=engine)

    assert raised.value.field == "name"


def test_last_used_is_written_at_most_every_resolution(engine, monkeypatch):
    created = tokens.create_token("poller", engine=engine)
    first = tokens.authenticate_token(created.secret, engine=engine).last_used_at

    second = tokens.authenticate_token(created.secret, engine=engine).last_used_at
    monkeypatch.setattr(tokens, "LAST_USED_RESOLUTION", tokens.timedelta(0))
    third = tokens.authenticate_token(created.secret, engine=engine).last_used_at

    assert second.replace(tzinfo=None) == first.replace(tzinfo=None)
    assert third.replace(tzinfo=None) > first.replace(tzinfo=None)
