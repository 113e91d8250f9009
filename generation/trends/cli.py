"""Command-line subcommand ``explore``: live Google Trends without a browser.

It sends the request Explore sends, through the same validation, cache and
retries (``service.get_trends``, or ``stitching`` for more than five terms),
and prints interest over time, by region and the related queries.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, Final

from generation.errors import NoTrendsData, TrendsUnavailable
from generation.trends.query import (
    DEFAULT_TIMEFRAME,
    MAX_STITCHED_TERMS,
    PROPERTIES,
    validate_query,
)

logger = logging.getLogger(__name__)

Register = Callable[..., Callable[[Callable[[argparse.Namespace], int]], Any]]

EXIT_UNAVAILABLE: Final = 1
DEFAULT_ROWS: Final = 10


def register_commands(command: Register) -> None:
    """Add ``explore`` through the command line's ``command``."""
    command(
        "explore",
        "print live Google Trends interest over time, by region and related queries",
        _configure_explore,
    )(explore_command)


def _configure_explore(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("terms", nargs="+", metavar="TERM", help="a search term")
    parser.add_argument(
        "--timeframe",
        default=DEFAULT_TIMEFRAME,
        help="'now 1-H' to 'today 5-y', 'all', or 'YYYY-MM-DD YYYY-MM-DD' "
        f"(default: {DEFAULT_TIMEFRAME})",
    )
    parser.add_argument(
        "--geo",
        help="a country code such as GB, a subdivision such as US-CA, or '' for "
        "worldwide (default: the TRENDS_GEO setting)",
    )
    parser.add_argument(
        "--category", default="0", help="a Trends category id or name (default: 0)"
    )
    parser.add_argument(
        "--property",
        default="web",
        choices=list(PROPERTIES),
        help="the Google search to compare in (default: web)",
    )
    parser.add_argument(
        "--stitch",
        action="store_true",
        help=f"compare up to {MAX_STITCHED_TERMS} terms in requests of five that "
        "share an anchor term, rescaled onto one axis",
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=DEFAULT_ROWS,
        help="regions and related queries to print per list (default: "
        f"{DEFAULT_ROWS}; the JSON output has all)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def explore_command(args: argparse.Namespace) -> int:
    # Imported here, so the other subcommands start without pandas and pytrends.
    from generation.trends import printing, service
    from generation.trends.stitching import (
        get_stitched_trends,
        validate_stitched_query,
    )

    options = {
        "geo": args.geo,
        "category": args.category,
        "gprop": args.property,
    }
    try:
        if args.stitch:
            stitched = validate_stitched_query(args.terms, args.timeframe, **options)
            result = get_stitched_trends(stitched)
        else:
            query = validate_query(args.terms, args.timeframe, **options)
            result = service.get_trends(query)
    except (NoTrendsData, TrendsUnavailable) as error:
        # Google's response, not the input, is the problem, so exit 1, not 2.
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    if result.stale:
        print(
            f"warning: {result.notice} Showing the copy cached "
            f"{service.describe_age(result.age_seconds)} ago.",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(printing.as_json(result), indent=2, ensure_ascii=False))
    else:
        print(printing.as_text(result.data, rows=max(1, args.rows)))
    return 0
