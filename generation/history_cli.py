"""Command-line subcommands: ``history`` (list, filter, search) and ``export``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generation.errors import InvalidRequest

Register = Callable[..., Callable[[Callable[[argparse.Namespace], int]], Any]]

# Command-line option -> URL query parameter, so both read filters the same way.
_FILTER_OPTIONS = {
    "status": "status",
    "category": "category",
    "topic": "topic",
    "writer": "writer",
    "model": "model",
    "date_from": "from",
    "date_to": "to",
    "schedule": "schedule",
    "search": "q",
    "sort": "sort",
    "order": "order",
    "page": "page",
    "size": "size",
}


def register_commands(command: Register) -> None:
    """Add ``history`` and ``export`` through the command line's ``command``."""
    command(
        "history",
        "list jobs and reports, newest first, with filters and full-text search",
        _configure_history,
    )(history_command)
    command(
        "export",
        "write a report as Markdown, HTML, PDF, JSON or a zip bundle",
        _configure_export,
    )(export_command)


def _configure_history(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", help="queued, running, succeeded, failed, ...")
    parser.add_argument("--category", help="exact category name")
    parser.add_argument("--topic", help="part of a topic, any case")
    parser.add_argument("--writer", help="data_brief or gemini")
    parser.add_argument("--model", help="model name, e.g. gemini-2.5-flash")
    parser.add_argument("--from", dest="date_from", help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--to", dest="date_to", help="last day, YYYY-MM-DD (UTC)")
    parser.add_argument("--schedule", help="schedule id")
    parser.add_argument(
        "-q", "--search", help='words in titles, topics or text; "a phrase"; prefix*'
    )
    parser.add_argument("--sort", help="date (default), duration, cost or relevance")
    parser.add_argument("--order", help="desc (default) or asc")
    parser.add_argument("--page", help="page number, from 1")
    parser.add_argument("--size", help="rows per page: 10, 25, 50 or 100")
    parser.add_argument("--json", action="store_true", help="print the page as JSON")
    parser.add_argument(
        "--csv",
        type=Path,
        metavar="PATH",
        help="write every matching row (all pages) as CSV to PATH",
    )


def history_command(args: argparse.Namespace) -> int:
    from generation.exports import history_csv
    from generation.history import HistoryFilters, list_history

    params = {
        param: value
        for option, param in _FILTER_OPTIONS.items()
        if (value := getattr(args, option)) is not None
    }
    filters = HistoryFilters.from_query_params(params)
    if filters.ignored:
        # On the command line a value that cannot be read is an error, not
        # something to skip quietly.
        raise InvalidRequest(filters.ignored[0].replace(", so it was ignored", ""))
    if args.csv is not None:
        text = history_csv(filters)
        _write(args.csv, text.encode("utf-8"))
        print(f"Wrote {text.count(chr(10)) - 1} rows to {args.csv}", file=sys.stderr)
        return 0
    page = list_history(filters)
    if args.json:
        print(
            json.dumps(
                {
                    "total": page.total,
                    "page": page.page,
                    "page_size": page.page_size,
                    "has_next": page.has_next,
                    "rows": [_row_json(row) for row in page.rows],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    for row in page.rows:
        report = f"report {row.report_id}" if row.report_id else "no report"
        print(
            f"{row.job_id:>7}  {row.created_at:%Y-%m-%d %H:%M}  {row.status.value:<11} "
            f"{report:<14} {row.title}"
        )
    print(
        f"Page {page.page} of {page.page_count}, {page.total:,} matching.",
        file=sys.stderr,
    )
    return 0


def _row_json(row) -> dict[str, Any]:
    return {
        "job_id": row.job_id,
        "status": row.status.value,
        "created_at": row.created_at.isoformat(),
        "category": row.category,
        "topics": row.topics,
        "writer": row.writer,
        "model": row.model,
        "report_id": row.report_id,
        "title": row.title,
        "report_deleted": row.report_deleted,
        "run_seconds": row.run_seconds,
        "tokens": row.tokens,
        "cost_usd": row.cost_usd,
        "schedule_id": row.schedule_id,
        "retry_of": row.retry_of,
    }


def _configure_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_id", help="the report's id")
    parser.add_argument(
        "--format",
        default="md",
        help="md (default), html, pdf, json, or zip: the report with its data, "
        "charts and a manifest",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="file to write, or - for standard output; default: a name like "
        "report-12-title.md in the current folder",
    )


def export_command(args: argparse.Namespace) -> int:
    from generation.exports import export_report
    from generation.queries import parse_id

    exported = export_report(parse_id(args.report_id, what="report"), args.format)
    output = args.output or Path(exported.filename)
    if str(output) == "-":
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
        return 0
    _write(output, exported.content)
    print(f"Wrote {output} ({len(exported.content):,} bytes)", file=sys.stderr)
    return 0


def _write(path: Path, content: bytes) -> None:
    if path.is_dir():
        raise InvalidRequest(f"{path} is a folder; give a file name to write.")
    if not path.parent.exists():
        raise InvalidRequest(
            f"The folder {path.parent} does not exist; create it or choose another."
        )
    path.write_bytes(content)
