"""Import the CSV files that the Google Trends website exports.

The website exports three kinds of file:

- interest over time (``multiTimeline.csv``): a date column and one column
  per term;
- interest by region (``geoMap.csv``): a region column and one column per
  term, holding either an index from 0 to 100 or, when several terms are
  compared, each term's percent share of their total (``74%``);
- related queries or topics (``relatedQueries.csv``, ``relatedEntities.csv``):
  a TOP list and a RISING list of ``label,value`` rows.

An optional ``Category: All categories`` line comes first, written in the
language of the website's interface, as are the column and section names.
Term headers read ``pizza: (Worldwide)`` or ``pizza: (12/14/23 - 3/14/24)``
in older exports and plain ``pizza`` in the 2026 format. The parser therefore
recognises a file by its structure (dates in the first column, ``term: (...)``
headers, lone section lines) rather than by English words.

Files re-saved by a spreadsheet program are read too: semicolon or tab
separators, quoted cells, trailing empty columns, other date formats, UTF-16
or Windows-1252 text. Anything else raises ``TrendsFileError`` with one
sentence that states what is wrong and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import math
import re
from dataclasses import dataclass, field

import pandas as pd

from generation.errors import TrendsFileError
from generation.trends.base import LESS_THAN_ONE, RelatedItem, RelatedList, TrendsData

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TERMS = 5
# A Trends export has at most six columns, so a line with far more separators
# is not one. Checked on the raw text, before the CSV reader builds the cells.
MAX_RAW_COLUMNS = 64
# Real exports have a few hundred lines (daily data for up to 270 days, weekly
# for five years, one row per country), so this leaves a wide margin. Checked
# before the CSV reader runs, which takes seconds on millions of lines.
MAX_LINES = 50_000
# Share of control characters above which decoded text counts as binary.
MAX_CONTROL_CHARACTER_SHARE = 0.01

_DOWNLOAD_AGAIN_HINT = (
    "download the CSV again with the download button of a Google Trends chart"
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_DELIMITERS = (",", ";", "\t")
# Unicode category Cc except tab, line feed and carriage return.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# "pizza: (Worldwide)", "ozempic: (9/15/24 - 9/15/25, United States)". The
# greedy term part splits at the last ": (" so a term may contain a colon.
_TERM_HEADER = re.compile(r"^(?P<term>.+):\s*\((?P<detail>[^()]*)\)$")
_DATE_RANGE = re.compile(r"\d.*\s[-\u2013\u2014]\s.*\d")
_DATE_LIKE = re.compile(r"^\d{1,4}[-/.]\d{1,2}(?:[-/.]\d{1,4})?(?:[T ].*)?$")
_PERCENT_INCREASE = re.compile(r"^\+?\s*(?P<digits>\d[\d.,'\s\u00a0\u202f]*)\s*%$")
_DATE_FORMATS = (
    "ISO8601",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%m/%Y",
    "%m.%Y",
)

# First-column names that the website writes in some interface languages.
# Structure alone identifies a file, so these only name the resolution of a
# region file and the granularity of a one-row time series.
# NOTE: only the English and French names were seen in real exports. The
# others are the usual translations and may differ from the website's.
_TIME_COLUMN_GRANULARITY = {
    "time": "",
    "zeit": "",
    "temps": "",
    "hour": "hourly",
    "day": "daily",
    "week": "weekly",
    "month": "monthly",
    "jour": "daily",
    "semaine": "weekly",
    "mois": "monthly",
    "tag": "daily",
    "woche": "weekly",
    "monat": "monthly",
    "día": "daily",
    "semana": "weekly",
    "mes": "monthly",
    "일": "daily",
    "주": "weekly",
    "월": "monthly",
}
_REGION_COLUMN_RESOLUTION = {
    "country": "COUNTRY",
    "pays": "COUNTRY",
    "land": "COUNTRY",
    "país": "COUNTRY",
    "국가": "COUNTRY",
    "region": "REGION",
    "subregion": "REGION",
    "région": "REGION",
    "bundesland": "REGION",
    "región": "REGION",
    "지역": "REGION",
    "city": "CITY",
    "ville": "CITY",
    "stadt": "CITY",
    "ciudad": "CITY",
    "도시": "CITY",
    "metro": "DMA",
    "dma": "DMA",
}
_RISING_SECTION_NAMES = {"rising", "steigend", "en hausse", "en aumento", "급상승"}


@dataclass
class _Row:
    line: int
    cells: list[str]
    # Cells the line had before trailing empty ones were dropped, to tell a
    # region row with no values ("Samoa,,,,") from a line cut short ("Samoa").
    raw_width: int


@dataclass
class _Column:
    header: str
    term: str
    geo: str = ""
    timeframe: str = ""


@dataclass
class _RelatedSection:
    term: str
    name: str
    rows: list[_Row] = field(default_factory=list)


def neutralise_formula(text: str) -> str:
    """Prefix ``'`` to text a spreadsheet would run as a formula.

    Use it on labels written to CSV exports, because a query such as
    ``=cmd|' /C calc'!A0`` from an imported file is data, not a formula.
    """
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def parse_trends_csv(content: bytes, filename: str = "") -> TrendsData:
    """Parse one CSV file exported from the Google Trends website.

    Raises ``TrendsFileError`` when the bytes are not such an export.
    """
    reader = _ExportReader(filename)
    data = reader.read(content)
    logger.info(
        "Imported %s: %s, terms %s",
        filename or "a Trends CSV",
        reader.kind,
        data.terms,
    )
    return data


class _ExportReader:
    """Reader of one export, which keeps the file name for error messages."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.subject = f"The file '{filename}'" if filename else "The file"
        self.delimiter = ","
        self.kind = ""

    def fail(self, problem: str) -> TrendsFileError:
        return TrendsFileError(f"{self.subject} {problem}")

    def fail_at(self, line: int, problem: str) -> TrendsFileError:
        where = f"'{self.filename}'" if self.filename else "the file"
        return TrendsFileError(f"Line {line} of {where} {problem}")

    def read(self, content: bytes) -> TrendsData:
        text = self.decode(content)
        self.check_text(text)
        rows = self.split_rows(text)
        category, position = self.read_preamble(rows)
        header = rows[position] if position < len(rows) else None
        if header is not None and self.is_table_header(header, rows[position + 1 :]):
            data = self.read_table(header, rows[position + 1 :])
        elif header is not None and any(
            not _is_category_line(row.cells[0]) for row in rows[:position]
        ):
            data = self.read_related(rows)
        else:
            raise self.fail(
                "does not look like a Google Trends export, because no line reads "
                "like 'Week,pizza: (Worldwide)', 'Region,pizza: (...)' or a TOP "
                f"and RISING list, so {_DOWNLOAD_AGAIN_HINT}."
            )
        data.category = category
        data.source = "file"
        data.provenance = (
            f"Google Trends CSV export '{self.filename}'"
            if self.filename
            else "Google Trends CSV export"
        )
        data.query = {"files": [{"filename": self.filename, "kind": self.kind}]}
        return data

    # Bytes to text

    def decode(self, content: bytes) -> str:
        if not content.strip():
            raise self.fail(
                f"is empty, so {_DOWNLOAD_AGAIN_HINT} and upload that file."
            )
        if len(content) > MAX_UPLOAD_BYTES:
            size = len(content) / 1024 / 1024
            raise self.fail(
                f"is {size:.1f} MiB, larger than the "
                f"{MAX_UPLOAD_BYTES // 1024 // 1024} MiB upload limit, so upload a "
                "single Google Trends CSV export, which is a few kilobytes."
            )
        if content.startswith(b"PK\x03\x04"):
            raise self.fail(
                "is an Excel workbook or a ZIP archive, not a CSV file, so save it "
                "as 'CSV UTF-8' or upload the CSV that Google Trends downloaded."
            )
        for mark, encoding, name in _BYTE_ORDER_MARKS:
            if content.startswith(mark):
                try:
                    return content[len(mark) :].decode(encoding)
                except UnicodeDecodeError as error:
                    raise self.fail(
                        f"starts with a {name} byte order mark but is not valid "
                        f"{name} text ({error.reason} at byte {error.start}), so "
                        "save it again as 'CSV UTF-8' and upload that file."
                    ) from error
        if b"\x00" in content:
            text = _decode_utf16_without_mark(content)
            if text is None:
                raise self.fail(
                    "is a binary file, not CSV text, so upload the CSV that the "
                    "download button of a Google Trends chart saves."
                )
            return text
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError as error:
            if error.reason == "unexpected end of data":
                # The last character was cut in half, so decode up to it. The
                # row check below then reports the cut line if it is incomplete.
                return content[: error.start].decode("utf-8")
        try:
            # Spreadsheet programs on Windows save CSV in Windows-1252.
            return content.decode("cp1252")
        except UnicodeDecodeError as error:
            raise self.fail(
                f"is neither UTF-8 nor Windows-1252 text (byte "
                f"0x{content[error.start]:02x} at offset {error.start} has no "
                "character), so save it again as 'CSV UTF-8' and upload that file."
            ) from error

    def check_text(self, text: str) -> None:
        if not text.strip():
            raise self.fail(
                f"is empty, so {_DOWNLOAD_AGAIN_HINT} and upload that file."
            )
        start = text.lstrip()[:1024].casefold()
        if start.startswith(("<!doctype html", "<html", "<head", "<body")) or (
            start.startswith("<") and "<html" in start
        ):
            raise self.fail(
                "is a web page (HTML), not a CSV file, so use the download button "
                "of a Google Trends chart instead of saving the page."
            )
        if start.startswith(("<?xml", "<rss")):
            raise self.fail(
                "is an XML document, such as the Trending now RSS feed, not a CSV "
                f"file, so {_DOWNLOAD_AGAIN_HINT}."
            )
        if start.startswith(")]}'"):
            raise self.fail(
                "is a raw response of the Google Trends API, not a CSV export, so "
                f"{_DOWNLOAD_AGAIN_HINT}."
            )
        control = len(_CONTROL_CHARACTERS.findall(text))
        if control > len(text) * MAX_CONTROL_CHARACTER_SHARE:
            raise self.fail(
                "is a binary file, not CSV text, so upload the CSV that the "
                "download button of a Google Trends chart saves."
            )

    # Text to rows

    def split_rows(self, text: str) -> list[_Row]:
        text = text.lstrip("\ufeff")
        lines = text.splitlines()
        if len(lines) > MAX_LINES:
            raise self.fail(
                f"has {len(lines)} lines, far more than any Google Trends export, "
                f"so {_DOWNLOAD_AGAIN_HINT}."
            )
        self.delimiter = _choose_delimiter(lines)
        for number, line in enumerate(lines, start=1):
            width = line.count(self.delimiter) + 1
            if width > MAX_RAW_COLUMNS:
                raise self.fail_at(
                    number,
                    f"has {width} columns, but a Google Trends export has at most "
                    f"{MAX_TERMS + 1} (a date or region column and up to "
                    f"{MAX_TERMS} terms), so {_DOWNLOAD_AGAIN_HINT} and upload it "
                    "unchanged.",
                )
        rows: list[_Row] = []
        reader = csv.reader(io.StringIO(text), delimiter=self.delimiter)
        try:
            for cells in reader:
                raw_width = len(cells)
                cells = [cell.strip() for cell in cells]
                while cells and not cells[-1]:
                    cells.pop()
                if cells:
                    rows.append(_Row(reader.line_num, cells, raw_width))
        except csv.Error as error:
            raise self.fail_at(
                reader.line_num,
                f"is not valid CSV ({error}), so {_DOWNLOAD_AGAIN_HINT}.",
            ) from error
        if not rows:
            raise self.fail(
                f"is empty, so {_DOWNLOAD_AGAIN_HINT} and upload that file."
            )
        if len(rows) == 1:
            raise self.fail(
                f"has only one line ('{_shorten(rows[0].cells)}'), but a Google "
                "Trends export has a header line and at least one data row, so "
                f"{_DOWNLOAD_AGAIN_HINT}."
            )
        return rows

    def read_preamble(self, rows: list[_Row]) -> tuple[str, int]:
        """Return the category and the index of the first multi-cell row.

        The lines before it contain one cell each: the category, and for
        related lists the term line and the first section name.
        """
        category = ""
        position = 0
        while position < len(rows) and len(rows[position].cells) == 1:
            text = rows[position].cells[0]
            if not category and _is_category_line(text):
                category = re.split(r"\s*[:\uff1a]\s*", text, maxsplit=1)[1]
            position += 1
        return category, position

    def is_table_header(self, header: _Row, data_rows: list[_Row]) -> bool:
        first = header.cells[0].casefold()
        if first in _TIME_COLUMN_GRANULARITY or first in _REGION_COLUMN_RESOLUTION:
            return True
        if any(_TERM_HEADER.match(cell) for cell in header.cells[1:]):
            return True
        return bool(data_rows) and bool(_DATE_LIKE.match(data_rows[0].cells[0]))

    # Interest over time and interest by region

    def read_table(self, header: _Row, data_rows: list[_Row]) -> TrendsData:
        if not data_rows:
            raise self.fail(
                "has a header but no data rows, so export the chart again once "
                "Google Trends shows data for it."
            )
        columns = self.read_columns(header)
        labels, values, share = self.read_values(columns, data_rows)
        terms = [column.term for column in columns]

        dates = self.parse_dates(labels, data_rows)
        if dates is not None:
            self.kind = "interest over time"
            return self.build_time_series(header, columns, terms, dates, values)

        self.kind = "interest by region"
        region_index = pd.Index(labels, dtype=str, name="region")
        frame = pd.DataFrame(values, index=region_index, columns=terms, dtype=float)
        frame = frame[frame.index != ""]
        repeated = frame.index[frame.index.duplicated()]
        if len(repeated):
            raise self.fail(
                f"lists the region '{repeated[0]}' twice, so "
                f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged."
            )
        resolution = _REGION_COLUMN_RESOLUTION.get(header.cells[0].casefold(), "")
        return TrendsData(
            terms=terms,
            interest_by_region=frame,
            geo=_common_text(column.geo for column in columns),
            region_resolution=resolution,
            region_values="share" if share else "index",
            timeframe=_common_text(column.timeframe for column in columns),
        )

    def read_values(
        self, columns: list[_Column], data_rows: list[_Row]
    ) -> tuple[list[str], list[list[float]], bool]:
        """Return the first-column labels, the values, and whether any was a share."""
        width = len(columns) + 1
        labels: list[str] = []
        values: list[list[float]] = []
        share = False
        for row in data_rows:
            if row.raw_width < width:
                raise self.fail_at(
                    row.line,
                    f"has {row.raw_width} of the header's {width} columns, which "
                    f"means the file was cut short, so {_DOWNLOAD_AGAIN_HINT}.",
                )
            if len(row.cells) > width:
                raise self.fail_at(
                    row.line,
                    f"has {len(row.cells)} values but the header names {width} "
                    f"columns, so {_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
                )
            cells = row.cells + [""] * (width - len(row.cells))
            labels.append(cells[0])
            parsed = []
            for column, cell in zip(columns, cells[1:], strict=True):
                value, is_share = self.parse_index(cell, row.line, column.term)
                share = share or is_share
                parsed.append(value)
            values.append(parsed)
        return labels, values, share

    def read_columns(self, header: _Row) -> list[_Column]:
        headers = header.cells[1:]
        if len(headers) > MAX_TERMS:
            raise self.fail_at(
                header.line,
                f"names {len(headers)} terms, but Google Trends compares at most "
                f"{MAX_TERMS}, so {_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
            )
        columns = []
        for position, text in enumerate(headers, start=2):
            if not text:
                raise self.fail_at(
                    header.line,
                    f"has no term name in column {position}, so "
                    f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
                )
            columns.append(_parse_column_header(text))
        names = [column.term for column in columns]
        if len(set(names)) < len(names):
            # The same term compared in two regions: tell the columns apart.
            for column in columns:
                if names.count(column.term) > 1:
                    column.term = f"{column.term} ({column.geo or column.header})"
        return columns

    def parse_index(self, text: str, line: int, term: str) -> tuple[float, bool]:
        """Return the value of one cell and whether it was a percent share."""
        if not text:
            return math.nan, False
        share = text.endswith("%")
        number = text.removesuffix("%").strip()
        if number == "<1":
            return LESS_THAN_ONE, share
        if self.delimiter != ",":
            number = number.replace(",", ".")
        try:
            value = float(number)
        except ValueError:
            value = math.nan
        if math.isnan(value) or not 0 <= value <= 100:
            raise self.fail_at(
                line,
                f"has '{text}' for '{term}', but Google Trends values are numbers "
                "from 0 to 100 or '<1', so upload the export unchanged.",
            )
        return value, share

    def parse_dates(
        self, labels: list[str], rows: list[_Row]
    ) -> pd.DatetimeIndex | None:
        matches = [bool(_DATE_LIKE.match(label)) for label in labels]
        if not matches[0]:
            return None
        if not all(matches):
            position = matches.index(False)
            raise self.fail_at(
                rows[position].line,
                f"has '{labels[position]}' where a date is expected, so "
                f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
            )
        unordered: pd.DatetimeIndex | None = None
        for date_format in _DATE_FORMATS:
            try:
                dates = pd.DatetimeIndex(pd.to_datetime(labels, format=date_format))
            except (ValueError, TypeError):
                continue
            if dates.tz is not None:
                # Keep the wall-clock times the export shows.
                dates = dates.tz_localize(None)
            if dates.is_monotonic_increasing and dates.is_unique:
                return dates.rename("date")
            if unordered is None:
                unordered = dates
        if unordered is None:
            raise self.fail_at(
                rows[0].line,
                "starts a column of dates that do not share one date format, so "
                f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
            )
        position = next(
            index
            for index in range(1, len(unordered))
            if unordered[index] <= unordered[index - 1]
        )
        raise self.fail_at(
            rows[position].line,
            f"has the date '{labels[position]}' after '{labels[position - 1]}', but "
            "a Trends time series runs forward in time, so "
            f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
        )

    def build_time_series(
        self,
        header: _Row,
        columns: list[_Column],
        terms: list[str],
        dates: pd.DatetimeIndex,
        values: list[list[float]],
    ) -> TrendsData:
        frame = pd.DataFrame(values, index=dates, columns=terms, dtype=float)
        granularity = _granularity_from_spacing(dates) or _TIME_COLUMN_GRANULARITY.get(
            header.cells[0].casefold(), ""
        )
        start, end = dates.min().date().isoformat(), dates.max().date().isoformat()
        # NOTE: none of the website exports seen so far marks an incomplete
        # last period (the API's isPartial flag does not reach the CSV), so
        # partial_last stays False for files.
        return TrendsData(
            terms=terms,
            interest_over_time=frame,
            granularity=granularity,
            geo=_common_text(column.geo for column in columns),
            timeframe=f"{start} {end}",
        )

    # Related queries and topics

    def read_related(self, rows: list[_Row]) -> TrendsData:
        self.kind = (
            "related topics" if _names_topics(self.filename) else "related queries"
        )
        related_kind = "topics" if self.kind == "related topics" else "queries"
        sections: list[_RelatedSection] = []
        term, geo, timeframe = "", "", ""
        seen_category = False
        for row in rows:
            if len(row.cells) == 1:
                text = row.cells[0]
                match = _TERM_HEADER.match(text)
                if match:
                    term = match["term"].strip()
                    geo, timeframe = _split_detail(match["detail"])
                elif not seen_category and not sections and _is_category_line(text):
                    seen_category = True
                else:
                    sections.append(_RelatedSection(term=term, name=text))
                continue
            if not sections:
                raise self.fail_at(
                    row.line,
                    "comes before any TOP or RISING line, which a related queries "
                    f"export starts with, so {_DOWNLOAD_AGAIN_HINT}.",
                )
            if len(row.cells) > 2:
                raise self.fail_at(
                    row.line,
                    f"has {len(row.cells)} values, but a related queries list has "
                    "a label and one value per line, so "
                    f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
                )
            if not row.cells[0]:
                raise self.fail_at(
                    row.line,
                    "has a value but no query or topic label, so "
                    f"{_DOWNLOAD_AGAIN_HINT} and upload it unchanged.",
                )
            sections[-1].rows.append(row)
        lists: dict[str, RelatedList] = {}
        for section in sections:
            related = lists.setdefault(
                section.term, RelatedList(term=section.term, kind=related_kind)
            )
            if _is_rising_section(section):
                related.rising.extend(self.parse_rising(row) for row in section.rows)
            else:
                related.top.extend(self.parse_top(row) for row in section.rows)
        return TrendsData(
            terms=[name for name in lists if name],
            related=list(lists.values()),
            geo=geo,
            timeframe=timeframe,
        )

    def parse_top(self, row: _Row) -> RelatedItem:
        label, display = row.cells[0], row.cells[1]
        value, _ = self.parse_index(display, row.line, label)
        return RelatedItem(label=label, value=value, display=display)

    def parse_rising(self, row: _Row) -> RelatedItem:
        label, display = row.cells[0], row.cells[1]
        match = _PERCENT_INCREASE.match(display)
        if match:
            digits = re.sub(r"\D", "", match["digits"])
            return RelatedItem(label=label, value=float(digits), display=display)
        if re.fullmatch(r"\d+(?:\.\d+)?", display):
            return RelatedItem(label=label, value=float(display), display=display)
        # "Breakout", or its translation ("급등"): an increase above 5000 %.
        return RelatedItem(label=label, value=None, display=display, breakout=True)


def _decode_utf16_without_mark(content: bytes) -> str | None:
    """Decode UTF-16 text saved without a byte order mark, or return None.

    In such text nearly every second byte of ASCII characters is zero.
    """
    if len(content) % 2:
        return None
    half = len(content) // 2
    for encoding, zero_bytes in (
        ("utf-16-le", content[1::2]),
        ("utf-16-be", content[0::2]),
    ):
        if zero_bytes.count(0) >= half * 0.9:
            try:
                return content.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _choose_delimiter(lines: list[str]) -> str:
    """Return the separator found on the most of the first non-empty lines."""
    sample = [line for line in lines[:200] if line.strip()][:50]
    counts = {
        delimiter: sum(1 for line in sample if delimiter in line)
        for delimiter in _DELIMITERS
    }
    # max() keeps the first of equal counts, so a comma wins a tie.
    return max(_DELIMITERS, key=lambda delimiter: counts[delimiter])


def _is_category_line(text: str) -> bool:
    return bool(re.search(r"[:\uff1a]", text)) and not _TERM_HEADER.match(text)


def _parse_column_header(text: str) -> _Column:
    match = _TERM_HEADER.match(text)
    if not match:
        return _Column(header=text, term=text)
    geo, timeframe = _split_detail(match["detail"])
    return _Column(
        header=text, term=match["term"].strip(), geo=geo, timeframe=timeframe
    )


def _split_detail(detail: str) -> tuple[str, str]:
    """Split ``9/15/24 - 9/15/25, United States`` into geo and date range."""
    geo_parts = []
    timeframe = ""
    for part in (piece.strip() for piece in detail.split(",")):
        if _DATE_RANGE.search(part):
            timeframe = re.sub(r"\s*[-\u2013\u2014]\s*", " - ", part)
        elif part:
            geo_parts.append(part)
    return ", ".join(geo_parts), timeframe


def _granularity_from_spacing(dates: pd.DatetimeIndex) -> str:
    if len(dates) < 2:
        return ""
    step = pd.Series(dates).diff().dropna().median()
    if step < pd.Timedelta(minutes=50):
        return ""
    if step < pd.Timedelta(hours=2):
        return "hourly"
    if step < pd.Timedelta(days=2):
        return "daily"
    if step < pd.Timedelta(days=10):
        return "weekly"
    if step < pd.Timedelta(days=40):
        return "monthly"
    return ""


def _common_text(values) -> str:
    """Join the distinct non-empty values, in order of first appearance."""
    distinct = list(dict.fromkeys(value for value in values if value))
    return ", ".join(distinct)


def _names_topics(filename: str) -> bool:
    name = filename.casefold()
    return "entit" in name or "topic" in name


def _is_rising_section(section: _RelatedSection) -> bool:
    if section.name.casefold() in _RISING_SECTION_NAMES:
        return True
    # The section name is translated, so judge by the values. A rising list
    # has "+150%" or "Breakout", and a top list has indexes from 0 to 100.
    for row in section.rows:
        value = row.cells[1]
        if value.endswith("%") or not re.fullmatch(r"<?\d+(?:[.,]\d+)?", value):
            return True
    return False


def _shorten(cells: list[str], limit: int = 60) -> str:
    text = ",".join(cells)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe_trends_data(data: TrendsData) -> str:
    """Return one short sentence describing what ``data`` contains.

    For example "Interest over time for pizza and bagel, weekly, 2021-01-03
    to 2026-01-01, Worldwide".
    """
    pieces: list[str] = []
    extras: list[str] = []
    series = data.interest_over_time
    if series is not None and not series.empty:
        detail = [f"interest over time for {_join_words(list(series.columns))}"]
        if data.granularity:
            detail.append(data.granularity)
        start, end = series.index.min(), series.index.max()
        detail.append(f"{start.date().isoformat()} to {end.date().isoformat()}")
        pieces.append(", ".join(detail))
    regions = data.interest_by_region
    if regions is not None and not regions.empty:
        where = _RESOLUTION_WORDS.get(data.region_resolution, "region")
        if pieces:
            extras.append(f"interest by {where}")
        else:
            detail = [f"interest by {where} for {_join_words(list(regions.columns))}"]
            if data.region_values == "share":
                detail.append("as percent shares")
            if data.timeframe:
                detail.append(data.timeframe)
            pieces.append(", ".join(detail))
    for related in data.related:
        name = f"related {related.kind}"
        if pieces:
            extras.append(name)
            continue
        subject = f"{name} for {related.term}" if related.term else name
        if not related.term and data.category:
            subject += f" in the category {data.category}"
        counts = f"{len(related.top)} top and {len(related.rising)} rising"
        detail = [f"{subject} ({counts})"]
        if data.timeframe:
            detail.append(data.timeframe)
        pieces.append(", ".join(detail))
    if not pieces:
        return "No trends data"
    sentence = pieces[0]
    if data.geo:
        sentence += f", {data.geo}"
    extras = list(dict.fromkeys(extras))
    if extras:
        sentence += f", with {_join_words(extras)}"
    return sentence[0].upper() + sentence[1:]


def merge_trends_data(parts: list[TrendsData]) -> TrendsData:
    """Combine exports of the same terms into one dataset.

    An analyst may upload a time series, a region file and related lists
    together. Terms keep the order in which they first appear, and a column
    that two parts share is taken from the first.
    """
    if not parts:
        raise TrendsFileError(
            "No trends data was given to combine, so upload at least one "
            "Google Trends CSV export."
        )
    if len(parts) == 1:
        return parts[0]
    series_parts = [part for part in parts if part.interest_over_time is not None]
    granularities = list(dict.fromkeys(part.granularity for part in series_parts))
    if len(granularities) > 1:
        raise TrendsFileError(
            "The files mix interest over time of different granularity ("
            + " and ".join(value or "unknown" for value in granularities)
            + "), so upload time series exported for the same time range."
        )
    region_parts = [part for part in parts if part.interest_by_region is not None]
    resolutions = list(
        dict.fromkeys(
            part.region_resolution for part in region_parts if part.region_resolution
        )
    )
    value_kinds = list(dict.fromkeys(part.region_values for part in region_parts))
    if len(resolutions) > 1 or len(value_kinds) > 1:
        raise TrendsFileError(
            "The files mix interest by region of different kinds ("
            + " and ".join(resolutions + value_kinds)
            + "), so upload region files of one resolution from one comparison."
        )
    terms = list(dict.fromkeys(term for part in parts for term in part.terms))
    related: list[RelatedList] = []
    for part in parts:
        for item in part.related:
            if not any(
                existing.term == item.term and existing.kind == item.kind
                for existing in related
            ):
                related.append(item)
    main = series_parts[0] if series_parts else parts[0]
    sources = {part.source for part in parts}
    fetched = [part.fetched_at for part in parts if part.fetched_at]
    return TrendsData(
        terms=terms,
        interest_over_time=_join_columns(
            [part.interest_over_time for part in series_parts], sort=True
        ),
        interest_by_region=_join_columns(
            [part.interest_by_region for part in region_parts], sort=False
        ),
        related=related,
        granularity=main.granularity,
        partial_last=any(part.partial_last for part in series_parts),
        geo=main.geo or _first_text(part.geo for part in parts),
        region_resolution=_first_text(part.region_resolution for part in region_parts),
        region_values=region_parts[0].region_values if region_parts else "index",
        category=_first_text(part.category for part in parts),
        timeframe=main.timeframe or _first_text(part.timeframe for part in parts),
        source=sources.pop() if len(sources) == 1 else "file",
        provenance="; ".join(
            dict.fromkeys(part.provenance for part in parts if part.provenance)
        ),
        query=_merge_queries([part.query for part in parts]),
        fetched_at=max(fetched) if fetched else None,
    )


_RESOLUTION_WORDS = {
    "COUNTRY": "country",
    "REGION": "region",
    "CITY": "city",
    "DMA": "metro",
}


def _join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _join_columns(
    frames: list[pd.DataFrame | None], *, sort: bool
) -> pd.DataFrame | None:
    present = [frame for frame in frames if frame is not None]
    if not present:
        return None
    joined = present[0]
    for frame in present[1:]:
        new_columns = [
            column for column in frame.columns if column not in joined.columns
        ]
        if len(new_columns) < len(frame.columns):
            logger.info(
                "Merging kept the first copy of columns %s", list(frame.columns)
            )
        if new_columns:
            joined = pd.concat([joined, frame[new_columns]], axis=1, sort=False)
    # Dates are sorted, but regions keep the export's order (highest value first).
    return joined.sort_index() if sort else joined


def _first_text(values) -> str:
    return next((value for value in values if value), "")


def _merge_queries(queries: list[dict]) -> dict:
    merged: dict = {}
    for query in queries:
        for key, value in query.items():
            if isinstance(value, list):
                merged.setdefault(key, [])
                merged[key] = merged[key] + value
            else:
                merged.setdefault(key, value)
    return merged
