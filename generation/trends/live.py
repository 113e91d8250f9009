"""Live Google Trends data through pytrends, aimed at the configured base URL.

pytrends (4.9) performs the protocol: the cookie request, the explore request
that hands out one token per widget, and the autocomplete request. The widget
requests go through the same client with the payloads pytrends builds, but
their JSON is parsed here. pytrends' DataFrames drop what an analyst needs:
``formattedValue`` (``<1``, ``Breakout``, ``+400%``), ``hasData`` (regions
with no data) and ``isPartial`` flags sent as text. pytrends 4.9 itself runs
on pandas 3 without errors for these calls.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import pandas as pd
import requests
from pytrends.request import BASE_TRENDS_URL, TrendReq

from generation.config import Settings, get_settings
from generation.errors import InvalidRequest, NoTrendsData, TrendsUnavailable
from generation.models import DEFAULT_CATEGORIES, utcnow
from generation.requests import MAX_TOPIC_CHARS, clean_text
from generation.trends.base import LESS_THAN_ONE, RelatedItem, RelatedList, TrendsData
from generation.trends.query import TrendsQuery
from generation.trends.transport import TrendsTransport

logger = logging.getLogger(__name__)

# Google's time-series resolutions, named the way TrendsData.granularity is.
GRANULARITIES: Final = {
    "MINUTE": "minute",
    "EIGHT_MINUTE": "minute",
    "SIXTEEN_MINUTE": "minute",
    "HOUR": "hourly",
    "DAY": "daily",
    "WEEK": "weekly",
    "MONTH": "monthly",
}
# Rising lists show "+NNN%"; anything else there is Google's localised word
# for a breakout (an increase above 5000 %), such as "Breakout" in English.
_PERCENT_INCREASE = re.compile(r"^\+?\s*([\d.,\s]+)\s*%$")
_XSSI_PREFIX = ")]}'"


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete entry: a Trends topic (with its mid) or a plain query."""

    title: str
    type: str
    mid: str


class TrendReqAtBaseUrl(TrendReq):
    """pytrends' client with every request sent through ``TrendsTransport``.

    pytrends reads its URLs from class attributes of ``TrendReq`` by class
    name (``TrendReq.GENERAL_URL``), so setting them on an instance has no
    effect and changing the class would redirect every other thread too.
    Instead each URL is rebased onto the transport's base URL as it is sent.
    """

    def __init__(self, transport: TrendsTransport, *, hl: str, tz: int) -> None:
        self._transport = transport
        # retries and backoff_factor stay 0: the transport does the retrying.
        super().__init__(
            hl=hl,
            tz=tz,
            geo="",
            timeout=(5, transport.timeout),
            retries=0,
            backoff_factor=0,
        )

    def GetGoogleCookie(self) -> dict[str, str]:
        """Return Google's NID cookie, which later requests send back."""
        url = self._rebase(f"{BASE_TRENDS_URL}/explore/?geo={self.hl[-2:]}")
        response = self._transport.send("get", url)
        return {
            name: value for name, value in response.cookies.items() if name == "NID"
        }

    def _get_data(
        self, url: str, method: str = TrendReq.GET_METHOD, trim_chars: int = 0, **kwargs
    ) -> Any:
        # No cookies= here: the transport's session already contains the NID
        # cookie from GetGoogleCookie, and passing it again sends it twice.
        response = self._transport.send(
            method, self._rebase(url), params=kwargs.get("params"), headers=self.headers
        )
        return decode_trends_json(response)

    def _rebase(self, url: str) -> str:
        if not url.startswith(BASE_TRENDS_URL):
            raise ValueError(f"pytrends asked for {url}, outside Google Trends")
        return self._transport.url("/trends" + url.removeprefix(BASE_TRENDS_URL))


class LiveTrendsSource:
    """Interest over time, by region, related queries and topics, and suggestions.

    The pytrends client is created inside each call, never earlier, because
    its constructor already sends a request to Google.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        transport_factory: Callable[[Settings], TrendsTransport] = TrendsTransport,
    ) -> None:
        self.settings = settings or get_settings()
        self._transport_factory = transport_factory

    @property
    def base_url(self) -> str:
        return self.settings.trends_base_url.rstrip("/")

    def fetch(self, query: TrendsQuery) -> TrendsData:
        """Fetch everything Google Trends shows for ``query``.

        Raises ``NoTrendsData`` when Google has too little data for the terms,
        and ``TrendsUnavailable`` (or ``TrendsRateLimited``) when the requests
        fail or the responses have an unexpected format.
        """
        client = self._connect()
        fetched_at = utcnow()
        try:
            client.build_payload(
                list(query.terms),
                cat=query.category,
                timeframe=query.timeframe,
                geo=query.geo,
                gprop=query.gprop,
            )
            data = self._fetch_widgets(client, query)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            logger.warning("Unexpected Google Trends response: %r", error)
            raise TrendsUnavailable(
                "Google Trends sent a response in a format this app does not recognise; "
                "try again later, and report it if it persists."
            ) from error
        data.fetched_at = fetched_at
        data.provenance = (
            f"Google Trends live ({self.base_url}), fetched "
            f"{fetched_at:%Y-%m-%d %H:%M} UTC"
        )
        logger.info(
            "Fetched live trends for %s (%s, %s)",
            list(query.terms),
            query.timeframe,
            query.geo or "worldwide",
        )
        return data

    def suggest(self, word: str) -> list[Suggestion]:
        """Return Google's autocomplete topics for ``word`` (empty word: [])."""
        text = " ".join(clean_text(word).split())
        if not text:
            return []
        if len(text) > MAX_TOPIC_CHARS:
            raise InvalidRequest(
                f"The word to look up is {len(text)} characters long; the limit is "
                f"{MAX_TOPIC_CHARS}.",
                field="terms",
            )
        client = self._connect()
        try:
            topics = client.suggestions(text)
            return [
                Suggestion(
                    title=str(topic["title"]),
                    type=str(topic.get("type", "")),
                    mid=str(topic.get("mid", "")),
                )
                for topic in topics
            ]
        except (KeyError, TypeError) as error:
            raise TrendsUnavailable(
                "Google Trends sent suggestions in a format this app does not "
                "recognise; type the term in full instead."
            ) from error

    def _connect(self) -> TrendReqAtBaseUrl:
        transport = self._transport_factory(self.settings)
        return TrendReqAtBaseUrl(
            transport, hl=self.settings.trends_hl, tz=self.settings.trends_tz
        )

    def _fetch_widgets(
        self, client: TrendReqAtBaseUrl, query: TrendsQuery
    ) -> TrendsData:
        timeline_widget = client.interest_over_time_widget
        if not timeline_widget:
            raise NoTrendsData(_no_data_sentence(query))
        timeline = client._get_data(
            TrendReq.INTEREST_OVER_TIME_URL,
            params=_widget_params(timeline_widget, client.tz),
        )
        over_time, partial_last = parse_timeline(timeline, query)

        by_region = None
        region_values = "index"
        if client.interest_by_region_widget:
            region_widget = copy.deepcopy(client.interest_by_region_widget)
            region_widget["request"]["resolution"] = query.resolution
            region_widget["request"]["includeLowSearchVolumeGeos"] = False
            regions = client._get_data(
                TrendReq.INTEREST_BY_REGION_URL,
                params=_widget_params(region_widget, client.tz),
            )
            by_region = parse_regions(regions, query.terms)
            if region_widget["request"].get("dataMode") == "PERCENTAGES":
                region_values = "share"

        related: list[RelatedList] = []
        for kind, widgets in (
            ("queries", client.related_queries_widget_list),
            ("topics", client.related_topics_widget_list),
        ):
            for position, widget in enumerate(widgets):
                response = client._get_data(
                    TrendReq.RELATED_QUERIES_URL,
                    params=_widget_params(widget, client.tz),
                )
                term = _widget_term(widget, query.terms, position)
                related.append(parse_related(response, term, kind))

        return TrendsData(
            terms=list(query.terms),
            interest_over_time=over_time,
            interest_by_region=by_region,
            related=related,
            granularity=GRANULARITIES.get(
                str(timeline_widget["request"].get("resolution", "")), ""
            ),
            partial_last=partial_last,
            geo=query.geo,
            region_resolution=query.resolution,
            region_values=region_values,
            category=_category_name(query.category),
            timeframe=query.timeframe,
            source="live",
            query=query.to_dict(),
        )


def decode_trends_json(response: requests.Response) -> Any:
    """Return the JSON of a Google Trends response, without its ``)]}'`` prefix.

    Raises ``TrendsUnavailable`` with a sentence for a non-200 status, an
    HTML page (Google's consent or robot check) or text that is not JSON.
    """
    path = urlsplit(response.url).path if response.url else ""
    if response.status_code != 200:
        raise TrendsUnavailable(
            f"Google Trends rejected the request to {path} with HTTP "
            f"{response.status_code}; check the query, or GOOGLE_TRENDS_BASE_URL "
            "if it points to a mirror."
        )
    text = response.text.lstrip()
    content_type = response.headers.get("Content-Type", "")
    if "text/html" in content_type or text.startswith("<"):
        raise TrendsUnavailable(
            "Google Trends sent a web page instead of data (often a consent or "
            "robot check); try again later."
        )
    if text.startswith(_XSSI_PREFIX):
        text = text.removeprefix(_XSSI_PREFIX).lstrip().removeprefix(",")
    try:
        return json.loads(text)
    except ValueError:
        raise TrendsUnavailable(
            f"Google Trends sent data from {path} that is not valid JSON; try "
            "again later."
        ) from None


def parse_timeline(
    payload: dict[str, Any], query: TrendsQuery
) -> tuple[pd.DataFrame, bool]:
    """Return interest over time (one float column per term) and the partial flag."""
    points = payload["default"]["timelineData"]
    if not points:
        raise NoTrendsData(_no_data_sentence(query))
    terms = list(query.terms)
    rows = [_point_values(point, len(terms)) for point in points]
    index = pd.DatetimeIndex(
        pd.to_datetime([int(point["time"]) for point in points], unit="s"), name="date"
    )
    frame = pd.DataFrame(rows, index=index, columns=terms, dtype=float)
    has_data = [
        any(_flags(point, "hasData", len(terms))[column] for point in points)
        for column in range(len(terms))
    ]
    if not any(has_data):
        raise NoTrendsData(_no_data_sentence(query))
    return frame.sort_index(), _is_true(points[-1].get("isPartial"))


def parse_regions(payload: dict[str, Any], terms: Sequence[str]) -> pd.DataFrame:
    """Return interest by region, without the regions Google has no data for."""
    rows: dict[str, list[float]] = {}
    for region in payload["default"]["geoMapData"]:
        if not any(_flags(region, "hasData", len(terms))):
            continue
        rows[str(region["geoName"])] = _point_values(region, len(terms))
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=list(terms), dtype=float
    )
    frame.index.name = "region"
    if not frame.empty:
        frame = frame.sort_index().sort_values(terms[0], ascending=False, kind="stable")
    return frame


def parse_related(payload: dict[str, Any], term: str, kind: str) -> RelatedList:
    """Return the top and rising lists of one related queries or topics response."""
    ranked = payload.get("default", {}).get("rankedList", [])
    lists = [entry.get("rankedKeyword", []) for entry in ranked]
    top = lists[0] if lists else []
    rising = lists[1] if len(lists) > 1 else []
    return RelatedList(
        term=term,
        kind=kind,  # type: ignore[arg-type]
        top=[_top_item(item) for item in top],
        rising=[_rising_item(item) for item in rising],
    )


def _top_item(item: dict[str, Any]) -> RelatedItem:
    display = str(item.get("formattedValue", item.get("value", "")))
    value = LESS_THAN_ONE if display.strip().startswith("<") else float(item["value"])
    return RelatedItem(label=_related_label(item), value=value, display=display)


def _rising_item(item: dict[str, Any]) -> RelatedItem:
    display = str(item.get("formattedValue", ""))
    match = _PERCENT_INCREASE.match(display.strip())
    if match is None:
        return RelatedItem(
            label=_related_label(item), value=None, display=display, breakout=True
        )
    digits = re.sub(r"[^\d]", "", match.group(1))
    value = float(digits) if digits else float(item["value"])
    return RelatedItem(label=_related_label(item), value=value, display=display)


def _related_label(item: dict[str, Any]) -> str:
    if "topic" in item:
        return str(item["topic"]["title"])
    return str(item["query"])


def _point_values(point: dict[str, Any], width: int) -> list[float]:
    values = point["value"]
    shown = point.get("formattedValue") or [""] * width
    if len(values) != width:
        raise ValueError(f"expected {width} values, got {len(values)}")
    # Google sends 0 with the text "<1" for "above zero but below one".
    return [
        LESS_THAN_ONE if str(text).strip().startswith("<") else float(value)
        for value, text in zip(values, shown, strict=False)
    ]


def _flags(point: dict[str, Any], name: str, width: int) -> list[bool]:
    flags = point.get(name)
    if flags is None:
        return [True] * width
    return [_is_true(flag) for flag in flags]


def _is_true(flag: Any) -> bool:
    # isPartial has come back as a JSON boolean and as the text "true"/"True".
    if isinstance(flag, str):
        return flag.strip().casefold() in ("true", "1", "yes")
    return bool(flag)


def _widget_params(widget: dict[str, Any], tz: int) -> dict[str, Any]:
    return {"req": json.dumps(widget["request"]), "token": widget["token"], "tz": tz}


def _widget_term(widget: dict[str, Any], terms: Sequence[str], position: int) -> str:
    try:
        keywords = widget["request"]["restriction"]["complexKeywordsRestriction"]
        return str(keywords["keyword"][0]["value"])
    except (KeyError, IndexError, TypeError):
        return terms[position] if position < len(terms) else terms[0]


def _category_name(category_id: int) -> str:
    for name, trends_id in DEFAULT_CATEGORIES:
        if trends_id == category_id:
            return name
    return f"Category {category_id}"


def _no_data_sentence(query: TrendsQuery) -> str:
    quoted = [f"'{term}'" for term in query.terms]
    terms = (
        quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    )
    where = query.geo or "worldwide"
    return (
        f"Google Trends has too little search data for {terms} ({query.timeframe}, "
        f"{where}) to show; try a longer timeframe, a wider region or a more "
        "common term."
    )
