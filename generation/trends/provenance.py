"""Sentences that state where trends data came from, for charts and reports.

An analyst reading a chart or a report needs to know whether the numbers are
live, a cached copy (and how old), an uploaded export or a bundled sample,
which query produced them, and whether the last period is partial.
"""

from __future__ import annotations

import logging
from datetime import datetime

from generation.errors import NotFound
from generation.models import utcnow
from generation.trends import samples
from generation.trends.base import TrendsData
from generation.trends.query import PROPERTIES
from generation.trends.service import describe_age
from generation.trends.stitching import describe_stitching

logger = logging.getLogger(__name__)


def describe_data_quality(data: TrendsData, *, now: datetime | None = None) -> str:
    """Return the origin, the query, the partial period and any stitching."""
    sentences = [
        f"Source: {describe_origin(data, now=now)}.",
        f"Query: {describe_query(data)}.",
        describe_partial_period(data),
        describe_stitching(data),
    ]
    return " ".join(sentence for sentence in sentences if sentence)


def describe_origin(data: TrendsData, *, now: datetime | None = None) -> str:
    """Return where the data came from, such as "a bundled sample ...".

    Cached data is described with its age at ``now`` (default: the current
    UTC time), counted from when Google Trends sent it.
    """
    fetched = (
        f"{data.fetched_at:%Y-%m-%d %H:%M} UTC"
        if data.fetched_at
        else "at an unknown time"
    )
    if data.source == "live":
        return f"live from Google Trends, fetched {fetched}"
    if data.source == "cache":
        if data.fetched_at is None:
            return "the trends cache, from a live Google Trends request"
        age = ((now or utcnow()) - data.fetched_at).total_seconds()
        return (
            f"the trends cache, from a live Google Trends request made "
            f"{describe_age(max(0.0, age))} ago ({fetched})"
        )
    if data.source == "sample":
        return _describe_samples(data)
    return _describe_files(data)


def describe_query(data: TrendsData) -> str:
    """Return the query behind the data: terms, period, region and the rest.

    A live query reads "pizza, bagel; today 5-y; worldwide; All categories;
    web search". An export has no query, so its terms, dates and region are
    given as far as the file names them.
    """
    terms = ", ".join(data.terms) or "no terms"
    if data.source in ("live", "cache"):
        property_name = next(
            (
                name
                for name, gprop in PROPERTIES.items()
                if gprop == data.query.get("gprop", "")
            ),
            "web",
        )
        parts = [
            terms,
            data.timeframe,
            data.geo or "worldwide",
            data.category or "All categories",
            f"{property_name} search",
        ]
        return "; ".join(part for part in parts if part)
    parts = [terms]
    period = data.period
    if period is not None:
        parts.append(f"{period[0]:%Y-%m-%d} to {period[1]:%Y-%m-%d}")
    elif data.timeframe:
        parts.append(data.timeframe)
    parts.append(data.geo or "region not stated in the export")
    if data.category:
        parts.append(data.category)
    return "; ".join(parts)


def describe_partial_period(data: TrendsData) -> str:
    """Return a sentence on whether the last period of the series is partial."""
    if data.interest_over_time is None or data.interest_over_time.empty:
        return ""
    if data.partial_last:
        return (
            "The last period is partial: it was not over when the data was "
            "fetched, so growth figures leave it out."
        )
    if data.source in ("file", "sample"):
        return (
            "Google Trends exports do not mark a partial last period, so the "
            "last period may be incomplete if the export ends on its download day."
        )
    return "The last period is complete."


def _describe_samples(data: TrendsData) -> str:
    names = data.query.get("samples") or []
    described = []
    for name in names:
        try:
            sample = samples.get_sample(name)
        except NotFound:
            logger.warning("Trends data names an unknown sample %r", name)
            described.append(f"'{name}'")
            continue
        described.append(f"'{sample.title}' (file {sample.filename})")
    if not described:
        return f"a bundled sample ({data.provenance or 'file not recorded'})"
    noun = "sample" if len(described) == 1 else "samples"
    return f"the bundled {noun} " + " and ".join(described)


def _describe_files(data: TrendsData) -> str:
    files = [
        item.get("filename", "")
        for item in data.query.get("files") or []
        if isinstance(item, dict)
    ]
    named = [f"'{name}'" for name in files if name]
    if not named:
        return data.provenance or "an imported Google Trends CSV export"
    noun = "export" if len(named) == 1 else "exports"
    return f"the Google Trends CSV {noun} " + " and ".join(named)
