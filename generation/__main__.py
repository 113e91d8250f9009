"""Command line: ``uv run python -m generation COMMAND``.

It uses the same settings (environment, then .streamlit/secrets.toml) and the
same database as the app. Bad input gets one sentence on stderr and exit
status 2; a job that does not succeed exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generation.errors import UserFacingError
from generation.logs import configure_logging

logger = logging.getLogger(__name__)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

# Each entry adds one subcommand: (add its parser, run it). Modules of other
# capabilities register theirs with ``command``.
Command = Callable[[argparse.Namespace], int]
_commands: dict[
    str, tuple[Callable[[argparse.ArgumentParser], None], Command, str]
] = {}


def command(
    name: str, help_text: str, configure: Callable[[argparse.ArgumentParser], None]
):
    """Register the decorated function as subcommand ``name``.

    ``configure`` adds the subcommand's arguments to its parser.
    """

    def register(run: Command) -> Command:
        _commands[name] = (configure, run, help_text)
        return run

    return register


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# import ---------------------------------------------------------------------


def _configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="Google Trends CSV exports")
    parser.add_argument("--name", default="", help="a name for the dataset")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@command("import", "import Google Trends CSV exports as one dataset", _configure_import)
def run_import(args: argparse.Namespace) -> int:
    from generation.datasets import save_dataset
    from generation.errors import TrendsFileError
    from generation.trends.csv_import import (
        describe_trends_data,
        merge_trends_data,
        parse_trends_csv,
    )

    parts = []
    for path in args.paths:
        try:
            content = path.read_bytes()
        except OSError as error:
            raise TrendsFileError(
                f"{path} could not be read ({error.strerror}). Check the path."
            ) from None
        try:
            parts.append(parse_trends_csv(content, path.name))
        except TrendsFileError as error:
            raise TrendsFileError(f"{path}: {error.message}") from None
    data = parts[0] if len(parts) == 1 else merge_trends_data(parts)
    dataset_id = save_dataset(data, name=args.name)
    if args.json:
        _print_json({"dataset_id": dataset_id, "terms": data.terms})
    else:
        print(f"Dataset {dataset_id}: {describe_trends_data(data)}")
    return 0


# generate -------------------------------------------------------------------


def _configure_generate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--topic", action="append", default=[], help="a topic (repeatable)"
    )
    parser.add_argument("--category", default="All categories")
    parser.add_argument("--dataset", type=int, help="id of an imported dataset")
    parser.add_argument(
        "--sample", action="append", default=[], help="a bundled sample"
    )
    parser.add_argument(
        "--trends-csv",
        action="append",
        default=[],
        type=Path,
        help="a Google Trends export to import first (repeatable)",
    )
    parser.add_argument(
        "--writer", help="data_brief or gemini (default: from settings)"
    )
    parser.add_argument("--report-type", default="briefing")
    parser.add_argument("--length", default="standard")
    parser.add_argument("--language", default="English")
    parser.add_argument("--instructions", default="")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@command("generate", "generate a report and wait for it", _configure_generate)
def run_generate(args: argparse.Namespace) -> int:
    from generation.jobs import get_runner

    dataset_id = args.dataset
    if args.trends_csv:
        imported = argparse.Namespace(paths=args.trends_csv, name="", json=True)
        dataset_id = _import_quietly(imported)
    request = {
        "category": args.category,
        "topics": args.topic,
        "dataset_id": dataset_id,
        "samples": args.sample,
        "writer": args.writer,
        "report_type": args.report_type,
        "length": args.length,
        "language": args.language,
        "instructions": args.instructions,
    }
    runner = get_runner()
    submission = runner.submit(request)
    if not args.json:
        print(f"Job {submission.job_id} started.", file=sys.stderr)
    job = runner.wait(submission.job_id)
    runner.shutdown()
    if args.json:
        _print_json(
            {
                "job_id": job.id,
                "status": job.status.value,
                "report_id": job.report_id,
                "error": job.error or None,
            }
        )
    elif job.report_id:
        print(f"Report {job.report_id}: {job.message}")
    else:
        print(
            f"Job {job.id} {job.status.value}: {job.error or job.message}",
            file=sys.stderr,
        )
    return 0 if job.report_id else EXIT_FAILED


def _import_quietly(args: argparse.Namespace) -> int:
    from generation.datasets import save_dataset
    from generation.trends.csv_import import merge_trends_data, parse_trends_csv

    parts = [parse_trends_csv(path.read_bytes(), path.name) for path in args.paths]
    data = parts[0] if len(parts) == 1 else merge_trends_data(parts)
    return save_dataset(data)


# jobs and reports -------------------------------------------------------------


def _configure_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--json", action="store_true")


@command("jobs", "list the latest jobs", _configure_jobs)
def run_jobs(args: argparse.Namespace) -> int:
    from generation.queries import list_jobs

    jobs = list_jobs(limit=max(1, min(args.limit, 1000)))
    rows = [
        {
            "id": job.id,
            "status": job.status.value,
            "progress": job.progress,
            "topics": job.topics,
            "report_id": job.report_id,
            "created_at": job.created_at.isoformat(timespec="seconds"),
            "message": job.message,
        }
        for job in jobs
    ]
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(
                f"{row['id']:>6}  {row['status']:<11} {row['progress']:>3}%  {row['topics']}"
            )
    return 0


def _configure_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_id", help="the report's id")
    parser.add_argument("--format", choices=["md", "json"], default="md")


@command("show", "print a report as Markdown or JSON", _configure_show)
def run_show(args: argparse.Namespace) -> int:
    from generation.queries import get_report, parse_id

    report = get_report(parse_id(args.report_id, what="report"))
    if args.format == "md":
        print(report.body)
    else:
        _print_json(
            {
                "id": report.id,
                "job_id": report.job_id,
                "title": report.title,
                "summary": report.summary,
                "category": report.category,
                "topics": report.topics,
                "writer": report.writer,
                "model": report.model,
                "analysis": report.analysis,
                "sources": report.sources,
                "inputs": report.inputs,
                "created_at": report.created_at.isoformat(),
            }
        )
    return 0


def _configure_recover(parser: argparse.ArgumentParser) -> None:
    del parser


@command(
    "recover", "mark jobs left by a stopped process as interrupted", _configure_recover
)
def run_recover(args: argparse.Namespace) -> int:
    from generation.db import init_db
    from generation.jobs import recover_interrupted_jobs

    init_db()
    recovered = recover_interrupted_jobs()
    print(f"{len(recovered)} job(s) marked interrupted.")
    return 0


# entry ----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generation",
        description="Trend reports from the command line, on the app's database.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (configure, run, help_text) in _commands.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        configure(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    configure_logging(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except UserFacingError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
