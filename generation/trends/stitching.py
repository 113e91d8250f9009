"""More than five terms on one scale, by chaining requests through an anchor term.

Google Trends compares at most five terms per request and scales each request
on its own: the highest point of the request is 100. Values from two requests
are therefore not comparable. Every request here contains one shared term,
the anchor. The anchor's mean in the first request, divided by its mean in a
later request (over the periods where both are above 0), is the factor that
puts the later request on the first request's scale. Once every request is on
that scale, all values are multiplied again so the highest value is 100.

Each request goes through ``service.get_trends``, so it is validated, cached
and retried like any other. The requests are sent one after another, not at
once, to stay within Google's rate limits.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Final

import pandas as pd
from sqlalchemy.engine import Engine

from generation.config import Settings
from generation.errors import NoTrendsData
from generation.trends import service
from generation.trends.base import RelatedList, TrendsData
from generation.trends.live import LiveTrendsSource
from generation.trends.query import (
    DEFAULT_TIMEFRAME,
    MAX_STITCHED_TERMS,
    MAX_TERMS,
    TrendsQuery,
    validate_query,
    validate_terms,
)
from generation.trends.service import TrendsResult

logger = logging.getLogger(__name__)

# The key of TrendsData.query that marks stitched data and records how.
STITCHED_KEY: Final = "stitched"


@dataclasses.dataclass(frozen=True)
class StitchedQuery:
    """Up to 25 terms and the options every request of the comparison shares."""

    terms: tuple[str, ...]
    # The first request's query; the other requests differ only in their terms.
    options: TrendsQuery

    def request(self, terms: Sequence[str]) -> TrendsQuery:
        """Return the query of one request of the comparison."""
        return dataclasses.replace(self.options, terms=tuple(terms))

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-safe values, with all of its terms."""
        return {**self.options.to_dict(), "terms": list(self.terms)}


def validate_stitched_query(
    terms: Sequence[str] | str,
    timeframe: str = DEFAULT_TIMEFRAME,
    geo: str | None = None,
    category: int | str = 0,
    gprop: str = "",
    resolution: str | None = None,
    *,
    known_categories: Iterable[int] = (),
    today: date | None = None,
) -> StitchedQuery:
    """Return a comparison of up to 25 terms, or raise ``InvalidRequest``.

    The options are checked as ``validate_query`` checks them, before any
    request is sent.
    """
    clean_terms = validate_terms(terms, max_terms=MAX_STITCHED_TERMS)
    options = validate_query(
        clean_terms[:MAX_TERMS],
        timeframe,
        geo=geo,
        category=category,
        gprop=gprop,
        resolution=resolution,
        known_categories=known_categories,
        today=today,
    )
    return StitchedQuery(terms=clean_terms, options=options)


def get_stitched_trends(
    query: StitchedQuery,
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    source: LiveTrendsSource | None = None,
    batch_size: int = MAX_TERMS,
) -> TrendsResult:
    """Return the terms of ``query`` on one 0-100 scale.

    Up to ``batch_size`` terms need one request and are returned as Google
    sends them. More are fetched in requests of ``batch_size`` terms that
    each include the anchor: the term with the highest mean in the first
    request, because its series has the fewest zeros for the factors to
    divide by. Raises what ``service.get_trends`` raises for any request.
    """
    if batch_size < 2:
        raise ValueError("a stitched request needs room for the anchor and a term")
    fetch_options: dict[str, Any] = {
        "engine": engine,
        "settings": settings,
        "source": source,
    }
    first_terms = list(query.terms[:batch_size])
    first = service.get_trends(query.request(first_terms), **fetch_options)
    if len(query.terms) <= batch_size:
        return first
    anchor = choose_anchor(first.data)
    batches = [first_terms]
    results = [first]
    rest = list(query.terms[batch_size:])
    for start in range(0, len(rest), batch_size - 1):
        # Google scales a request by its highest point, whatever the order of
        # its terms, so the anchor may go anywhere in it.
        batch = [*rest[start : start + batch_size - 1], anchor]
        batches.append(batch)
        results.append(service.get_trends(query.request(batch), **fetch_options))
    logger.info(
        "Stitched %d terms from %d requests through the anchor %r",
        len(query.terms),
        len(batches),
        anchor,
    )
    return stitch_results(query, anchor, batches, results)


def count_requests(term_count: int, batch_size: int = MAX_TERMS) -> int:
    """Return how many requests a comparison of ``term_count`` terms sends.

    The first request has ``batch_size`` terms, and each later one has the
    anchor and ``batch_size - 1`` new terms.
    """
    if term_count <= batch_size:
        return 1
    return 1 + math.ceil((term_count - batch_size) / (batch_size - 1))


def choose_anchor(data: TrendsData) -> str:
    """Return the term with the highest mean interest (the first of equals)."""
    frame = data.interest_over_time
    if frame is None or frame.empty:
        raise NoTrendsData(
            f"Google Trends sent no interest over time for {', '.join(data.terms)}, "
            "so there is no anchor to stitch more terms to; try a longer timeframe."
        )
    means = frame[data.terms].mean()
    return str(means.idxmax())


def anchor_factor(base: pd.Series, other: pd.Series) -> float | None:
    """Return the factor that puts ``other``'s request on ``base``'s scale.

    Both are the anchor's series, from the first request and from a later
    one. Only periods where both are above 0 count, because a 0 there means
    "too little to show" rather than a measured value. None when there are
    no such periods.
    """
    aligned = pd.concat([base, other], axis=1, join="inner", keys=["base", "other"])
    both_positive = aligned[(aligned["base"] > 0) & (aligned["other"] > 0)]
    if both_positive.empty:
        return None
    return float(both_positive["base"].mean() / both_positive["other"].mean())


def stitch_results(
    query: StitchedQuery,
    anchor: str,
    batches: list[list[str]],
    results: list[TrendsResult],
) -> TrendsResult:
    """Combine the results of the requests of one comparison onto one scale."""
    first = results[0].data
    base = first.interest_over_time
    assert base is not None  # choose_anchor has checked it
    parts = [base[batches[0]]]
    factors: list[float | None] = [1.0]
    left_out: list[str] = []
    for batch, result in zip(batches[1:], results[1:], strict=True):
        frame = result.data.interest_over_time
        others = [term for term in batch if term != anchor]
        factor = None
        if frame is not None and anchor in frame.columns:
            frame = frame.reindex(base.index)
            factor = anchor_factor(base[anchor], frame[anchor])
        factors.append(factor)
        if factor is None:
            left_out.extend(others)
            continue
        parts.append(frame[others] * factor)
    combined = pd.concat(parts, axis=1)
    peak = float(combined.max().max())
    scale = 100.0 / peak if peak > 0 else 1.0
    combined = combined * scale
    terms = [term for term in query.terms if term not in left_out]
    combined = combined[terms]

    stitched = {
        "anchor": anchor,
        "requests": [list(batch) for batch in batches],
        "factors": factors,
        "scale": scale,
        "left_out": left_out,
    }
    fetched = [result.data.fetched_at for result in results if result.data.fetched_at]
    data = TrendsData(
        terms=terms,
        interest_over_time=combined,
        interest_by_region=_stitch_regions(first, anchor, batches, results, left_out),
        related=_related_of(results, terms),
        granularity=first.granularity,
        partial_last=any(result.data.partial_last for result in results),
        geo=first.geo,
        region_resolution=first.region_resolution,
        region_values=first.region_values,
        category=first.category,
        timeframe=first.timeframe,
        source="cache" if any(result.from_cache for result in results) else "live",
        provenance=(
            f"{first.provenance}; {len(batches)} requests stitched through the "
            f"anchor '{anchor}'"
        ),
        query={**query.to_dict(), STITCHED_KEY: stitched},
        fetched_at=min(fetched) if fetched else None,
    )
    notices = list(dict.fromkeys(result.notice for result in results if result.notice))
    return TrendsResult(
        data=data,
        stale=any(result.stale for result in results),
        age_seconds=max(result.age_seconds for result in results),
        from_cache=all(result.from_cache for result in results),
        notice=" ".join(notices),
    )


def _stitch_regions(
    first: TrendsData,
    anchor: str,
    batches: list[list[str]],
    results: list[TrendsResult],
    left_out: list[str],
) -> pd.DataFrame | None:
    """Return interest by region of every kept term, or None without regions.

    Shares (each term's percent of the request's total in a region) are put
    on one scale through the anchor: a term's share divided by the anchor's
    share in the same request and region is its volume relative to the
    anchor, which every request agrees on. Regions where the anchor has no
    share in some request are dropped. Indexes (0-100 per term) need no
    rescaling, because each term is scaled on its own.
    """
    frames: list[pd.DataFrame] = []
    for position, (batch, result) in enumerate(zip(batches, results, strict=True)):
        frame = result.data.interest_by_region
        kept = [term for term in batch if term not in left_out]
        if position > 0:
            kept = [term for term in kept if term != anchor]
        if frame is None or not kept:
            continue
        if first.region_values == "share":
            if anchor not in frame.columns:
                continue
            relative = frame[kept].div(frame[anchor].where(frame[anchor] > 0), axis=0)
            frames.append(relative)
        else:
            frames.append(frame[kept])
    if not frames:
        return None
    combined = pd.concat(frames, axis=1, join="outer", sort=False)
    if first.region_values == "share":
        combined = combined.dropna()
        combined = combined.div(combined.sum(axis=1), axis=0) * 100
    combined.index.name = "region"
    if not combined.empty:
        combined = combined.sort_values(combined.columns[0], ascending=False)
    return combined


def _related_of(results: list[TrendsResult], terms: list[str]) -> list[RelatedList]:
    related: list[RelatedList] = []
    seen: set[tuple[str, str]] = set()
    for result in results:
        for item in result.data.related:
            key = (item.term.casefold(), item.kind)
            if item.term in terms and key not in seen:
                seen.add(key)
                related.append(item)
    return related


def stitching_of(data: TrendsData) -> dict[str, Any] | None:
    """Return how ``data`` was stitched, or None when it came from one request."""
    stitched = data.query.get(STITCHED_KEY) if data.query else None
    return stitched if isinstance(stitched, dict) else None


def describe_stitching(data: TrendsData) -> str:
    """Return sentences saying that and how the values were stitched, or ""."""
    stitched = stitching_of(data)
    if stitched is None:
        return ""
    anchor = stitched.get("anchor", "")
    requests = stitched.get("requests", [])
    text = (
        f"Stitched values: Google Trends compares at most {MAX_TERMS} terms per "
        f"request, so these {len(data.terms)} terms come from {len(requests)} "
        f"requests that each include the anchor '{anchor}'. Each request's values "
        f"were multiplied by the anchor's mean in the first request divided by its "
        "mean in that request (over the periods where both are above 0), then all "
        "values were scaled so that the highest is 100."
    )
    left_out = stitched.get("left_out") or []
    if left_out:
        names = ", ".join(f"'{term}'" for term in left_out)
        text += (
            f" Left out: {names}, because the anchor '{anchor}' has no interest "
            "above 0 in their request, so they cannot be put on the same scale. "
            "List the most popular term among the first five, so that it "
            "becomes the anchor."
        )
    return text
