"""Write trends data as the CSV files the Google Trends website exports.

The layout is the website's: a ``Category:`` line, a blank line, then a
table with a date or region column and one ``term: (detail)`` column per
term (``multiTimeline.csv``, ``geoMap.csv``), or TOP and RISING lists per
term (``relatedQueries.csv``, ``relatedEntities.csv``). So an export opens
in a spreadsheet like one from the website, and ``csv_import`` reads it back.

A website export contains at most five terms, and the importer rejects more, so
data with more terms (a stitched comparison) is written as several files of
five terms each, in one ZIP archive.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

import pandas as pd
import pycountry

from generation.errors import InvalidRequest, NoTrendsData
from generation.trends.base import LESS_THAN_ONE, RelatedList, TrendsData
from generation.trends.csv_import import neutralise_formula
from generation.trends.query import MAX_TERMS
from generation.trends.stitching import stitching_of

logger = logging.getLogger(__name__)

ExportKind = Literal[
    "interest_over_time", "interest_by_region", "related_queries", "related_topics"
]
EXPORT_KINDS: Final[tuple[ExportKind, ...]] = (
    "interest_over_time",
    "interest_by_region",
    "related_queries",
    "related_topics",
)
# The file names the website gives each kind of export.
FILE_STEMS: Final = {
    "interest_over_time": "multiTimeline",
    "interest_by_region": "geoMap",
    "related_queries": "relatedQueries",
    "related_topics": "relatedEntities",
}
_DATE_COLUMNS: Final = {
    "minute": "Time",
    "hourly": "Time",
    "daily": "Day",
    "weekly": "Week",
    "monthly": "Month",
}
_REGION_COLUMNS: Final = {
    "COUNTRY": "Country",
    "REGION": "Region",
    "DMA": "Metro",
    "CITY": "City",
}
_GEO_CODE = re.compile(r"^[A-Z]{2}(?:-[A-Z0-9]{1,3})?$")


@dataclass(frozen=True)
class TrendsDownload:
    """One file to download: a CSV export, or a ZIP of several."""

    filename: str
    content: bytes
    mime_type: str


def to_trends_csv(
    data: TrendsData,
    kind: ExportKind = "interest_over_time",
    *,
    terms: Sequence[str] | None = None,
) -> bytes:
    """Return one table of ``data`` as a Google Trends CSV export (UTF-8).

    ``terms`` picks the columns of a time series or region table (default:
    all, at most five). Raises ``NoTrendsData`` when ``data`` has no such
    table and ``InvalidRequest`` for more than five terms.
    """
    if kind == "interest_over_time":
        frame = data.interest_over_time
        rows = _time_series_rows(data, _columns(data, frame, kind, terms))
    elif kind == "interest_by_region":
        frame = data.interest_by_region
        rows = _region_rows(data, _columns(data, frame, kind, terms))
    elif kind in ("related_queries", "related_topics"):
        related_kind = "queries" if kind == "related_queries" else "topics"
        lists = [item for item in data.related if item.kind == related_kind]
        if not lists:
            raise NoTrendsData(f"This data has no related {related_kind} to export.")
        rows = _related_rows(data, lists)
    else:
        raise InvalidRequest(
            f"'{kind}' is not an export kind; use one of {', '.join(EXPORT_KINDS)}.",
            field="kind",
        )
    # The cell starts with "Category:", so no spreadsheet reads it as a formula.
    category = data.category or "All categories"
    return _write_csv([[f"Category: {category}"], [], *rows])


def trends_download(data: TrendsData, kind: ExportKind) -> TrendsDownload:
    """Return the download of one table: a CSV, or a ZIP for more than five terms."""
    stem = FILE_STEMS[kind]
    frame = None
    if kind == "interest_over_time":
        frame = data.interest_over_time
    elif kind == "interest_by_region":
        frame = data.interest_by_region
    if frame is None or len(frame.columns) <= MAX_TERMS:
        return TrendsDownload(
            filename=f"{stem}.csv",
            content=to_trends_csv(data, kind),
            mime_type="text/csv",
        )
    columns = list(frame.columns)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as files:
        for number, start in enumerate(range(0, len(columns), MAX_TERMS), start=1):
            part = columns[start : start + MAX_TERMS]
            files.writestr(
                f"{stem}-{number}.csv", to_trends_csv(data, kind, terms=part)
            )
    return TrendsDownload(
        filename=f"{stem}.zip", content=archive.getvalue(), mime_type="application/zip"
    )


def _columns(
    data: TrendsData,
    frame: pd.DataFrame | None,
    kind: ExportKind,
    terms: Sequence[str] | None,
) -> list[str]:
    what = kind.replace("_", " ")
    if frame is None or frame.empty:
        raise NoTrendsData(f"This data has no {what} to export.")
    columns = list(terms) if terms is not None else list(frame.columns)
    missing = [term for term in columns if term not in frame.columns]
    if missing:
        raise InvalidRequest(
            f"The {what} has no column '{missing[0]}'; export one of "
            f"{', '.join(frame.columns)}.",
            field="terms",
        )
    if len(columns) > MAX_TERMS:
        raise InvalidRequest(
            f"A Google Trends export contains at most {MAX_TERMS} terms, but the "
            f"{what} has {len(columns)}; download it as a ZIP of several files.",
            field="terms",
        )
    return columns


def _time_series_rows(data: TrendsData, columns: list[str]) -> list[list[str]]:
    frame = data.interest_over_time
    assert frame is not None  # checked by _columns
    granularity = data.granularity
    date_format = {
        "monthly": "%Y-%m",
        "weekly": "%Y-%m-%d",
        "daily": "%Y-%m-%d",
    }.get(granularity, "%Y-%m-%dT%H:%M")
    where = _geo_label(data.geo)
    header = [_DATE_COLUMNS.get(granularity, "Time")]
    header += [_term_header(term, where) for term in columns]
    rows = [header]
    for timestamp, values in frame[columns].iterrows():
        cells = [pd.Timestamp(timestamp).strftime(date_format)]
        cells += [_format_value(data, value) for value in values]
        rows.append(cells)
    return rows


def _region_rows(data: TrendsData, columns: list[str]) -> list[list[str]]:
    frame = data.interest_by_region
    assert frame is not None  # checked by _columns
    detail = _period_label(data)
    header = [_REGION_COLUMNS.get(data.region_resolution, "Region")]
    header += [_term_header(term, detail) for term in columns]
    suffix = "%" if data.region_values == "share" else ""
    rows = [header]
    for region, values in frame[columns].iterrows():
        cells = [neutralise_formula(str(region))]
        for value in values:
            text = _format_value(data, value)
            cells.append(text + suffix if text else "")
        rows.append(cells)
    return rows


def _related_rows(data: TrendsData, lists: list[RelatedList]) -> list[list[str]]:
    detail = ", ".join(
        part for part in (_period_label(data), _geo_label(data.geo)) if part
    )
    rows: list[list[str]] = []
    for related in lists:
        if not related.top and not related.rising:
            continue
        if related.term:
            rows.append([_term_header(related.term, detail)])
            rows.append([])
        rows.append(["TOP"])
        for item in related.top:
            value = item.value or 0.0
            shown = "<1" if value == LESS_THAN_ONE else _format_number(value)
            rows.append([neutralise_formula(item.label), shown])
        rows.append([])
        rows.append(["RISING"])
        for item in related.rising:
            if item.breakout or item.value is None:
                shown = neutralise_formula(item.display or "Breakout")
            else:
                shown = f"+{item.value:,.0f}%"
            rows.append([neutralise_formula(item.label), shown])
        rows.append([])
    return rows


def _term_header(term: str, detail: str) -> str:
    text = neutralise_formula(term)
    return f"{text}: ({detail})" if detail else text


def _format_value(data: TrendsData, value: float) -> str:
    if pd.isna(value):
        return ""
    # 0.5 stands for Google's "<1", except in stitched data, where rescaled
    # values are plain numbers.
    if value == LESS_THAN_ONE and stitching_of(data) is None:
        return "<1"
    return _format_number(float(value))


def _format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _geo_label(geo: str) -> str:
    """Return the region as the website names it: "Worldwide", "United States"."""
    if not geo:
        return "Worldwide"
    if not _GEO_CODE.match(geo):
        return geo
    if "-" in geo:
        subdivision = pycountry.subdivisions.get(code=geo)
        return subdivision.name if subdivision else geo
    country = pycountry.countries.get(alpha_2=geo)
    return country.name if country else geo


def _period_label(data: TrendsData) -> str:
    """Return the period as the website writes it ("1/1/24 - 12/31/24"), or "".

    Only a live request covers one period in all its tables. Merged exports
    may cover several, and their region and related tables do not keep theirs.
    """
    if data.source not in ("live", "cache"):
        return ""
    period = data.period
    if period is not None:
        start, end = period
    else:
        match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}) (\d{4}-\d{2}-\d{2})", data.timeframe)
        if match is None:
            return ""
        start, end = (datetime.fromisoformat(text) for text in match.groups())
    return f"{_us_date(start)} - {_us_date(end)}"


def _us_date(day: datetime) -> str:
    return f"{day.month}/{day.day}/{day:%y}"


def _write_csv(rows: list[list[str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")
