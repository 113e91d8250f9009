"""The one interface pages, jobs and the command line use for live trends.

Each call reads the database cache first, asks Google Trends only when the
cached response has expired, and falls back to the expired one (flagged
stale, with its age) when Google refuses or fails. Identical calls that run
at the same time in this process share one upstream request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from generation.config import Settings, get_settings
from generation.db import get_engine
from generation.errors import TrendsUnavailable
from generation.models import Category
from generation.trends.base import TrendsData
from generation.trends.cache import (
    SUGGESTIONS_TTL,
    TRENDING_TTL,
    CachedAnswer,
    read_cache,
    ttl_for_timeframe,
    write_cache,
)
from generation.trends.live import LiveTrendsSource, Suggestion
from generation.trends.query import TrendsQuery, query_from_dict
from generation.trends.trending import (
    TrendingSearch,
    fetch_trending_now,
    validate_trending_geo,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class TrendsResult:
    """Trends data and where it came from.

    ``stale`` is True when the live call failed and an expired cache entry
    was used; ``notice`` then holds the failure sentence. ``age_seconds`` is
    the time since the data was fetched from Google (0 for a live response).
    """

    data: TrendsData
    stale: bool
    age_seconds: float
    from_cache: bool
    notice: str = ""


@dataclass
class TrendingResult:
    """Trending searches of one country, with the same freshness flags."""

    searches: list[TrendingSearch]
    geo: str
    stale: bool
    age_seconds: float
    from_cache: bool
    notice: str = ""


class SingleFlight:
    """Runs one call per key at a time; concurrent callers share its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, Future[Any]] = {}

    def run(self, key: str, call: Callable[[], T]) -> T:
        with self._lock:
            future = self._running.get(key)
            leader = future is None
            if future is None:
                future = Future()
                self._running[key] = future
        if not leader:
            return future.result()
        try:
            result = call()
        except BaseException as error:
            future.set_exception(error)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]


_single_flight = SingleFlight()


def get_trends(
    query: TrendsQuery | Mapping[str, Any],
    *,
    engine: Engine | None = None,
    allow_stale: bool = True,
    settings: Settings | None = None,
    source: LiveTrendsSource | None = None,
) -> TrendsResult:
    """Return trends data for ``query``: cached if fresh, else live.

    A dict (such as a request's ``trends_query``) is validated first and
    raises ``InvalidRequest`` before any request. Raises ``NoTrendsData`` when
    Google has too little data, and ``TrendsUnavailable``/``TrendsRateLimited``
    when the live call fails and no cached copy (or ``allow_stale=False``)
    exists.
    """
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    if not isinstance(query, TrendsQuery):
        query = query_from_dict(query, known_categories=_category_ids(engine))
    source = source or LiveTrendsSource(settings)
    key = cache_key("interest", query.to_dict(), settings)

    cached = read_cache(engine, key)
    if cached is not None and cached.fresh:
        return _result_from_cache(cached, stale=False)

    def refresh() -> TrendsResult:
        # Another caller may have filled the cache while this one waited.
        latest = read_cache(engine, key)
        if latest is not None and latest.fresh:
            return _result_from_cache(latest, stale=False)
        try:
            data = source.fetch(query)
        except TrendsUnavailable as error:
            if allow_stale and latest is not None:
                logger.warning("Using cached trends after: %s", error.message)
                return _result_from_cache(latest, stale=True, notice=error.message)
            raise
        write_cache(
            engine,
            key,
            kind="interest",
            request=query.to_dict(),
            payload=data.to_json_dict(),
            ttl=ttl_for_timeframe(query.timeframe),
            fetched_at=data.fetched_at,
        )
        return TrendsResult(data=data, stale=False, age_seconds=0.0, from_cache=False)

    return _single_flight.run(f"{key}:{allow_stale}", refresh)


def suggest(
    word: str,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    source: LiveTrendsSource | None = None,
) -> list[Suggestion]:
    """Return Google's autocomplete topics for ``word``, cached for a week.

    Falls back to an expired cached list when the live call fails; raises
    ``TrendsUnavailable`` when there is none.
    """
    text = " ".join(word.split())
    if not text:
        return []
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    source = source or LiveTrendsSource(settings)
    request = {"word": text.casefold()}
    key = cache_key("suggestions", request, settings)

    def fetch() -> list[dict[str, str]]:
        return [vars(item) for item in source.suggest(text)]

    payload, _cached, _notice = _cached_or_live(
        engine, key, "suggestions", request, SUGGESTIONS_TTL, fetch
    )
    return [Suggestion(**item) for item in payload]


def trending_now(
    geo: str = "",
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> TrendingResult:
    """Return today's trending searches for a country (default TRENDS_GEO).

    Cached for a quarter of an hour; an expired list is returned (stale) when
    the feed fails, and ``TrendsUnavailable`` is raised when there is none.
    """
    settings = settings or get_settings()
    code = validate_trending_geo(geo or settings.trends_geo)
    engine = engine or get_engine(settings.database_url)
    request = {"geo": code}
    key = cache_key("trending", request, settings)

    def fetch() -> list[dict[str, Any]]:
        searches = fetch_trending_now(code, settings=settings)
        return [search.to_json_dict() for search in searches]

    payload, cached, notice = _cached_or_live(
        engine, key, "trending", request, TRENDING_TTL, fetch
    )
    return TrendingResult(
        searches=[TrendingSearch.from_json_dict(item) for item in payload],
        geo=code,
        stale=bool(notice),
        age_seconds=cached.age_seconds if cached else 0.0,
        from_cache=cached is not None,
        notice=notice,
    )


def cache_key(kind: str, request: Mapping[str, Any], settings: Settings) -> str:
    """Return the cache key of a request under the current Trends settings.

    The base URL, language and time zone change Google's response (region
    names, period boundaries), so they are part of the key.
    """
    text = json.dumps(
        {
            "kind": kind,
            "request": dict(request),
            "base_url": settings.trends_base_url.rstrip("/"),
            "hl": settings.trends_hl,
            "tz": settings.trends_tz,
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return f"{kind}:{hashlib.sha256(text.encode()).hexdigest()}"


def describe_age(seconds: float) -> str:
    """Return an age such as '40 seconds', '5 minutes', '3 hours' or '2 days'."""
    if seconds < 90:
        return f"{round(seconds)} seconds"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} minutes"
    if seconds < 36 * 3600:
        return f"{round(seconds / 3600)} hours"
    return f"{round(seconds / 86400)} days"


def _cached_or_live(
    engine: Engine,
    key: str,
    kind: str,
    request: dict[str, Any],
    ttl: Any,
    fetch: Callable[[], Any],
) -> tuple[Any, CachedAnswer | None, str]:
    """Return (payload, cache entry used or None, failure sentence or "")."""
    cached = read_cache(engine, key)
    if cached is not None and cached.fresh:
        return cached.payload, cached, ""

    def refresh() -> tuple[Any, CachedAnswer | None, str]:
        latest = read_cache(engine, key)
        if latest is not None and latest.fresh:
            return latest.payload, latest, ""
        try:
            payload = fetch()
        except TrendsUnavailable as error:
            if latest is None:
                raise
            logger.warning("Using cached %s after: %s", kind, error.message)
            return latest.payload, latest, error.message
        write_cache(engine, key, kind=kind, request=request, payload=payload, ttl=ttl)
        return payload, None, ""

    return _single_flight.run(key, refresh)


def _result_from_cache(
    cached: CachedAnswer, *, stale: bool, notice: str = ""
) -> TrendsResult:
    data = TrendsData.from_json_dict(cached.payload)
    data.source = "cache"
    # The entry's time is the one its age and freshness are counted from.
    data.fetched_at = cached.fetched_at
    return TrendsResult(
        data=data,
        stale=stale,
        age_seconds=cached.age_seconds,
        from_cache=True,
        notice=notice,
    )


def _category_ids(engine: Engine) -> list[int]:
    try:
        with Session(engine) as session:
            return list(session.exec(select(Category.trends_category_id)).all())
    except SQLAlchemyError as error:
        logger.warning("Could not read categories: %s", error)
        return []
