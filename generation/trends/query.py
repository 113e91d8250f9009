"""A live Google Trends query and its validation, done before any request.

Every rule here exists because Google Trends would otherwise respond with an
error page, an empty frame or HTTP 400 after a slow round trip; rejecting the
query first gives the analyst one sentence next to the field that is wrong.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final

import pycountry

from generation.config import get_settings
from generation.errors import InvalidRequest
from generation.models import DEFAULT_CATEGORIES
from generation.requests import MAX_TOPIC_CHARS, clean_text

logger = logging.getLogger(__name__)

# Google Trends compares at most five terms in one request.
MAX_TERMS: Final = 5
# A stitched comparison chains requests of five terms; see trends.stitching.
MAX_STITCHED_TERMS: Final = 25

TIMEFRAMES: Final = (
    "now 1-H",
    "now 4-H",
    "now 1-d",
    "now 7-d",
    "today 1-m",
    "today 3-m",
    "today 12-m",
    "today 5-y",
    "all",
)
DEFAULT_TIMEFRAME: Final = "today 12-m"
# Google Trends has data from 1 January 2004 onwards.
FIRST_TRENDS_DAY: Final = date(2004, 1, 1)
_DATE_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2}) (\d{4}-\d{2}-\d{2})$")

# Property names as the analyst sees them, mapped to pytrends' ``gprop``.
PROPERTIES: Final = {
    "web": "",
    "news": "news",
    "images": "images",
    "youtube": "youtube",
    "shopping": "froogle",
}
_PROPERTY_ALIASES: Final = {**PROPERTIES, "": "", "froogle": "froogle"}

# Google's names for the region levels of interest by region. DMA is
# Nielsen's designated market area, which Google Trends calls "metro".
RESOLUTIONS: Final = ("COUNTRY", "REGION", "DMA", "CITY")
_RESOLUTION_ALIASES: Final = {
    "country": "COUNTRY",
    "region": "REGION",
    "subregion": "REGION",
    "dma": "DMA",
    "metro": "DMA",
    "city": "CITY",
}
# Kosovo has a Google Trends page but no ISO 3166-1 code of its own.
_EXTRA_COUNTRIES: Final = {"XK"}
_GEO_PATTERN = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3})(?:-(\d{3}))?)?$")


@dataclass(frozen=True)
class TrendsQuery:
    """One validated live query: build it with ``validate_query``."""

    terms: tuple[str, ...]
    timeframe: str = DEFAULT_TIMEFRAME
    # "" is worldwide; otherwise an ISO 3166 code such as GB or US-CA.
    geo: str = ""
    category: int = 0
    # pytrends' gprop: "" (web search), news, images, youtube or froogle.
    gprop: str = ""
    # Level of interest by region: COUNTRY, REGION, DMA or CITY.
    resolution: str = "COUNTRY"

    def to_dict(self) -> dict[str, Any]:
        """Return the query as JSON-safe values that ``query_from_dict`` reads."""
        return {
            "terms": list(self.terms),
            "timeframe": self.timeframe,
            "geo": self.geo,
            "category": self.category,
            "gprop": self.gprop,
            "resolution": self.resolution,
        }

    def normalised_key(self) -> str:
        """Return a SHA-256 hex digest that is equal for equal queries."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def property_name(self) -> str:
        """Return the property as the analyst names it (web, shopping, ...)."""
        for name, gprop in PROPERTIES.items():
            if gprop == self.gprop:
                return name
        return self.gprop


def validate_query(
    terms: Sequence[str] | str,
    timeframe: str = DEFAULT_TIMEFRAME,
    geo: str | None = None,
    category: int | str = 0,
    gprop: str = "",
    resolution: str | None = None,
    *,
    known_categories: Iterable[int] = (),
    today: date | None = None,
) -> TrendsQuery:
    """Return a normalised query, or raise ``InvalidRequest`` naming the field.

    ``geo`` None means the TRENDS_GEO setting; "" means worldwide.
    ``known_categories`` adds category ids (for example from the Category
    table) to the ones in ``DEFAULT_CATEGORIES``. ``today`` defaults to the
    current UTC date and decides whether a date range lies in the future.
    """
    clean_terms = validate_terms(terms)
    clean_geo = validate_geo(get_settings().trends_geo if geo is None else geo)
    return TrendsQuery(
        terms=clean_terms,
        timeframe=_validate_timeframe(timeframe, today or datetime.now(UTC).date()),
        geo=clean_geo,
        category=_validate_category(category, known_categories),
        gprop=_validate_property(gprop),
        resolution=_validate_resolution(resolution, clean_geo),
    )


def query_from_dict(
    data: Mapping[str, Any], *, known_categories: Iterable[int] = ()
) -> TrendsQuery:
    """Validate a query stored as a dict, such as a request's ``trends_query``."""
    unknown = set(data) - {
        "terms",
        "timeframe",
        "geo",
        "category",
        "gprop",
        "property",
        "resolution",
    }
    if unknown:
        name = min(unknown)
        raise InvalidRequest(
            f"The trends query has an unknown field '{name}'; use terms, timeframe, "
            "geo, category, gprop and resolution.",
            field=name,
        )
    return validate_query(
        data.get("terms") or [],
        timeframe=data.get("timeframe") or DEFAULT_TIMEFRAME,
        geo=data.get("geo"),
        category=data.get("category") or 0,
        gprop=data.get("gprop", data.get("property")) or "",
        resolution=data.get("resolution"),
        known_categories=known_categories,
    )


def default_resolution(geo: str) -> str:
    """Return the region level Google shows first: countries worldwide, else regions."""
    if not geo:
        return "COUNTRY"
    return "REGION" if "-" not in geo else "CITY"


def validate_terms(
    terms: Sequence[str] | str, *, max_terms: int = MAX_TERMS
) -> tuple[str, ...]:
    """Return the cleaned terms, or raise ``InvalidRequest`` (field "terms").

    ``max_terms`` above five is for stitched comparisons, which send several
    requests of at most five terms each.
    """
    if isinstance(terms, str):
        # A single string is one term: splitting on commas would break terms
        # such as "paris, texas" that Google Trends accepts as one search.
        terms = [terms]
    cleaned: list[str] = []
    seen: dict[str, str] = {}
    for position, raw in enumerate(terms, start=1):
        term = " ".join(clean_text(str(raw)).split())
        if not term:
            raise InvalidRequest(
                f"Term {position} is empty; type a search term or remove it.",
                field="terms",
            )
        if len(term) > MAX_TOPIC_CHARS:
            raise InvalidRequest(
                f"Term {position} is {len(term)} characters long; Google Trends "
                f"takes at most {MAX_TOPIC_CHARS}. Shorten it.",
                field="terms",
            )
        folded = term.casefold()
        if folded in seen:
            raise InvalidRequest(
                f"'{term}' is entered twice (as '{seen[folded]}' too); "
                "give each term once.",
                field="terms",
            )
        seen[folded] = term
        cleaned.append(term)
    if not cleaned:
        raise InvalidRequest("Enter at least one search term.", field="terms")
    if len(cleaned) > max_terms:
        extra = len(cleaned) - max_terms
        limit = (
            f"Google Trends compares at most {max_terms} at once"
            if max_terms <= MAX_TERMS
            else f"a stitched comparison takes at most {max_terms}"
        )
        raise InvalidRequest(
            f"{len(cleaned)} terms were given; {limit}. "
            f"Remove {extra} term{'s' if extra > 1 else ''}.",
            field="terms",
        )
    return tuple(cleaned)


def _validate_timeframe(timeframe: str, today: date) -> str:
    text = " ".join(str(timeframe).split())
    for known in TIMEFRAMES:
        if text.casefold() == known.casefold():
            return known
    match = _DATE_RANGE.match(text)
    if match is None:
        raise InvalidRequest(
            f"'{text}' is not a Google Trends timeframe; use one of "
            f"{', '.join(TIMEFRAMES)}, or a date range such as "
            "'2024-01-01 2024-06-30'.",
            field="timeframe",
        )
    start, end = (_parse_day(part) for part in match.groups())
    if start >= end:
        raise InvalidRequest(
            f"The date range starts on {start} and ends on {end}; the start must "
            "come before the end.",
            field="timeframe",
        )
    if start < FIRST_TRENDS_DAY:
        raise InvalidRequest(
            f"The date range starts on {start}, but Google Trends data begins on "
            f"{FIRST_TRENDS_DAY}; start on or after that day.",
            field="timeframe",
        )
    if end > today:
        raise InvalidRequest(
            f"The date range ends on {end}, which is in the future; end it on "
            f"{today} or earlier.",
            field="timeframe",
        )
    return f"{start} {end}"


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"'{text}' is not a valid date; write dates as YYYY-MM-DD.",
            field="timeframe",
        ) from None


def validate_geo(geo: str) -> str:
    """Return the region code in upper case ("" is worldwide), or raise InvalidRequest."""
    code = str(geo or "").strip().upper().replace("_", "-")
    if not code:
        return ""
    match = _GEO_PATTERN.match(code)
    country_code = match.group(1) if match else ""
    country = pycountry.countries.get(alpha_2=country_code) if country_code else None
    if country is None and country_code not in _EXTRA_COUNTRIES:
        raise InvalidRequest(
            f"'{geo}' is not a region code Google Trends knows; use a two-letter "
            "country code such as GB, a subdivision such as US-CA, or leave it "
            "empty for worldwide.",
            field="geo",
        )
    subdivision = match.group(2)
    if subdivision:
        subdivision_code = f"{country_code}-{subdivision}"
        if pycountry.subdivisions.get(code=subdivision_code) is None:
            country_name = country.name if country else country_code
            raise InvalidRequest(
                f"'{subdivision_code}' is not a subdivision of {country_name}; use "
                "an ISO 3166-2 code such as US-CA or GB-ENG.",
                field="geo",
            )
    return code


def _validate_category(category: int | str, known_categories: Iterable[int]) -> int:
    known = {trends_id for _name, trends_id in DEFAULT_CATEGORIES}
    known.update(int(trends_id) for trends_id in known_categories)
    by_name = {name.casefold(): trends_id for name, trends_id in DEFAULT_CATEGORIES}
    if isinstance(category, str) and category.strip().casefold() in by_name:
        return by_name[category.strip().casefold()]
    try:
        category_id = int(str(category).strip())
    except ValueError:
        raise InvalidRequest(
            f"'{category}' is not a Google Trends category; pick one from the list.",
            field="category",
        ) from None
    if category_id not in known:
        raise InvalidRequest(
            f"Category {category_id} is not a known Google Trends category; pick "
            "one from the list, or add it in Settings with its Trends id.",
            field="category",
        )
    return category_id


def _validate_property(gprop: str) -> str:
    name = str(gprop or "").strip().casefold()
    if name not in _PROPERTY_ALIASES:
        raise InvalidRequest(
            f"'{gprop}' is not a Google Trends property; use web, news, images, "
            "youtube or shopping.",
            field="gprop",
        )
    return _PROPERTY_ALIASES[name]


def _validate_resolution(resolution: str | None, geo: str) -> str:
    if resolution is None or not str(resolution).strip():
        return default_resolution(geo)
    name = str(resolution).strip()
    level = _RESOLUTION_ALIASES.get(name.casefold(), name.upper())
    if level not in RESOLUTIONS:
        raise InvalidRequest(
            f"'{resolution}' is not a region level; use country, region, metro "
            "or city.",
            field="resolution",
        )
    if level == "DMA" and not geo.startswith("US"):
        raise InvalidRequest(
            "Metro areas exist only in the United States; set the region to US "
            "(or a US state) or pick region or city.",
            field="resolution",
        )
    if level == "COUNTRY" and geo:
        raise InvalidRequest(
            f"Interest by country needs a worldwide query, but the region is "
            f"{geo}; pick region or city, or clear the region.",
            field="resolution",
        )
    return level
