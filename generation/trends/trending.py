"""Today's trending searches per country, from Google Trends' public RSS feed.

The feed at ``{base}/trending/rss?geo=GB`` lists the searches of the last day
with an approximate traffic figure and a few news stories each. The older
daily and realtime trending endpoints that pytrends calls now return empty results
or 404, so they are not used. The XML is parsed with defusedxml, which refuses
entity expansion and external entities in a feed that arrives over the network
(or from a mirror set in GOOGLE_TRENDS_BASE_URL).
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from generation.config import Settings, get_settings
from generation.errors import InvalidRequest, TrendsUnavailable
from generation.trends.query import validate_geo
from generation.trends.transport import TrendsTransport

logger = logging.getLogger(__name__)

HT_NAMESPACE: Final = "https://trends.google.com/trending/rss"
_HT = f"{{{HT_NAMESPACE}}}"
_TRAFFIC = re.compile(r"^([\d.,]+)\s*([KkMm]?)\+?$")
_TRAFFIC_UNITS: Final = {"": 1, "K": 1_000, "M": 1_000_000}


@dataclass
class NewsItem:
    """A news story Google links to a trending search."""

    title: str
    url: str
    source: str = ""
    picture: str = ""


@dataclass
class TrendingSearch:
    """One trending search of the day in one country."""

    title: str
    # Google's rounded figure as shown, such as "200+", and its lower bound.
    approx_traffic: str
    traffic: int
    published: datetime | None
    picture: str = ""
    picture_source: str = ""
    news: list[NewsItem] = field(default_factory=list)
    geo: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> TrendingSearch:
        published = data.get("published")
        return cls(
            title=data["title"],
            approx_traffic=data.get("approx_traffic", ""),
            traffic=int(data.get("traffic", 0)),
            published=datetime.fromisoformat(published) if published else None,
            picture=data.get("picture", ""),
            picture_source=data.get("picture_source", ""),
            news=[NewsItem(**item) for item in data.get("news", [])],
            geo=data.get("geo", ""),
        )


def validate_trending_geo(geo: str) -> str:
    """Return the country code for the feed, or raise ``InvalidRequest``."""
    code = validate_geo(geo)
    if not code:
        raise InvalidRequest(
            "Trending searches are published per country; pick a country such "
            "as GB or US.",
            field="geo",
        )
    if "-" in code:
        raise InvalidRequest(
            f"Trending searches are published per country, not for {code}; use "
            f"{code.split('-')[0]}.",
            field="geo",
        )
    return code


def fetch_trending_now(
    geo: str,
    *,
    settings: Settings | None = None,
    transport: TrendsTransport | None = None,
) -> list[TrendingSearch]:
    """Fetch and parse the trending searches of the day for one country."""
    code = validate_trending_geo(geo)
    settings = settings or get_settings()
    transport = transport or TrendsTransport(settings)
    response = transport.send(
        "get",
        transport.url("/trending/rss"),
        params={"geo": code, "hl": settings.trends_hl},
    )
    if response.status_code != 200:
        raise TrendsUnavailable(
            f"The trending searches feed for {code} returned HTTP "
            f"{response.status_code}; try again later."
        )
    searches = parse_trending_rss(response.content, geo=code)
    logger.info("Fetched %d trending searches for %s", len(searches), code)
    return searches


def parse_trending_rss(body: bytes | str, *, geo: str = "") -> list[TrendingSearch]:
    """Parse the RSS feed's items; raise ``TrendsUnavailable`` if it is not RSS."""
    try:
        root = SafeElementTree.fromstring(body)
    except (SafeElementTree.ParseError, DefusedXmlException) as error:
        logger.warning("Unreadable trending feed: %s", error)
        raise TrendsUnavailable(
            "The trending searches feed is not readable RSS; try again later."
        ) from None
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise TrendsUnavailable(
            "The trending searches feed is not RSS (no channel); try again later."
        )
    return [_parse_item(item, geo) for item in channel.findall("item")]


def _parse_item(item: Element, geo: str) -> TrendingSearch:
    approx = _text(item, f"{_HT}approx_traffic")
    return TrendingSearch(
        title=_text(item, "title"),
        approx_traffic=approx,
        traffic=_traffic_lower_bound(approx),
        published=_parse_date(_text(item, "pubDate")),
        picture=_text(item, f"{_HT}picture"),
        picture_source=_text(item, f"{_HT}picture_source"),
        news=[
            NewsItem(
                title=_text(news, f"{_HT}news_item_title"),
                url=_text(news, f"{_HT}news_item_url"),
                source=_text(news, f"{_HT}news_item_source"),
                picture=_text(news, f"{_HT}news_item_picture"),
            )
            for news in item.findall(f"{_HT}news_item")
        ],
        geo=geo,
    )


def _text(element: Element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _traffic_lower_bound(approx: str) -> int:
    # "200+", "2,000+" or "2K+": the lower bound of Google's rounded figure.
    match = _TRAFFIC.match(approx.strip())
    if match is None:
        return 0
    number = float(match.group(1).replace(",", ""))
    return int(number * _TRAFFIC_UNITS[match.group(2).upper()])


def _parse_date(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
