"""A short automatic reading of trends data: peak, direction and change per term.

The sentences state only figures from ``generation.analysis``, so the reading
on Explore agrees with the reports written from the same data.
"""

from __future__ import annotations

import logging
from typing import Final

from generation.analysis import (
    NOISE_FLOOR_POINTS,
    STABLE_BAND_PERCENT,
    STABLE_BAND_POINTS,
    Analysis,
    TermAnalysis,
)

logger = logging.getLogger(__name__)

MAX_BREAKOUTS_NAMED: Final = 5
# Terms named beside the leader; a stitched comparison may have 24 more.
MAX_OTHERS_NAMED: Final = 4
NO_SERIES_SENTENCE: Final = (
    "This data has no interest over time, so it shows no peak, direction or change."
)
_PERIOD_NAMES: Final = {
    "minute": "minute",
    "hourly": "hour",
    "daily": "day",
    "weekly": "week",
    "monthly": "month",
}


def summarise_analysis(analysis: Analysis) -> list[str]:
    """Return a few plain sentences (no Markdown) that read ``analysis`` aloud."""
    with_series = [item for item in analysis.terms if item.peak_period is not None]
    if not with_series:
        sentences = [NO_SERIES_SENTENCE]
    else:
        sentences = [_term_sentence(item) for item in with_series]
        leader = _leader_sentence(analysis, with_series)
        if len(with_series) > 1 and leader:
            sentences.append(leader)
        if analysis.partial_last:
            period = _PERIOD_NAMES.get(analysis.granularity, "period")
            sentences.append(
                f"The last {period} is not over yet, so it is left out of the "
                "latest value and the change."
            )
    for item in analysis.terms:
        if item.breakouts:
            named = ", ".join(item.breakouts[:MAX_BREAKOUTS_NAMED])
            more = len(item.breakouts) - MAX_BREAKOUTS_NAMED
            if more > 0:
                named += f" and {more} more"
            sentences.append(
                f"Breakout searches (growth above 5000 %) related to {item.term}: "
                f"{named}."
            )
    return sentences


def _term_sentence(item: TermAnalysis) -> str:
    peak = f"{item.term} peaked at {_number(item.peak_value)} on {item.peak_period}"
    if item.direction == "unknown" or item.change_points is None:
        return f"{peak}; there are too few complete periods for a direction."
    change = f"{'+' if item.change_points >= 0 else ''}{_number(item.change_points)}"
    if item.change_percent is not None:
        sign = "+" if item.change_percent >= 0 else ""
        change += f" points, {sign}{_number(item.change_percent)} %"
    else:
        change += " points"
    quarters = (
        f"the last quarter of the range averaged {_number(item.last_quarter_mean)} "
        f"against {_number(item.first_quarter_mean)} in the first ({change})"
    )
    if item.direction == "stable":
        low = max(item.first_quarter_mean or 0, item.last_quarter_mean or 0)
        if low < NOISE_FLOOR_POINTS:
            band = f"both quarters below {_number(NOISE_FLOOR_POINTS)} point"
        else:
            band = (
                f"within {_number(STABLE_BAND_POINTS)} points and "
                f"{_number(STABLE_BAND_PERCENT)} %"
            )
        return f"{peak} and is stable: {quarters}, {band}."
    return f"{peak} and is {item.direction}: {quarters}."


def _leader_sentence(analysis: Analysis, with_series: list[TermAnalysis]) -> str:
    leader = analysis.term(analysis.leader or "")
    if leader is None:
        return ""
    ranked = sorted(with_series, key=lambda item: item.mean or 0, reverse=True)
    others = [
        f"{_number(item.mean)} for {item.term}" for item in ranked if item is not leader
    ]
    if len(others) > MAX_OTHERS_NAMED:
        more = len(others) - MAX_OTHERS_NAMED
        others = [*others[:MAX_OTHERS_NAMED], f"{more} more terms below"]
    return (
        f"{leader.term} drew the most interest on average ({_number(leader.mean)}, "
        f"against {_join(others)})."
    )


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"
