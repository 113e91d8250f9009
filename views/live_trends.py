"""The live source of Explore: the query form, suggestions and trending now.

The query widgets are bound to the URL (q, date, geo, cat, gprop, resolution,
as on trends.google.com, and stitch), so a link reopens the same exploration.
All fetching, caching and validation happens in ``generation.trends.service``
and, for more than five terms, ``generation.trends.stitching``.
"""

from __future__ import annotations

import pandas as pd
import pycountry
import streamlit as st

from generation.config import get_settings
from generation.errors import InvalidRequest, NoTrendsData, TrendsUnavailable
from generation.queries import list_categories
from generation.trends import samples, service, stitching
from generation.trends.base import TrendsData
from generation.trends.query import (
    MAX_TERMS,
    PROPERTIES,
    TIMEFRAMES,
    TrendsQuery,
    validate_query,
)
from generation.trends.stitching import (
    MAX_STITCHED_TERMS,
    StitchedQuery,
    validate_stitched_query,
)

TERMS_KEY = "q"
STITCH_KEY = "stitch"
NOTICE_KEY = "live-notice"
TIMEFRAME_LABELS = {
    "now 1-H": "Past hour",
    "now 4-H": "Past 4 hours",
    "now 1-d": "Past day",
    "now 7-d": "Past 7 days",
    "today 1-m": "Past 30 days",
    "today 3-m": "Past 90 days",
    "today 12-m": "Past 12 months",
    "today 5-y": "Past 5 years",
    "all": "2004 to now",
}
RESOLUTION_LABELS = {
    "": "Automatic",
    "COUNTRY": "Countries",
    "REGION": "Regions",
    "DMA": "Metro areas (US)",
    "CITY": "Cities",
}
PROPERTY_LABELS = {
    "web": "Web search",
    "news": "News search",
    "images": "Image search",
    "youtube": "YouTube search",
    "shopping": "Google Shopping",
}
COUNTRIES = {country.alpha_2: country.name for country in pycountry.countries}


def live_trends() -> TrendsData | None:
    """Show the live query form and trending now; return the data to chart."""
    compare_tab, trending_tab = st.tabs(
        ["Compare terms", "Trending now"], key="live-view", bind="query-params"
    )
    # The feed is fetched only while its tab is open, so opening the live
    # source costs no request beyond the comparison itself.
    if trending_tab.open:
        with trending_tab:
            _trending_now()
    with compare_tab:
        _suggestions()
        return _compare()


def _compare() -> TrendsData | None:
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(notice)
    errors: dict[str, st.delta_generator.DeltaGenerator] = {}
    with st.form("live-query", border=True):
        terms = st.multiselect(
            "Search terms",
            options=list(st.session_state.get(TERMS_KEY) or []),
            key=TERMS_KEY,
            accept_new_options=True,
            bind="query-params",
            placeholder="Type a term and press Enter",
            help=f"Google Trends compares at most {MAX_TERMS} terms, each scaled "
            "0-100 against the highest point of all of them. Turn on stitching "
            f"below to compare up to {MAX_STITCHED_TERMS}.",
        )
        errors["terms"] = st.empty()
        stitch = st.toggle(
            f"Compare up to {MAX_STITCHED_TERMS} terms by stitching",
            key=STITCH_KEY,
            bind="query-params",
            help=f"Sends requests of {MAX_TERMS} terms that all include one anchor "
            "term, then rescales them onto one axis through the anchor. Each "
            "request counts against Google's rate limit.",
        )
        columns = st.columns(5)
        fields = {
            "timeframe": _timeframe_picker(columns[0]),
            "geo": _region_picker(columns[1]),
            "category": _category_picker(columns[2]),
            "gprop": columns[3].selectbox(
                "Property",
                list(PROPERTIES),
                format_func=PROPERTY_LABELS.__getitem__,
                key="gprop",
                bind="query-params",
            ),
            "resolution": columns[4].selectbox(
                "Regions by",
                list(RESOLUTION_LABELS),
                format_func=RESOLUTION_LABELS.__getitem__,
                key="resolution",
                bind="query-params",
            ),
        }
        for name, column in zip(fields, columns, strict=True):
            errors[name] = column.empty()
        st.form_submit_button("Compare", type="primary", icon=":material/query_stats:")

    if not terms:
        st.info(
            "Type up to five search terms and press Compare, pick a suggestion, or "
            "compare today's trending searches from the Trending now tab."
        )
        return None
    validate = validate_stitched_query if stitch else validate_query
    try:
        query = validate(
            terms,
            fields["timeframe"],
            geo=fields["geo"] or "",
            category=fields["category"],
            gprop=fields["gprop"],
            resolution=fields["resolution"] or None,
            known_categories=[item.trends_category_id for item in list_categories()],
        )
    except InvalidRequest as error:
        errors.get(error.field or "terms", errors["terms"]).error(
            error.message, icon=":material/error:"
        )
        return None
    return _fetch(query)


def _fetch(query: TrendsQuery | StitchedQuery) -> TrendsData | None:
    requests = stitching.count_requests(len(query.terms))
    try:
        with st.spinner(
            "Asking Google Trends..."
            if requests == 1
            else f"Asking Google Trends ({requests} requests, one after another)..."
        ):
            if isinstance(query, StitchedQuery):
                result = stitching.get_stitched_trends(query)
            else:
                result = service.get_trends(query)
    except NoTrendsData as error:
        st.info(error.message, icon=":material/search_off:")
        return None
    except TrendsUnavailable as error:
        sample = samples.list_samples()[0]
        st.warning(
            f"{error.message} Live data is unavailable and nothing is cached for "
            f"this query, so the bundled sample '{sample.title}' is shown instead.",
            icon=":material/cloud_off:",
        )
        return samples.load_sample_bundle([sample.name])
    if result.stale:
        st.warning(
            f"{result.notice} Showing the copy cached "
            f"{service.describe_age(result.age_seconds)} ago instead.",
            icon=":material/history:",
        )
    return result.data


def _timeframe_picker(column) -> str:
    return column.selectbox(
        "Timeframe",
        list(TIMEFRAMES),
        index=TIMEFRAMES.index("today 12-m"),
        format_func=lambda value: TIMEFRAME_LABELS.get(value, value),
        key="date",
        bind="query-params",
        accept_new_options=True,
        help="Pick a period, or type a date range as YYYY-MM-DD YYYY-MM-DD.",
    )


def _region_picker(column) -> str:
    default = get_settings().trends_geo
    options = ["", *sorted(COUNTRIES, key=COUNTRIES.__getitem__)]
    if default not in options:
        options.insert(1, default)
    return column.selectbox(
        "Region",
        options,
        index=options.index(default),
        format_func=_region_label,
        key="geo",
        bind="query-params",
        accept_new_options=True,
        help="A country, or type a subdivision code such as US-CA or GB-SCT.",
    )


def _category_picker(column) -> str:
    names = {str(item.trends_category_id): item.name for item in list_categories()}
    return column.selectbox(
        "Category",
        list(names) or ["0"],
        format_func=lambda value: names.get(value, f"Category {value}"),
        key="cat",
        bind="query-params",
    )


def _region_label(code: str) -> str:
    if not code:
        return "Worldwide"
    name = COUNTRIES.get(code)
    return f"{name} ({code})" if name else code


def _suggestions() -> None:
    word = st.text_input(
        "Find a search term",
        key="live-lookup",
        placeholder="For example: pizza",
        help="Google's autocomplete: pick a suggestion to add it to the terms.",
    )
    if not word.strip():
        return
    try:
        suggestions = service.suggest(word)
    except (InvalidRequest, TrendsUnavailable) as error:
        st.caption(error.message)
        return
    if not suggestions:
        st.caption(f"Google Trends has no suggestions for '{word.strip()}'.")
        return
    labels = {item.title: f"{item.title} · {item.type}" for item in suggestions}
    st.pills(
        "Suggestions",
        list(labels),
        format_func=labels.__getitem__,
        key="live-suggestion",
        on_change=_add_suggestion,
    )


def _add_suggestion() -> None:
    title = st.session_state.get("live-suggestion")
    if title:
        _add_terms([title])
    st.session_state["live-suggestion"] = None


def _add_terms(new_terms: list[str]) -> None:
    terms = list(st.session_state.get(TERMS_KEY) or [])
    for term in new_terms:
        if term.casefold() not in {existing.casefold() for existing in terms}:
            terms.append(term)
    limit = MAX_STITCHED_TERMS if st.session_state.get(STITCH_KEY) else MAX_TERMS
    if len(terms) > limit:
        st.session_state[NOTICE_KEY] = (
            f"Only the first {limit} terms are compared; "
            f"{', '.join(terms[limit:])} left out."
        )
        terms = terms[:limit]
    st.session_state[TERMS_KEY] = terms


def _trending_now() -> None:
    default = get_settings().trends_geo.split("-")[0] or "US"
    codes = sorted(COUNTRIES, key=COUNTRIES.__getitem__)
    geo = st.selectbox(
        "Country",
        codes,
        index=codes.index(default) if default in codes else 0,
        format_func=_region_label,
        key="trending-geo",
    )
    try:
        result = service.trending_now(geo)
    except (InvalidRequest, TrendsUnavailable) as error:
        st.warning(error.message, icon=":material/cloud_off:")
        return
    if result.stale:
        st.warning(
            f"{result.notice} Showing the list cached "
            f"{service.describe_age(result.age_seconds)} ago.",
            icon=":material/history:",
        )
    if not result.searches:
        st.info(f"Google Trends lists no trending searches for {geo} right now.")
        return
    rows = pd.DataFrame(
        [
            {
                "search": search.title,
                "traffic": search.approx_traffic,
                "started": search.published,
                "news": search.news[0].title if search.news else "",
                "link": search.news[0].url if search.news else None,
            }
            for search in result.searches
        ]
    )
    event = st.dataframe(
        rows,
        key="trending-table",
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        column_config={
            "search": st.column_config.TextColumn("Search"),
            "traffic": st.column_config.TextColumn(
                "Searches", help="Google's rounded count of searches so far."
            ),
            "started": st.column_config.DatetimeColumn(
                "Started", format="D MMM, HH:mm"
            ),
            "news": st.column_config.TextColumn("In the news"),
            "link": st.column_config.LinkColumn("Story", display_text="Open"),
        },
    )
    chosen = [rows["search"].iloc[row] for row in event.selection.rows]
    st.button(
        "Compare the selected searches",
        key="compare-trending",
        icon=":material/add_chart:",
        disabled=not chosen,
        on_click=_add_terms,
        args=(chosen,),
        help="Adds them to the terms of the Compare terms tab.",
    )
