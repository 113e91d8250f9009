"""Clocks: the source of the current time for the scheduler, watchlists and webhooks.

Code that decides whether something is due takes a ``Clock`` (or a ``now``
argument), so tests set the time instead of waiting for it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from generation.models import utcnow


class Clock(Protocol):
    def now(self) -> datetime:
        """Return the current time as an aware UTC datetime."""
        ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return utcnow()


class ManualClock:
    """A clock that moves only when a test sets or advances it."""

    def __init__(self, start: datetime) -> None:
        self._now = as_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = as_utc(moment)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


SYSTEM_CLOCK = SystemClock()


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as an aware UTC datetime.

    SQLite hands back stored datetimes without a time zone; every datetime
    this package stores is UTC, so a naive one is read as UTC.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
