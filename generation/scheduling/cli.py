"""Command-line subcommands: ``run-due`` and ``schedules list|add|pause|resume|run-now|delete``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from generation.errors import InvalidRequest
from generation.scheduling.timing import FREQUENCIES, WEEKDAY_NAMES, Timing

Register = Callable[..., Callable[[Callable[[argparse.Namespace], int]], Any]]


def register_commands(command: Register) -> None:
    """Add the scheduling subcommands through the command line's ``command``."""
    command(
        "run-due", "start due scheduled runs and watchlist checks", _configure_run_due
    )(run_due_command)
    command(
        "schedules",
        "list, add, pause, resume, run or delete schedules",
        _configure_schedules,
    )(schedules_command)


def _configure_run_due(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop waiting for the started jobs after this many seconds "
        "(default: wait until they end)",
    )


def run_due_command(args: argparse.Namespace) -> int:
    from generation.scheduling.runner import main_run_due

    return main_run_due(wait_seconds=args.wait)


def _configure_schedules(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="list schedules and their next runs")
    listing.add_argument("--json", action="store_true", help="print JSON")

    add = actions.add_parser("add", help="add a schedule")
    add.add_argument("--name", required=True)
    add.add_argument(
        "--topic", action="append", default=[], help="a topic (repeatable)"
    )
    add.add_argument(
        "--trending",
        metavar="COUNTRY",
        default="",
        help="write about the top searches trending now in this country (e.g. GB)",
    )
    add.add_argument("--count", type=int, default=3, help="how many trending searches")
    add.add_argument("--sample", action="append", default=[], help="a bundled sample")
    add.add_argument("--dataset", type=int, help="id of an imported dataset")
    add.add_argument("--live", action="store_true", help="fetch live trends each run")
    add.add_argument("--timeframe", default="today 3-m", help="timeframe of --live")
    add.add_argument("--geo", default="", help="region of --live; empty is worldwide")
    add.add_argument("--category", default="All categories")
    add.add_argument("--writer", help="data_brief or gemini (default: from settings)")
    add.add_argument("--report-type", default="briefing")
    add.add_argument("--length", default="standard")
    add.add_argument("--every", choices=FREQUENCIES, default="daily")
    add.add_argument("--at", default="09:00", help="time of day, HH:MM")
    add.add_argument(
        "--day",
        default="monday",
        choices=[name.lower() for name in WEEKDAY_NAMES],
        help="day of --every weekly",
    )
    add.add_argument(
        "--cron", default="", help="five-field expression for --every cron"
    )
    add.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Berlin")

    for name, text in (
        ("pause", "pause a schedule"),
        ("resume", "resume a paused schedule"),
        ("run-now", "run a schedule now and wait for its report"),
        ("delete", "delete a schedule"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("schedule_id", help="the schedule's id")


def schedules_command(args: argparse.Namespace) -> int:
    handlers = {
        "list": _list,
        "add": _add,
        "pause": _pause,
        "resume": _resume,
        "run-now": _run_now,
        "delete": _delete,
    }
    return handlers[args.action](args)


def _list(args: argparse.Namespace) -> int:
    from generation.scheduling.service import describe_schedules

    views = describe_schedules()
    rows = [
        {
            "id": view.id,
            "name": view.name,
            "topics": view.topics,
            "data": view.data_source,
            "when": view.timing,
            "paused": view.paused,
            "next_due_at": view.next_due_at.isoformat() if view.next_due_at else None,
            "last_run": _last_run(view.last_run),
        }
        for view in views
    ]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("No schedules.")
    for row in rows:
        state = "paused" if row["paused"] else f"next {row['next_due_at']}"
        print(f"{row['id']:>4}  {row['name']}: {row['when']}, {state}")
        print(f"      topics: {row['topics']}; data: {row['data']}")
        if row["last_run"]:
            print(f"      last run: {row['last_run']}")
    return 0


def _last_run(run) -> str:
    if run is None:
        return ""
    text = f"due {run.due_at.isoformat(timespec='minutes')}, {run.job_status}"
    if run.job_id is not None:
        text += f" (job {run.job_id})"
    if run.error:
        text += f": {run.error}"
    if run.caught_up_note:
        text += f". {run.caught_up_note}"
    return text


def _add(args: argparse.Namespace) -> int:
    from generation.models import utcnow
    from generation.scheduling.service import create_schedule, next_due

    request: dict[str, Any] = {
        "category": args.category,
        "topics": args.topic,
        "samples": args.sample,
        "dataset_id": args.dataset,
        "writer": args.writer,
        "report_type": args.report_type,
        "length": args.length,
    }
    if args.live or args.trending:
        request["trends_query"] = {"timeframe": args.timeframe, "geo": args.geo}
    timing = Timing(
        frequency=args.every,
        at_time=args.at,
        weekday=[name.lower() for name in WEEKDAY_NAMES].index(args.day),
        cron=args.cron,
        timezone=args.timezone,
    )
    if args.every == "cron" and not args.cron:
        raise InvalidRequest("--every cron needs --cron with an expression.", "cron")
    schedule = create_schedule(
        name=args.name,
        request=request,
        timing=timing,
        trending_geo=args.trending,
        trending_count=args.count if args.trending else 0,
    )
    due = next_due(schedule, utcnow())
    print(
        f"Schedule {schedule.id} added; next run {due.isoformat(timespec='minutes')}."
    )
    return 0


def _schedule_id(args: argparse.Namespace) -> int:
    from generation.queries import parse_id

    return parse_id(args.schedule_id, what="schedule")


def _pause(args: argparse.Namespace) -> int:
    from generation.scheduling.service import pause_schedule

    schedule = pause_schedule(_schedule_id(args))
    print(f"Schedule {schedule.id} paused.")
    return 0


def _resume(args: argparse.Namespace) -> int:
    from generation.scheduling.service import resume_schedule

    schedule = resume_schedule(_schedule_id(args))
    print(f"Schedule {schedule.id} resumed.")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from generation.scheduling.service import delete_schedule

    schedule_id = _schedule_id(args)
    delete_schedule(schedule_id)
    print(f"Schedule {schedule_id} deleted.")
    return 0


def _run_now(args: argparse.Namespace) -> int:
    from generation.jobs import get_runner
    from generation.scheduling.runner import run_now
    from generation.webhooks import start_webhooks

    runner = get_runner()
    sender = start_webhooks()
    outcome = run_now(_schedule_id(args), runner=runner)
    if outcome.job_id is None:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    # The job runs on this process's pool, so the command waits for its end.
    print(f"Job {outcome.job_id} started.", file=sys.stderr)
    job = runner.wait(outcome.job_id)
    runner.shutdown(wait=True)
    sender.drain()
    print(f"Job {job.id} {job.status}: {job.message}")
    return 0 if job.report_id else 1
