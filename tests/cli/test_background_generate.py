"""``generate`` without ``--wait``: the job runs in a background process."""

from __future__ import annotations

import json
import os
import time

import pytest
from sqlmodel import Session

from generation.__main__ import main as cli_main
from generation.models import GenerationJob, JobStatus
from generation.queries import get_job, list_jobs
from tests.cli.test_command_line import WEEKLY_EXPORT, run_cli

WAIT_SECONDS = 90


def wait_until_ended(job_id: int):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        job = get_job(job_id)
        if job.status.is_final:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job_id} did not end within {WAIT_SECONDS} s")


def test_generate_returns_before_the_job_ends(engine):
    started = run_cli("generate", "--trends-csv", str(WEEKLY_EXPORT), "--json")

    assert started.returncode == 0, started.stderr
    reply = json.loads(started.stdout)
    assert reply["status"] == "queued"
    assert reply["report_id"] is None
    job = wait_until_ended(reply["job_id"])
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.report_id is not None
    # The background process ran it, not the command that returned.
    assert job.worker.endswith(f":{reply['background_process']}")
    assert reply["background_process"] != os.getpid()


def test_generate_says_where_the_job_runs(engine):
    started = run_cli("generate", "--sample", "weight-loss-drugs-us")

    assert started.returncode == 0, started.stderr
    assert "queued; it runs in background process" in started.stderr
    assert "python -m generation jobs" in started.stderr
    job_id = int(started.stderr.split()[1])
    assert wait_until_ended(job_id).status == JobStatus.SUCCEEDED


def test_repeated_generate_starts_no_second_process(engine, monkeypatch):
    # Two command starts can take seconds on a loaded machine.
    monkeypatch.setenv("JOB_DEDUP_SECONDS", "600")
    first = json.loads(
        run_cli("generate", "--sample", "weight-loss-drugs-us", "--json").stdout
    )
    second = json.loads(
        run_cli("generate", "--sample", "weight-loss-drugs-us", "--json").stdout
    )

    assert second["job_id"] == first["job_id"]
    assert second["background_process"] is None
    assert wait_until_ended(first["job_id"]).status == JobStatus.SUCCEEDED


# The cases below end before any job runs, so they call the command line in
# this process: a new Python process per case would add seconds each.


def test_run_job_refuses_an_ended_job(engine, capsys):
    assert cli_main(["generate", "--wait", "--sample", "weight-loss-drugs-us"]) == 0
    (job,) = list_jobs()
    capsys.readouterr()

    status = cli_main(["run-job", str(job.id)])

    assert status == 2
    assert capsys.readouterr().err == (
        f"error: Job {job.id} is succeeded, not queued, so there is "
        "nothing to run. Start a new job with generate, or retry it in the app.\n"
    )


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        ("4242", "error: There is no job 4242."),
        ("-1", "error: '-1' is not a job id"),
    ],
)
def test_run_job_rejects_unknown_ids(engine, capsys, job_id, expected):
    status = cli_main(["run-job", job_id])

    assert status == 2
    assert capsys.readouterr().err.startswith(expected)


@pytest.mark.parametrize("wait", [[], ["--wait"]])
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--dataset", "999"], "error: No trends dataset has id 999. Import the"),
        (["--sample", "nope"], "error: No bundled sample is called 'nope'"),
    ],
)
def test_missing_data_rejected_before_a_job(engine, capsys, wait, arguments, expected):
    status = cli_main(["generate", *wait, *arguments])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(expected)
    assert len(error.splitlines()) == 1
    assert list_jobs() == []


def test_run_job_points_to_outline_review(engine, capsys):
    with Session(engine) as session:
        row = GenerationJob(status=JobStatus.AWAITING_REVIEW, outline="# Plan\n")
        session.add(row)
        session.commit()
        job_id = row.id

    status = cli_main(["run-job", str(job_id)])

    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith(
        f"error: Job {job_id} is waiting for its outline review; approve the outline"
    )
    assert f"POST /api/jobs/{job_id}/outline" in error
