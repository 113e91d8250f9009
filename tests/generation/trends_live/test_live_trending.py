"""Trending searches from the recorded RSS feed, and its failure cases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from gtapi_replay import received, recorded

from generation.errors import InvalidRequest, TrendsUnavailable
from generation.trends.trending import fetch_trending_now, parse_trending_rss

RSS = "/trending/rss"
FEED = "trends_trending_now_rss_gb.xml"


def test_feed_items_are_parsed():
    searches = parse_trending_rss(recorded(FEED), geo="GB")

    assert len(searches) == 10
    assert [search.title for search in searches[:3]] == [
        "Nvidia",
        "grizzlies vs timberwolves",
        "nipah virus outbreak latest news",
    ]
    first = searches[0]
    assert first.approx_traffic == "100+"
    assert first.traffic == 100
    assert first.published == datetime(
        2026, 2, 2, 19, 0, tzinfo=timezone(timedelta(hours=-8))
    )
    assert first.picture.startswith("https://encrypted-tbn2.gstatic.com/images?q=")
    assert first.picture_source == "CNBC"
    assert first.geo == "GB"


def test_news_items_keep_title_url_and_source():
    first = parse_trending_rss(recorded(FEED))[0]

    assert len(first.news) == 3
    assert first.news[0].title == (
        "Nvidia shares are down after a report that its OpenAI investment "
        "stalled. Here's what's happening"
    )
    assert first.news[0].url == (
        "https://www.cnbc.com/2026/02/02/nvidia-stock-price-openai-funding.html"
    )
    assert first.news[0].source == "CNBC"
    assert first.news[1].source == "Sharecast.com"
    assert first.news[2].source == "Reuters"


def test_traffic_figures_are_lower_bounds():
    searches = parse_trending_rss(recorded(FEED))

    assert sorted({search.traffic for search in searches}) == [100, 200, 500]
    assert sum(search.traffic == 500 for search in searches) == 2


def test_feed_fetched_from_base_url_with_geo(trends_server):
    trends_server.expect_request(RSS, query_string="geo=GB&hl=en-US").respond_with_data(
        recorded(FEED), content_type="application/rss+xml; charset=utf-8"
    )

    searches = fetch_trending_now("gb")

    assert searches[0].title == "Nvidia"
    assert len(received(trends_server, RSS)) == 1


def test_missing_feed_is_sentence(trends_server):
    trends_server.expect_request(RSS).respond_with_data("not found", status=404)

    with pytest.raises(TrendsUnavailable) as caught:
        fetch_trending_now("GB")

    assert caught.value.message == (
        "The trending searches feed for GB returned HTTP 404; try again later."
    )


def test_html_instead_of_rss_is_sentence(trends_server):
    trends_server.expect_request(RSS).respond_with_data(
        "<html><body><p>Sorry</body></html>", content_type="text/html"
    )

    with pytest.raises(TrendsUnavailable) as caught:
        fetch_trending_now("GB")

    assert "not readable RSS" in caught.value.message


def test_entity_expansion_is_refused():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        "<rss><channel><item><title>&b;</title></item></channel></rss>"
    )

    with pytest.raises(TrendsUnavailable) as caught:
        parse_trending_rss(bomb)

    assert caught.value.message == (
        "The trending searches feed is not readable RSS; try again later."
    )


def test_other_xml_is_not_rss():
    with pytest.raises(TrendsUnavailable) as caught:
        parse_trending_rss("<feed><entry/></feed>")

    assert "not RSS" in caught.value.message


def test_worldwide_is_rejected():
    with pytest.raises(InvalidRequest) as caught:
        fetch_trending_now("")

    assert caught.value.field == "geo"
    assert caught.value.message == (
        "Trending searches are published per country; pick a country such as GB or US."
    )


def test_subdivision_is_rejected_with_country():
    with pytest.raises(InvalidRequest) as caught:
        fetch_trending_now("US-CA")

    assert caught.value.message == (
        "Trending searches are published per country, not for US-CA; use US."
    )
