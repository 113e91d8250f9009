"""Live trends data as the ``explore`` command prints it: text tables or JSON."""

from __future__ import annotations

import logging
import math
from typing import Any, Final

import pandas as pd

from generation.trends.base import LESS_THAN_ONE, RelatedItem, TrendsData
from generation.trends.provenance import describe_data_quality
from generation.trends.service import TrendsResult
from generation.trends.stitching import stitching_of

logger = logging.getLogger(__name__)

_REGION_WORDS: Final = {
    "COUNTRY": "country",
    "REGION": "region",
    "DMA": "metro area",
    "CITY": "city",
}


def as_text(data: TrendsData, *, rows: int) -> str:
    """Return the data as text tables, with ``rows`` regions and queries per list."""
    sections = [describe_data_quality(data)]
    frame = data.interest_over_time
    if frame is not None and not frame.empty:
        table = _format_frame(data, frame)
        table.index = [_period(day) for day in frame.index]
        if data.partial_last:
            table.index = [*table.index[:-1], f"{table.index[-1]}*"]
        title = f"Interest over time ({data.granularity or 'as sent'})"
        lines = [title, table.rename_axis("date").to_string()]
        if data.partial_last:
            lines.append("* partial period: not over when fetched")
        sections.append("\n".join(lines))
    regions = data.interest_by_region
    if regions is not None and not regions.empty:
        unit = "share of searches, %" if data.region_values == "share" else "0-100"
        where = _REGION_WORDS.get(data.region_resolution, "region")
        shown = _format_frame(data, regions.head(rows)).rename_axis("region")
        sections.append(
            f"Interest by {where} ({unit}; top {len(shown)} of {len(regions)})\n"
            + shown.to_string()
        )
    for related in data.related:
        if related.kind != "queries":
            continue
        lines = [f"Related queries for {related.term}"]
        for name, items in (("top", related.top), ("rising", related.rising)):
            lines.append(f"  {name}:")
            lines += [f"    {_related_line(item)}" for item in items[:rows]]
            if not items:
                lines.append("    (none)")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _related_line(item: RelatedItem) -> str:
    if item.breakout:
        return f"{item.label}  [Breakout: growth above 5000 %]"
    return f"{item.label}  {item.display}"


def _format_frame(data: TrendsData, frame: pd.DataFrame) -> pd.DataFrame:
    stitched = stitching_of(data) is not None
    return frame.map(lambda value: _format_value(value, stitched))


def _format_value(value: float, stitched: bool) -> str:
    if math.isnan(value):
        return ""
    # 0.5 stands for Google's "<1" unless the values were rescaled.
    if value == LESS_THAN_ONE and not stitched:
        return "<1"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}"


def as_json(result: TrendsResult) -> dict[str, Any]:
    """Return the result as JSON-safe values: all rows, with their source."""
    data = result.data
    over_time = data.interest_over_time
    regions = data.interest_by_region
    return {
        "terms": data.terms,
        "query": data.query,
        "source": {
            "kind": data.source,
            "description": describe_data_quality(data),
            "fetched_at": data.fetched_at.isoformat() if data.fetched_at else None,
            "age_seconds": result.age_seconds,
            "stale": result.stale,
            "notice": result.notice or None,
        },
        "granularity": data.granularity,
        "partial_last": data.partial_last,
        "interest_over_time": _records(over_time, "date"),
        "interest_by_region": {
            "resolution": data.region_resolution,
            "values": data.region_values,
            "rows": _records(regions, "region"),
        },
        "related": [
            {
                "term": related.term,
                "kind": related.kind,
                "top": [vars(item) for item in related.top],
                "rising": [vars(item) for item in related.rising],
            }
            for related in data.related
        ],
    }


def _period(timestamp: Any) -> str:
    """Return a day as 2024-01-07, and a time of day as 2024-01-07 14:00."""
    moment = pd.Timestamp(timestamp)
    if moment == moment.normalize():
        return f"{moment:%Y-%m-%d}"
    return f"{moment:%Y-%m-%d %H:%M}"


def _records(frame: pd.DataFrame | None, index_name: str) -> list[dict[str, Any]]:
    if frame is None:
        return []
    records = []
    for label, values in frame.iterrows():
        name = _period(label) if index_name == "date" else str(label)
        row: dict[str, Any] = {index_name: name}
        for term, value in values.items():
            row[str(term)] = None if math.isnan(value) else float(value)
        records.append(row)
    return records
