"""How fast the form returns: submit latency against running the same job inline.

Prints, for N submissions of a real sample on a fresh SQLite file:
- submit: time for ``JobRunner.submit`` to return (the form's wait);
- visible: time from submit returning to the job row being readable from
  another connection (what another tab or the API sees);
- inline: time to run the same job start to end in the caller's thread;
- the ratio inline / submit (aim: at least 20x) and submit in ms (aim: 50 ms).

Usage: uv run python benchmarks/submit_latency.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text
from sqlmodel import Session

from generation.config import load_settings
from generation.db import get_engine, init_db
from generation.jobs import JobRunner
from generation.models import GenerationJob, JobStatus
from generation.requests import parse_request

SAMPLE = "weight-loss-drugs-us"


def measure(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        settings = load_settings({}, DATABASE_URL=url, JOB_DEDUP_SECONDS=0)
        engine = init_db(get_engine(url))
        runner = JobRunner(engine, settings, workers=2)
        observer = create_engine(url)
        submit_times, visible_times, inline_times = [], [], []
        try:
            for run in range(runs):
                request = {"samples": [SAMPLE], "instructions": f"run {run}"}
                started = time.perf_counter()
                submission = runner.submit(request)
                returned = time.perf_counter()
                _wait_visible(observer, submission.job_id)
                visible = time.perf_counter()
                submit_times.append(returned - started)
                visible_times.append(visible - returned)
                runner.wait(submission.job_id, timeout=60)

                started = time.perf_counter()
                job = _run_inline(
                    runner, engine, request | {"instructions": f"inline {run}"}
                )
                inline_times.append(time.perf_counter() - started)
                assert job.status == JobStatus.SUCCEEDED, job.error
        finally:
            runner.shutdown()
            observer.dispose()

    submit_ms = statistics.median(submit_times) * 1000
    visible_ms = statistics.median(visible_times) * 1000
    inline_ms = statistics.median(inline_times) * 1000
    print(f"runs: {runs}")
    print(f"submit returns (median):          {submit_ms:8.2f} ms   (aim <= 50 ms)")
    print(
        f"row visible to another connection: {visible_ms:7.2f} ms after submit returns"
    )
    print(f"same job run inline (median):     {inline_ms:8.2f} ms")
    print(
        f"inline / submit:                  {inline_ms / submit_ms:8.1f} x  (aim >= 20 x)"
    )


def _run_inline(runner: JobRunner, engine, request: dict) -> GenerationJob:
    """Write a queued job row and run it in this thread, with no executor."""
    parsed = parse_request(request)
    with Session(engine) as session:
        job = GenerationJob(request=parsed.model_dump(mode="json"), writer="data_brief")
        session.add(job)
        session.commit()
        job_id = job.id
    runner.run(job_id)
    with Session(engine) as session:
        return session.get(GenerationJob, job_id)


def _wait_visible(observer, job_id: int) -> None:
    with observer.connect() as connection:
        while (
            connection.execute(
                text("SELECT 1 FROM generationjob WHERE id = :id"), {"id": job_id}
            ).first()
            is None
        ):
            time.sleep(0.0005)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    measure(parser.parse_args().runs)
