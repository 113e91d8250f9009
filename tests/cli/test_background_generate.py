"""``generate`` without ``--wait``: the job runs in a background process."""

from __future__ import annotations

import json
import os
import time

import pytest

from generation.models import JobStatus
from generation.queries import get_job
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


def test_run_job_refuses_an_ended_job(engine):
    started = json.loads(
        run_cli(
            "generate", "--wait", "--sample", "weight-loss-drugs-us", "--json"
        ).stdout
    )

    again = run_cli("run-job", str(started["job_id"]))

    assert again.returncode == 2
    assert again.stderr == (
        f"error: Job {started['job_id']} is succeeded, not queued, so there is "
        "nothing to run. Start a new job with generate, or retry it in the app.\n"
    )


@pytest.mark.parametrize(
    ("job_id", "expected"),
    [
        ("4242", "error: There is no job 4242."),
        ("-1", "error: '-1' is not a job id"),
    ],
)
def test_run_job_rejects_unknown_ids(engine, job_id, expected):
    refused = run_cli("run-job", job_id)

    assert refused.returncode == 2
    assert refused.stderr.startswith(expected)


@pytest.mark.parametrize("wait", [[], ["--wait"]])
@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--dataset", "999"], "error: No trends dataset has id 999. Import the"),
        (["--sample", "nope"], "error: No bundled sample is called 'nope'"),
    ],
)
def test_missing_data_rejected_before_a_job(engine, wait, arguments, expected):
    refused = run_cli("generate", *wait, *arguments)

    assert refused.returncode == 2
    assert refused.stderr.startswith(expected)
    assert len(refused.stderr.splitlines()) == 1
    assert json.loads(run_cli("jobs", "--json").stdout) == []


def test_run_job_points_to_outline_review(engine):
    from sqlmodel import Session

    from generation.models import GenerationJob

    with Session(engine) as session:
        row = GenerationJob(status=JobStatus.AWAITING_REVIEW, outline="# Plan\n")
        session.add(row)
        session.commit()
        job_id = row.id

    refused = run_cli("run-job", str(job_id))

    assert refused.returncode == 2
    assert refused.stderr.startswith(
        f"error: Job {job_id} is waiting for its outline review; approve the outline"
    )
    assert f"POST /api/jobs/{job_id}/outline" in refused.stderr
