"""Paths and addresses shared by the scheduling tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "scheduling"
TRENDING_FEED_GB = FIXTURES / "trends_trending_now_rss_gb.xml"
# A local port nothing listens on, so a test without its server fails here
# instead of reaching Google.
CLOSED_LOCAL_URL = "http://127.0.0.1:9"
