"""What the numbers say: peaks, averages, growth, direction and breakouts.

Every number a report states comes from here. A partial last period (Google
marks the current week or month as incomplete) is left out of the latest
value and of growth, because it would read as a fall that has not happened.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from generation.trends.base import RelatedItem, TrendsData

# A change between the first and the last quarter of the range counts as
# stable when it is under both bands: a small term that halves from 8 to 4
# falls, though it moves only 4 points.
STABLE_BAND_POINTS = 5.0
STABLE_BAND_PERCENT = 25.0
# Below this in both quarters, a change is the noise of "<1" cells (read as
# 0.5) and zeros, so it counts as stable.
NOISE_FLOOR_POINTS = 1.0
RELATED_ITEMS_KEPT = 10


@dataclass
class TermAnalysis:
    """The numbers for one term over the whole range."""

    term: str
    peak_period: str | None = None  # ISO date of the highest value
    peak_value: float | None = None
    mean: float | None = None
    latest_period: str | None = None
    latest_value: float | None = None
    first_quarter_mean: float | None = None
    last_quarter_mean: float | None = None
    change_points: float | None = None  # last quarter mean minus first
    change_percent: float | None = None  # None when the first quarter is 0
    direction: str = "unknown"  # rising, falling, stable or unknown
    top_region: str | None = None
    top_region_value: float | None = None
    top_queries: list[dict[str, Any]] = field(default_factory=list)
    rising_queries: list[dict[str, Any]] = field(default_factory=list)
    breakouts: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    """The analysis of one trends dataset."""

    terms: list[TermAnalysis]
    period_start: str | None = None
    period_end: str | None = None
    granularity: str = ""
    partial_last: bool = False
    points: int = 0
    leader: str | None = None  # term with the highest mean
    geo: str = ""
    source: str = ""

    def term(self, name: str) -> TermAnalysis | None:
        for item in self.terms:
            if item.term.casefold() == name.casefold():
                return item
        return None

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Analysis:
        values = dict(data)
        values["terms"] = [TermAnalysis(**item) for item in data.get("terms", [])]
        return cls(**values)


def analyse(data: TrendsData) -> Analysis:
    """Return per-term figures for ``data``; terms without a series get Nones."""
    frame = data.interest_over_time
    analysis = Analysis(
        terms=[],
        granularity=data.granularity,
        partial_last=data.partial_last,
        geo=data.geo,
        source=data.source,
    )
    if frame is not None and not frame.empty:
        analysis.period_start = _iso(frame.index.min())
        analysis.period_end = _iso(frame.index.max())
        analysis.points = len(frame)
    for term in data.terms:
        result = TermAnalysis(term=term)
        if frame is not None and term in frame.columns:
            _fill_series_figures(result, frame[term], data.partial_last)
        _fill_region_figures(result, data, term)
        _fill_related_figures(result, data, term)
        analysis.terms.append(result)
    means = [(item.mean, item.term) for item in analysis.terms if item.mean is not None]
    if means:
        analysis.leader = max(means)[1]
    return analysis


def _fill_series_figures(
    result: TermAnalysis, series: pd.Series, partial_last: bool
) -> None:
    series = pd.to_numeric(series, errors="coerce").dropna()
    if series.empty:
        return
    peak_at = series.idxmax()
    result.peak_period = _iso(peak_at)
    result.peak_value = _round(series.max())
    result.mean = _round(series.mean())
    complete = series.iloc[:-1] if partial_last and len(series) > 1 else series
    result.latest_period = _iso(complete.index[-1])
    result.latest_value = _round(complete.iloc[-1])
    quarter = max(1, len(complete) // 4)
    first = float(complete.iloc[:quarter].mean())
    last = float(complete.iloc[-quarter:].mean())
    result.first_quarter_mean = _round(first)
    result.last_quarter_mean = _round(last)
    result.change_points = _round(last - first)
    result.change_percent = _round((last - first) / first * 100) if first > 0 else None
    result.direction = _direction(first, last, len(complete))


def _direction(first: float, last: float, periods: int) -> str:
    """Return rising, falling, stable or unknown for two quarter means."""
    if periods < 2:
        return "unknown"
    if max(first, last) < NOISE_FLOOR_POINTS:
        return "stable"
    change = last - first
    small_in_points = abs(change) < STABLE_BAND_POINTS
    small_in_percent = first > 0 and abs(change) / first * 100 < STABLE_BAND_PERCENT
    if small_in_points and small_in_percent:
        return "stable"
    return "rising" if change > 0 else "falling"


def _fill_region_figures(result: TermAnalysis, data: TrendsData, term: str) -> None:
    frame = data.interest_by_region
    if frame is None or term not in frame.columns:
        return
    values = pd.to_numeric(frame[term], errors="coerce").dropna()
    if values.empty:
        return
    result.top_region = str(values.idxmax())
    result.top_region_value = _round(values.max())


def _fill_related_figures(result: TermAnalysis, data: TrendsData, term: str) -> None:
    related = data.related_for(term, "queries")
    if not related.top and not related.rising and len(data.terms) == 1:
        # A related-queries export for one term may not name its term.
        related = data.related_for("", "queries")
    result.top_queries = [_item(row) for row in related.top[:RELATED_ITEMS_KEPT]]
    result.rising_queries = [_item(row) for row in related.rising[:RELATED_ITEMS_KEPT]]
    result.breakouts = [row.label for row in related.rising if row.breakout]


def _item(row: RelatedItem) -> dict[str, Any]:
    return {"label": row.label, "value": row.value, "display": row.display}


def _iso(timestamp: Any) -> str:
    return pd.Timestamp(timestamp).date().isoformat()


def _round(value: float) -> float | None:
    value = float(value)
    if math.isnan(value):
        return None
    return round(value, 1)


def describe_direction(item: TermAnalysis) -> str:
    """Return a short phrase such as 'rising (+12.0 points)'."""
    if item.direction == "unknown" or item.change_points is None:
        return "not enough data for a direction"
    sign = "+" if item.change_points >= 0 else ""
    return f"{item.direction} ({sign}{item.change_points} points)"
