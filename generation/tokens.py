"""API tokens: created once, stored as a hash, checked on every API request.

A token is ``trk_`` followed by 43 random URL-safe characters (256 bits from
``secrets``). Only its SHA-256 hash and its first characters (the prefix, to
tell tokens apart in a list) are stored. The token itself is shown once, when
it is created. Because the token is random and long, a plain hash is enough:
nobody can guess a token from its hash, so no slow password hash is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, col, select

from generation.db import session_scope
from generation.errors import InvalidRequest, NotFound, UserFacingError
from generation.models import utcnow
from generation.requests import clean_text

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "trk_"
# Characters of the token kept in clear to tell tokens apart in a list.
SHOWN_PREFIX_CHARS = 12
MAX_NAME_CHARS = 100
# The last-used time is written at most this often per token, so polling
# clients do not turn every status read into a database write.
LAST_USED_RESOLUTION = timedelta(seconds=30)


CREATE_HINT = (
    "create a token in Settings or with "
    "'python -m generation tokens create --name NAME'"
)


class InvalidToken(UserFacingError):
    """A request's API token is missing, unknown or revoked."""


class ApiToken(SQLModel, table=True):
    """An API token: its name, the hash of its secret and when it was used."""

    id: int | None = Field(default=None, primary_key=True)
    name: str
    prefix: str = Field(index=True)
    token_hash: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewToken:
    """A token just created; ``secret`` is the only copy of the token."""

    id: int
    name: str
    prefix: str
    secret: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(name: str, *, engine: Engine | None = None) -> NewToken:
    """Store a new token under ``name`` and return it with its secret."""
    name = " ".join(clean_text(name).split())
    if not name:
        raise InvalidRequest(
            "A token needs a name, such as the program that will use it.",
            field="name",
        )
    if len(name) > MAX_NAME_CHARS:
        raise InvalidRequest(
            f"The token name is {len(name)} characters long; the limit is "
            f"{MAX_NAME_CHARS}. Shorten it.",
            field="name",
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name, prefix=secret[:SHOWN_PREFIX_CHARS], token_hash=hash_token(secret)
    )
    with session_scope(engine) as session:
        session.add(row)
        session.flush()
        token_id = row.id
    assert token_id is not None
    logger.info("API token %s (%s) created", token_id, name)
    return NewToken(id=token_id, name=name, prefix=row.prefix, secret=secret)


def list_tokens(
    *, include_revoked: bool = True, engine: Engine | None = None
) -> list[ApiToken]:
    """Return the tokens, newest first; their secrets are not stored."""
    statement = select(ApiToken).order_by(col(ApiToken.id).desc())
    if not include_revoked:
        statement = statement.where(col(ApiToken.revoked_at).is_(None))
    with session_scope(engine) as session:
        return list(session.exec(statement).all())


def revoke_token(token_id: int, *, engine: Engine | None = None) -> ApiToken:
    """Mark a token revoked so every later request with it is rejected.

    Revoking a revoked token changes nothing. Raises ``NotFound``.
    """
    with session_scope(engine) as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(
                f"There is no API token {token_id}. List the tokens to see their ids."
            )
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            session.add(row)
            logger.info("API token %s (%s) revoked", token_id, row.name)
        return row


def authenticate_token(token: str, *, engine: Engine | None = None) -> ApiToken:
    """Return the active token row matching ``token``; raises ``InvalidToken``.

    Rows are found by the prefix kept in clear, then the hashes are compared
    in constant time. A match refreshes the token's last-used time.
    """
    match = None
    if token.startswith(TOKEN_PREFIX) and len(token) > SHOWN_PREFIX_CHARS:
        presented = hash_token(token)
        with session_scope(engine) as session:
            candidates = session.exec(
                select(ApiToken).where(ApiToken.prefix == token[:SHOWN_PREFIX_CHARS])
            ).all()
        for row in candidates:
            if hmac.compare_digest(row.token_hash, presented):
                match = row
    if match is None:
        raise InvalidToken(f"The API token is not valid; {CREATE_HINT}.")
    if match.revoked_at is not None:
        raise InvalidToken(
            f"The API token '{match.name}' has been revoked; {CREATE_HINT}."
        )
    _touch(match, engine)
    return match


def _touch(row: ApiToken, engine: Engine | None) -> None:
    now = utcnow()
    last_used = row.last_used_at
    if last_used is not None and last_used.tzinfo is None:
        # SQLite returns naive datetimes; they were written in UTC.
        last_used = last_used.replace(tzinfo=now.tzinfo)
    if last_used is not None and now - last_used < LAST_USED_RESOLUTION:
        return
    with session_scope(engine) as session:
        session.execute(
            update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
        )
    row.last_used_at = now
