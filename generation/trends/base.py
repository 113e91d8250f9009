"""The shape every trends source returns, and its JSON form for storage.

Values follow Google Trends: interest over time and by region is an index from
0 to 100 relative to the highest point of the request. ``<1`` in an export
means "above zero but below one" and is stored as 0.5, so a term with a little
interest is told apart from a term with none.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

LESS_THAN_ONE = 0.5

SourceKind = Literal["live", "cache", "file", "sample"]
RelatedKind = Literal["queries", "topics"]


@dataclass
class RelatedItem:
    """One row of a related queries or topics list."""

    label: str
    # Top lists: relative interest 0-100. Rising lists: percent increase,
    # None for a breakout (an increase above 5000 %).
    value: float | None
    display: str
    breakout: bool = False


@dataclass
class RelatedList:
    """The top and rising lists of related queries or topics for one term."""

    term: str
    kind: RelatedKind
    top: list[RelatedItem] = field(default_factory=list)
    rising: list[RelatedItem] = field(default_factory=list)


@dataclass
class TrendsData:
    """Trends data for up to five terms, from any source.

    ``interest_over_time`` has a DatetimeIndex named ``date`` and one float
    column per term. ``interest_by_region`` has a string index named
    ``region`` and one float column per term.
    """

    terms: list[str]
    interest_over_time: pd.DataFrame | None = None
    interest_by_region: pd.DataFrame | None = None
    related: list[RelatedList] = field(default_factory=list)
    # "hourly", "daily", "weekly" or "monthly"; empty when unknown.
    granularity: str = ""
    # True when Google marked the last period as incomplete.
    partial_last: bool = False
    geo: str = ""
    region_resolution: str = ""
    # "index" (0-100 per term) or "share" (percent of the terms' total).
    region_values: str = "index"
    category: str = ""
    timeframe: str = ""
    source: SourceKind = "file"
    provenance: str = ""
    query: dict[str, Any] = field(default_factory=dict)
    fetched_at: datetime | None = None

    def related_for(self, term: str, kind: RelatedKind = "queries") -> RelatedList:
        for related in self.related:
            if related.kind == kind and related.term.casefold() == term.casefold():
                return related
        return RelatedList(term=term, kind=kind)

    @property
    def period(self) -> tuple[datetime, datetime] | None:
        frame = self.interest_over_time
        if frame is None or frame.empty:
            return None
        return frame.index.min().to_pydatetime(), frame.index.max().to_pydatetime()

    def to_json_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict that ``from_json_dict`` turns back into data."""
        return {
            "terms": self.terms,
            "interest_over_time": _frame_to_json(self.interest_over_time),
            "interest_by_region": _frame_to_json(self.interest_by_region),
            "related": [asdict(related) for related in self.related],
            "granularity": self.granularity,
            "partial_last": self.partial_last,
            "geo": self.geo,
            "region_resolution": self.region_resolution,
            "region_values": self.region_values,
            "category": self.category,
            "timeframe": self.timeframe,
            "source": self.source,
            "provenance": self.provenance,
            "query": self.query,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
        }

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> TrendsData:
        over_time = _frame_from_json(data.get("interest_over_time"))
        if over_time is not None:
            over_time.index = pd.to_datetime(over_time.index)
            over_time.index.name = "date"
        by_region = _frame_from_json(data.get("interest_by_region"))
        if by_region is not None:
            by_region.index = by_region.index.astype(str)
            by_region.index.name = "region"
        related = [
            RelatedList(
                term=item["term"],
                kind=item["kind"],
                top=[RelatedItem(**row) for row in item["top"]],
                rising=[RelatedItem(**row) for row in item["rising"]],
            )
            for item in data.get("related", [])
        ]
        fetched_at = data.get("fetched_at")
        return cls(
            terms=list(data["terms"]),
            interest_over_time=over_time,
            interest_by_region=by_region,
            related=related,
            granularity=data.get("granularity", ""),
            partial_last=bool(data.get("partial_last", False)),
            geo=data.get("geo", ""),
            region_resolution=data.get("region_resolution", ""),
            region_values=data.get("region_values", "index"),
            category=data.get("category", ""),
            timeframe=data.get("timeframe", ""),
            source=data.get("source", "file"),
            provenance=data.get("provenance", ""),
            query=data.get("query", {}),
            fetched_at=datetime.fromisoformat(fetched_at) if fetched_at else None,
        )


def _frame_to_json(frame: pd.DataFrame | None) -> str | None:
    if frame is None:
        return None
    return frame.to_json(orient="split", date_format="iso", force_ascii=False)


def _frame_from_json(text: str | None) -> pd.DataFrame | None:
    if text is None:
        return None
    parts = json.loads(text)
    return pd.DataFrame(
        parts["data"], index=parts["index"], columns=parts["columns"], dtype=float
    )
