"""Cache of live Google Trends responses in the database.

Every live response is stored under a hash of its normalised request, with the
time it was fetched and the time it stops being fresh. Fresh entries are used
instead of a request; expired ones are kept, because when Google refuses or
fails, an old response shown with its age is more use than none.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import JSON, Column, delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Field, Session, SQLModel

from generation.models import utcnow

logger = logging.getLogger(__name__)

# How long a live response stays fresh, per timeframe: the hour-scale
# timeframes are refetched within the hour, the multi-year ones once a day.
TIMEFRAME_TTLS: Final = {
    "now 1-H": timedelta(hours=1),
    "now 4-H": timedelta(minutes=30),
    "now 1-d": timedelta(minutes=30),
    "now 7-d": timedelta(hours=1),
    "today 1-m": timedelta(hours=6),
    "today 3-m": timedelta(hours=6),
    "today 12-m": timedelta(hours=12),
    "today 5-y": timedelta(days=1),
    "all": timedelta(days=1),
}
# A fixed date range: its weeks are complete unless it ends in the last days.
DATE_RANGE_TTL: Final = timedelta(days=1)
RECENT_DATE_RANGE_TTL: Final = timedelta(hours=6)
TRENDING_TTL: Final = timedelta(minutes=15)
SUGGESTIONS_TTL: Final = timedelta(days=7)


class TrendsCacheEntry(SQLModel, table=True):
    """One cached response of a trends source (interest, trending, suggestions)."""

    __tablename__ = "trends_cache"

    key: str = Field(primary_key=True)
    kind: str = Field(index=True)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    payload: Any = Field(default=None, sa_column=Column(JSON))
    fetched_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(default_factory=utcnow, index=True)


@dataclass
class CachedAnswer:
    """A cache entry as read, with its freshness at the time of reading."""

    payload: Any
    fetched_at: datetime
    expires_at: datetime
    read_at: datetime

    @property
    def fresh(self) -> bool:
        return self.read_at < self.expires_at

    @property
    def age_seconds(self) -> float:
        return max(0.0, (self.read_at - self.fetched_at).total_seconds())


def ttl_for_timeframe(timeframe: str, *, now: datetime | None = None) -> timedelta:
    """Return how long a live response for ``timeframe`` stays fresh."""
    if timeframe in TIMEFRAME_TTLS:
        return TIMEFRAME_TTLS[timeframe]
    end_text = timeframe.split(" ")[-1]
    try:
        end = datetime.fromisoformat(end_text)
    except ValueError:
        return RECENT_DATE_RANGE_TTL
    today = (now or utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
    if today - end < timedelta(days=3):
        return RECENT_DATE_RANGE_TTL
    return DATE_RANGE_TTL


def read_cache(
    engine: Engine, key: str, *, now: datetime | None = None
) -> CachedAnswer | None:
    """Return the entry stored under ``key``, fresh or not; None if absent.

    A database error is logged and read as a miss, so a broken cache never
    stops a live request.
    """
    try:
        with Session(engine) as session:
            entry = session.get(TrendsCacheEntry, key)
            if entry is None:
                return None
            return CachedAnswer(
                payload=entry.payload,
                fetched_at=entry.fetched_at,
                expires_at=entry.expires_at,
                read_at=now or utcnow(),
            )
    except SQLAlchemyError as error:
        logger.warning("Could not read the trends cache: %s", error)
        return None


def write_cache(
    engine: Engine,
    key: str,
    *,
    kind: str,
    request: dict[str, Any],
    payload: Any,
    ttl: timedelta,
    fetched_at: datetime | None = None,
) -> None:
    """Store ``payload`` under ``key``, replacing an older entry.

    A database error is logged, not raised: the live response is still good.
    """
    fetched_at = fetched_at or utcnow()
    entry = TrendsCacheEntry(
        key=key,
        kind=kind,
        request=request,
        payload=payload,
        fetched_at=fetched_at,
        expires_at=fetched_at + ttl,
    )
    try:
        with Session(engine) as session:
            session.merge(entry)
            session.commit()
    except IntegrityError:
        # Another process inserted the same key between our read and write;
        # its response is as new as ours.
        logger.debug("Trends cache entry %s was written concurrently", key)
    except SQLAlchemyError as error:
        logger.warning("Could not write the trends cache: %s", error)


def prune_cache(engine: Engine, *, older_than: timedelta) -> int:
    """Delete entries fetched longer ago than ``older_than``; return how many."""
    cutoff = utcnow() - older_than
    with Session(engine) as session:
        result = session.exec(  # type: ignore[call-overload]
            delete(TrendsCacheEntry).where(TrendsCacheEntry.fetched_at < cutoff)
        )
        session.commit()
        return int(result.rowcount or 0)
