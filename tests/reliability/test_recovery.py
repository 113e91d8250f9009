"""Crashes and double submits across processes: nothing stuck, nothing doubled."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from sqlmodel import Session, select

from generation.jobs import JobRunner
from generation.models import GenerationJob, JobEvent, JobStatus, Report, utcnow
from generation.queries import get_job, get_report
from tests.conftest import REPO_ROOT
from tests.reliability.conftest import run_cli

PACED_PLUGIN = {"WRITER_PLUGINS": "tests.support.slow_writer"}
INTERRUPTED_MESSAGE = (
    "Interrupted: the process running it stopped. Retry it to run it again."
)


def dead_pid() -> int:
    """Return the id of a process that has just ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def insert_running_job(engine, worker: str) -> int:
    job = GenerationJob(
        request={"samples": ["weight-loss-drugs-us"], "writer": "data_brief"},
        request_key="orphan",
        status=JobStatus.RUNNING,
        writer="data_brief",
        worker=worker,
        started_at=utcnow(),
        heartbeat_at=utcnow(),
        progress=40,
        stage="write",
    )
    with Session(engine) as session:
        session.add(job)
        session.commit()
        return job.id


def running_jobs(engine) -> list[int]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(GenerationJob.id).where(
                    GenerationJob.status == JobStatus.RUNNING
                )
            ).all()
        )


@pytest.mark.parametrize("arguments", [["jobs", "--json"], ["show", "1"]])
def test_any_cli_command_recovers_on_start(engine, arguments):
    orphan = insert_running_job(engine, f"{socket.gethostname()}:{dead_pid()}")

    completed = run_cli(*arguments)

    assert "Traceback" not in completed.stderr
    job = get_job(orphan)
    assert job.status == JobStatus.INTERRUPTED
    assert job.message == INTERRUPTED_MESSAGE
    assert running_jobs(engine) == []


def test_jobs_command_lists_the_recovered_state(engine):
    orphan = insert_running_job(engine, f"{socket.gethostname()}:{dead_pid()}")

    completed = run_cli("jobs", "--json")

    assert completed.returncode == 0, completed.stderr
    listed = {row["id"]: row["status"] for row in json.loads(completed.stdout)}
    assert listed == {orphan: "interrupted"}


def wait_for_progress(job_id: int, at_least: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            job = get_job(job_id)
        except Exception:  # noqa: BLE001 - the row may not exist yet
            job = None
        if job is not None and job.progress >= at_least:
            return
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not reach {at_least}% in {timeout} s")


def test_sigkill_mid_job_recovers_and_retries(engine, monkeypatch, paced_writer):
    earlier = run_cli(
        "generate", "--wait", "--sample", "weight-loss-drugs-us", "--json"
    )
    assert earlier.returncode == 0, earlier.stderr
    earlier_job = json.loads(earlier.stdout)["job_id"]
    earlier_report = json.loads(earlier.stdout)["report_id"]
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generation",
            "generate",
            "--wait",
            "--sample",
            "weight-loss-drugs-us",
            "--writer",
            "paced",
            "--json",
        ],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            **PACED_PLUGIN,
            "SLOW_WRITER_STEPS": "400",
            "SLOW_WRITER_PACE_SECONDS": "0.1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_job = earlier_job + 1
    wait_for_progress(killed_job, at_least=30)

    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert get_job(killed_job).status == JobStatus.RUNNING
    restarted = run_cli("jobs", "--json")

    assert restarted.returncode == 0, restarted.stderr
    job = get_job(killed_job)
    assert job.status == JobStatus.INTERRUPTED
    assert job.message == INTERRUPTED_MESSAGE
    assert "Part 1 of 400." in job.partial_text
    assert running_jobs(engine) == []

    monkeypatch.setenv("SLOW_WRITER_STEPS", "5")
    monkeypatch.setenv("SLOW_WRITER_PACE_SECONDS", "0")
    runner = JobRunner(engine)
    retry = runner.retry(killed_job)
    finished = runner.wait(retry.job_id, timeout=60)
    runner.shutdown()

    assert finished.status == JobStatus.SUCCEEDED, finished.error
    assert finished.retry_of == killed_job
    assert finished.request == job.request
    assert get_report(finished.report_id).body.startswith("# Paced report")
    assert get_report(earlier_report).id == earlier_report
    with Session(engine) as session:
        reports = session.exec(select(Report.id)).all()
        stages = session.exec(
            select(JobEvent.stage).where(JobEvent.job_id == killed_job)
        ).all()
    assert sorted(reports) == sorted([earlier_report, finished.report_id])
    assert stages[-1] == "interrupted"


SUBMIT_AT = textwrap.dedent(
    """
    import json, sys, time
    from generation.jobs import JobRunner

    start_at, topic = float(sys.argv[1]), sys.argv[2]
    runner = JobRunner(workers=1)
    time.sleep(max(0.0, start_at - time.time()))
    submission = runner.submit(
        {"samples": ["weight-loss-drugs-us"], "topics": [topic]}
    )
    print(json.dumps({"job_id": submission.job_id, "created": submission.created}))
    runner.wait(submission.job_id, timeout=60)
    runner.shutdown()
    """
)


@pytest.mark.parametrize("topic", ["ozempic", "wegovy", "monjauro"])
def test_two_processes_same_instant_one_job(engine, topic):
    start_at = f"{time.time() + 4:.3f}"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SUBMIT_AT, start_at, topic],
            cwd=REPO_ROOT,
            env=os.environ.copy(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=120) for child in children]

    for child, (_, stderr) in zip(children, outputs, strict=True):
        assert child.returncode == 0, stderr
    submissions = [json.loads(stdout) for stdout, _ in outputs]
    assert submissions[0]["job_id"] == submissions[1]["job_id"]
    assert sorted(s["created"] for s in submissions) == [False, True]
    with Session(engine) as session:
        jobs = session.exec(select(GenerationJob)).all()
    assert [job.id for job in jobs] == [submissions[0]["job_id"]]
    assert jobs[0].status == JobStatus.SUCCEEDED, jobs[0].error
