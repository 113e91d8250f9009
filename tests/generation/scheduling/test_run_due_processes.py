"""``python -m generation run-due`` in real processes on one SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from scheduling_support import CLOSED_LOCAL_URL
from sqlmodel import Session, func, select

from generation.models import GenerationJob, JobStatus, utcnow
from generation.scheduling import Timing, create_schedule
from generation.scheduling.models import ScheduleRun
from generation.webhooks.models import WebhookEndpoint

REPO_ROOT = Path(__file__).resolve().parents[3]
SCHEDULES = 8
# Imports everything first, then waits for "go" on stdin, so both processes
# reach run-due at the same moment instead of one finishing its imports first.
LAUNCHER = """
import sys
from generation.__main__ import main
print("ready", flush=True)
sys.stdin.readline()
sys.exit(main(["run-due"]))
"""


def cli_environment(tmp_path: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GEMINI", "GOOGLE", "WEBHOOK"))
    }
    environment.update(
        DATABASE_URL=os.environ["DATABASE_URL"],
        GOOGLE_TRENDS_BASE_URL=CLOSED_LOCAL_URL,
        REPORT_WRITER="data_brief",
        PYTHONPATH=str(REPO_ROOT),
    )
    return environment


def add_overdue_schedules(count: int) -> list[int]:
    """Add daily schedules created three days ago, so three due times passed."""
    three_days_ago = utcnow() - timedelta(days=3)
    return [
        create_schedule(
            name=f"Schedule {number}",
            request={
                "topics": ["ozempic"],
                "samples": ["weight-loss-drugs-us"],
                "length": "short",
            },
            timing=Timing("daily", "00:00", timezone="UTC"),
            now=three_days_ago,
        ).id
        for number in range(count)
    ]


def test_two_processes_run_each_due_time_once(engine, tmp_path):
    schedule_ids = add_overdue_schedules(SCHEDULES)
    environment = cli_environment(tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        assert process.stdout.readline().strip() == "ready"
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = [process.communicate(timeout=240) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], results
    with Session(engine) as session:
        runs = session.exec(
            select(ScheduleRun.schedule_id, func.count()).group_by(
                ScheduleRun.schedule_id
            )
        ).all()
        jobs = session.exec(
            select(GenerationJob).where(GenerationJob.schedule_id.is_not(None))
        ).all()
    assert dict(runs) == {schedule_id: 1 for schedule_id in schedule_ids}
    assert sorted(job.schedule_id for job in jobs) == schedule_ids
    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED}
    output = "".join(stdout for stdout, _stderr in results)
    assert output.count("started, 2 missed due time(s) skipped") == SCHEDULES


def test_run_due_command_line(engine, tmp_path):
    (schedule_id,) = add_overdue_schedules(1)
    environment = cli_environment(tmp_path)

    first = subprocess.run(
        [sys.executable, "-m", "generation", "run-due"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        check=False,
        text=True,
        timeout=240,
    )
    second = subprocess.run(
        [sys.executable, "-m", "generation", "run-due"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        check=False,
        text=True,
        timeout=240,
    )
    listing = subprocess.run(
        [sys.executable, "-m", "generation", "schedules", "list"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        check=False,
        text=True,
        timeout=120,
    )

    assert first.returncode == 0, first.stderr
    assert f"schedule {schedule_id} (Schedule 0) due " in first.stdout
    assert "2 missed due time(s) skipped" in first.stdout
    assert ": succeeded: Report ready:" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "Nothing is due."
    assert listing.returncode == 0, listing.stderr
    assert "Schedule 0: Daily at 00:00 (UTC)" in listing.stdout
    assert "Caught up once after downtime: 2 earlier due times" in listing.stdout


def test_run_due_sends_webhooks_before_exit(engine, tmp_path, httpserver):
    (schedule_id,) = add_overdue_schedules(1)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    environment = cli_environment(tmp_path)
    environment["WEBHOOK_ALLOW_PRIVATE"] = "true"
    with Session(engine) as session:
        session.add(
            WebhookEndpoint(url=httpserver.url_for("/hook"), events=["job.succeeded"])
        )
        session.commit()

    finished = subprocess.run(
        [sys.executable, "-m", "generation", "run-due"],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        check=False,
        text=True,
        timeout=240,
    )

    assert finished.returncode == 0, finished.stderr
    assert len(httpserver.log) == 1
    payload = json.loads(httpserver.log[0][0].get_data())
    assert payload["event"] == "job.succeeded"
    assert payload["schedule_id"] == schedule_id


def test_schedules_commands(engine, tmp_path):
    environment = cli_environment(tmp_path)

    def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "generation", *arguments],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            check=False,
            text=True,
            timeout=240,
        )

    added = cli(
        "schedules", "add", "--name", "Mondays", "--topic", "ozempic",
        "--sample", "weight-loss-drugs-us", "--every", "weekly", "--day", "monday",
        "--at", "07:30", "--timezone", "America/New_York",
    )  # fmt: skip
    bad_zone = cli(
        "schedules", "add", "--name", "X", "--topic", "ozempic",
        "--sample", "weight-loss-drugs-us", "--timezone", "Nowhere/Else",
    )  # fmt: skip
    paused = cli("schedules", "pause", "1")
    listing = cli("schedules", "list", "--json")
    ran = cli("schedules", "run-now", "1")
    deleted = cli("schedules", "delete", "1")
    missing = cli("schedules", "pause", "1")

    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Schedule 1 added; next run ")
    assert bad_zone.returncode == 2
    assert "'Nowhere/Else' is not a time zone" in bad_zone.stderr
    assert paused.stdout.strip() == "Schedule 1 paused."
    assert '"when": "Mondays at 07:30 (America/New_York)"' in listing.stdout
    assert '"paused": true' in listing.stdout
    assert ran.returncode == 0, ran.stderr
    assert "succeeded: Report ready:" in ran.stdout
    assert deleted.stdout.strip() == "Schedule 1 deleted."
    assert missing.returncode == 2
    assert "There is no schedule 1" in missing.stderr
