"""Command line: ``uv run python -m generation COMMAND``.

It uses the same settings (environment, then .streamlit/secrets.toml) and the
same database as the app. Bad input gets one sentence on stderr and exit
status 2; a job that does not succeed exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generation import history_cli
from generation.api import cli as api_cli
from generation.errors import UserFacingError
from generation.logs import configure_logging
from generation.scheduling import cli as scheduling_cli
from generation.trends import cli as trends_cli

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


def _count(text: str) -> int:
    """An argparse type: a whole number from 1 to 1000."""
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a whole number from 1 to 1000"
        )
    return int(text)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False, default=str))


# import ---------------------------------------------------------------------


def _configure_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, help="Google Trends CSV exports")
    parser.add_argument("--name", default="", help="a name for the dataset")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@command("import", "import Google Trends CSV exports as one dataset", _configure_import)
def run_import(args: argparse.Namespace) -> int:
    from generation.trends.csv_import import describe_trends_data

    dataset_id, parts = _import_files(args.paths, args.name)
    if args.json:
        _print_json(
            {
                "dataset_id": dataset_id,
                "files": [
                    {
                        "path": str(path),
                        "terms": data.terms,
                        "rows": _row_count(data),
                        "description": describe_trends_data(data),
                    }
                    for path, data in zip(args.paths, parts, strict=True)
                ],
            }
        )
        return 0
    for path, data in zip(args.paths, parts, strict=True):
        print(f"{path}: {describe_trends_data(data)}; {_row_count(data)} rows.")
    print(f"Saved as dataset {dataset_id}.")
    return 0


def _import_files(paths: list[Path], name: str = "") -> tuple[int, list]:
    """Parse each export, merge them, save one dataset; return its id and the parts."""
    from generation.datasets import save_dataset
    from generation.errors import TrendsFileError
    from generation.trends.csv_import import merge_trends_data, parse_trends_csv

    parts = []
    for path in paths:
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
    return save_dataset(data, name=name), parts


def _row_count(data) -> int:
    for frame in (data.interest_over_time, data.interest_by_region):
        if frame is not None:
            return len(frame)
    return sum(len(related.top) + len(related.rising) for related in data.related)


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
    parser.add_argument(
        "--wait",
        action="store_true",
        help="run the job in this process and wait for it to end; without it, "
        "the job runs in a background process and the command returns at once",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


@command("generate", "start a report, or write it with --wait", _configure_generate)
def run_generate(args: argparse.Namespace) -> int:
    from generation.jobs import get_runner

    dataset_id = args.dataset
    if args.trends_csv:
        dataset_id, _ = _import_files(args.trends_csv)
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
    if not args.wait:
        submission = runner.submit(request, start=False)
        runner.shutdown()
        return _report_background_job(submission, json_output=args.json)
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


def _report_background_job(submission, *, json_output: bool) -> int:
    """Start a new job in a background process, then print where it runs."""
    from generation.queries import get_job

    process_id = _run_in_background(submission.job_id) if submission.created else None
    job = get_job(submission.job_id)
    if json_output:
        _print_json(
            {
                "job_id": job.id,
                "status": job.status.value,
                "report_id": job.report_id,
                "error": job.error or None,
                "background_process": process_id,
            }
        )
    elif process_id is not None:
        print(
            f"Job {job.id} queued; it runs in background process {process_id}. "
            f"Follow it with: python -m generation jobs",
            file=sys.stderr,
        )
    else:
        print(
            f"The same request was sent moments ago: job {job.id} ({job.status.value}).",
            file=sys.stderr,
        )
    return 0


def _run_in_background(job_id: int) -> int:
    """Run ``job_id`` in a detached process that outlives this command; return its id."""
    process = subprocess.Popen(
        [sys.executable, "-m", "generation", "run-job", str(job_id)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own session: closing the terminal does not stop the job.
        start_new_session=True,
    )
    logger.info("Job %s handed to background process %s", job_id, process.pid)
    return process.pid


def _configure_run_job(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job_id", help="the id of a queued job")


@command(
    "run-job",
    "run one queued job in this process (generate does this in the background)",
    _configure_run_job,
)
def run_run_job(args: argparse.Namespace) -> int:
    from generation.jobs import JobRunner
    from generation.models import JobStatus
    from generation.queries import get_job, parse_id

    job_id = parse_id(args.job_id)
    job = get_job(job_id)
    if job.status == JobStatus.AWAITING_REVIEW:
        print(
            f"error: Job {job_id} is waiting for its outline review; approve the "
            "outline on its status in the app, or with POST "
            f"/api/jobs/{job_id}/outline, and its sections are written.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if job.status != JobStatus.QUEUED:
        print(
            f"error: Job {job_id} is {job.status.value}, not queued, so there is "
            "nothing to run. Start a new job with generate, or retry it in the app.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    runner = JobRunner(workers=1)
    try:
        runner.run(job_id)
    finally:
        runner.shutdown()
    job = get_job(job_id)
    print(
        f"Job {job_id} {job.status.value}: {job.error or job.message}", file=sys.stderr
    )
    return 0 if job.status == JobStatus.SUCCEEDED else EXIT_FAILED


# jobs and reports -------------------------------------------------------------


def _configure_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--limit", type=_count, default=20, help="how many jobs, 1 to 1000"
    )
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
                f"{row['id']:>6}  {row['status']:<15} {row['progress']:>3}%  {row['topics']}"
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
    from generation.jobs import recover_interrupted_jobs

    # Start-up has already recovered; this run finds what the lease now allows.
    recovered = recover_interrupted_jobs()
    print(f"{len(recovered)} job(s) marked interrupted.")
    return 0


# access -----------------------------------------------------------------------


def _configure_hash_password(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stdin",
        action="store_true",
        help="read the password from the first line of standard input "
        "instead of prompting twice",
    )


@command(
    "hash-password",
    "print a hash of a password for the APP_PASSWORD_HASH setting",
    _configure_hash_password,
)
def run_hash_password(args: argparse.Namespace) -> int:
    import getpass

    from generation.access import hash_password
    from generation.errors import InvalidRequest

    if args.stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise InvalidRequest(
                "The two passwords differ; run the command again.", field="password"
            )
    print(hash_password(password))
    print(
        "Set it as APP_PASSWORD_HASH in .streamlit/secrets.toml or the environment.",
        file=sys.stderr,
    )
    return 0


# schedules --------------------------------------------------------------------

scheduling_cli.register_commands(command)


# API tokens -------------------------------------------------------------------

api_cli.register_commands(command)


# live trends ------------------------------------------------------------------

trends_cli.register_commands(command)


# history and exports ------------------------------------------------------------

history_cli.register_commands(command)


# settings -------------------------------------------------------------------


def _configure_settings(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=["table", "markdown", "toml"],
        default="table",
        help="table: the values in effect; markdown: the README's table; "
        "toml: an example .streamlit/secrets.toml",
    )


@command(
    "settings", "show every setting, its value and what it does", _configure_settings
)
def run_settings(args: argparse.Namespace) -> int:
    from generation.config import get_settings, settings_documentation

    if args.format == "table":
        for row in get_settings().describe():
            print(f"{row['setting']:<32} {row['value']}")
    else:
        print(settings_documentation(args.format), end="")
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


def _prepare_database() -> None:
    """Create missing tables and recover jobs a stopped process left behind."""
    from generation.db import init_db
    from generation.jobs import recover_interrupted_jobs

    recover_interrupted_jobs(init_db())


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging(logging.WARNING)
        _prepare_database()
        return args.run(args)
    except UserFacingError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # The reader (for example ``head``) stopped reading; that is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
