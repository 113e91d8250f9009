"""What progress writes cost under load, and what a status poll costs at scale.

Part 1 runs 32 jobs at once (32 workers) on one fresh SQLite file. Each job's
writer streams like a model does: SECTIONS sections of CHUNKS chunks, one
every CHUNK_SECONDS, reporting progress on every chunk (the job runner writes
stage changes at once and text at most every 0.25 s). It prints the share of
each job's writing time spent inside progress calls (aim: at most 2 %), and
the time of one progress write under that load against the same write with
one job alone.

Part 2 fills the jobs table with 100 000 rows and times one status poll
against a bare ``SELECT 1`` through the same session path (aim: at most 2 ms
per poll). A poll is the reads the status fragment makes each second: the job
row, its stage log, and for a queued job the queue counts and its place.

Usage: uv run python benchmarks/concurrency.py [--jobs 32] [--rows 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from generation.config import load_settings
from generation.datasets import save_dataset
from generation.db import get_engine, init_db, session_scope
from generation.jobs import JobRunner
from generation.models import GenerationJob, JobEvent, JobStatus, utcnow
from generation.queries import get_job, job_events, queue_state
from generation.trends import samples
from generation.writers import Draft, register_writer

SECTIONS = 8
CHUNKS = 25
CHUNK_SECONDS = 0.02
WRITER = "bench_streaming"
RUNNING_JOBS = 8
QUEUED_JOBS = 40


class StreamingWriter:
    """Streams SECTIONS x CHUNKS chunks and records the time spent reporting."""

    name = WRITER
    version = "1"
    timings: ClassVar[list[tuple[float, float, int]]] = []
    lock: ClassVar[threading.Lock] = threading.Lock()

    def write(self, brief, on_progress):
        started = time.perf_counter()
        in_progress = 0.0
        calls = 0
        text_so_far = ""
        for section in range(SECTIONS):
            for chunk in range(CHUNKS):
                time.sleep(CHUNK_SECONDS)
                text_so_far += f"word{chunk} "
                percent = (section * CHUNKS + chunk) * 100 // (SECTIONS * CHUNKS)
                before = time.perf_counter()
                on_progress(
                    "write",
                    percent,
                    f"Writing section {section + 1} of {SECTIONS}",
                    text=text_so_far,
                )
                in_progress += time.perf_counter() - before
                calls += 1
        elapsed = time.perf_counter() - started
        with self.lock:
            self.timings.append((in_progress, elapsed, calls))
        return Draft(
            title="Bench",
            summary="",
            body=text_so_far,
            writer=self.name,
            writer_version=self.version,
        )


def run_jobs(url: str, jobs: int) -> tuple[list[tuple[float, float, int]], int]:
    """Run ``jobs`` streaming jobs at once; return their timings and event count."""
    settings = load_settings({}, DATABASE_URL=url, JOB_DEDUP_SECONDS=0)
    engine = init_db(get_engine(url))
    dataset_id = save_dataset(
        samples.load_sample_bundle(["weight-loss-drugs-us"]), engine=engine
    )
    StreamingWriter.timings = []
    runner = JobRunner(engine, settings, workers=jobs)
    try:
        job_ids = [
            runner.submit(
                {"dataset_id": dataset_id, "instructions": f"run {n}", "writer": WRITER}
            ).job_id
            for n in range(jobs)
        ]
        finished = [runner.wait(job_id, timeout=600) for job_id in job_ids]
    finally:
        runner.shutdown()
    assert all(job.status == JobStatus.SUCCEEDED for job in finished)
    with session_scope(engine) as session:
        events = session.execute(text("SELECT COUNT(*) FROM jobevent")).scalar_one()
    return list(StreamingWriter.timings), events


def time_progress_writes(folder: Path, jobs: int) -> None:
    alone, _ = run_jobs(f"sqlite:///{folder / 'alone.db'}", 1)
    loaded, events = run_jobs(f"sqlite:///{folder / 'loaded.db'}", jobs)
    shares = sorted(spent / elapsed for spent, elapsed, _ in loaded)
    per_call_alone = alone[0][0] / alone[0][2]
    per_call_loaded = statistics.mean(spent / calls for spent, _, calls in loaded)
    print(f"Part 1: {jobs} jobs at once, {SECTIONS * CHUNKS} progress calls each")
    print(f"  stage-log events stored:            {events}")
    print(
        f"  progress share of writing time:     median {statistics.median(shares):.2%},"
        f" max {shares[-1]:.2%}   (aim <= 2 %)"
    )
    print(
        f"  one progress call, {jobs} jobs / 1 job: "
        f"{per_call_loaded * 1000:.3f} ms / {per_call_alone * 1000:.3f} ms"
        f" = {per_call_loaded / per_call_alone:.1f} x"
    )


def fill_jobs(engine, rows: int, running: int, queued: int) -> list[int]:
    """Insert ``rows`` jobs, all ended but the newest ones; return the active ids.

    The newest ``running`` jobs are running and the ``queued`` after them are
    waiting, as on a busy server with a long history.
    """
    chooser = random.Random(7)
    now = utcnow()
    ended = [JobStatus.SUCCEEDED] * 9 + [JobStatus.FAILED]
    first_active = rows - running - queued
    batch = []
    with engine.begin() as connection:
        for number in range(rows):
            if number < first_active:
                status = chooser.choice(ended)
            elif number < first_active + running:
                status = JobStatus.RUNNING
            else:
                status = JobStatus.QUEUED
            batch.append(
                {
                    "request": {"samples": ["weight-loss-drugs-us"]},
                    "request_key": f"key-{number}",
                    "status": status,
                    "category": "Health",
                    "topics": f"topic {number}",
                    "writer": "data_brief",
                    "progress": 100 if status.is_final else 40,
                    "created_at": now - timedelta(seconds=rows - number),
                    "message": "",
                    "error": "",
                    "partial_text": "",
                }
            )
            if len(batch) == 5000:
                connection.execute(insert(GenerationJob), batch)
                batch = []
        if batch:
            connection.execute(insert(GenerationJob), batch)
        ids = [
            row[0] for row in connection.execute(text("SELECT id FROM generationjob"))
        ]
        # Every job has its stage log: three entries, as a finished job has.
        stages = (("load data", 15), ("analyse", 25), ("write", 90))
        for start in range(0, len(ids), 5000):
            connection.execute(
                insert(JobEvent),
                [
                    {
                        "job_id": job_id,
                        "at": now,
                        "stage": stage,
                        "progress": percent,
                        "message": f"{stage} done",
                    }
                    for job_id in ids[start : start + 5000]
                    for stage, percent in stages
                ],
            )
    return ids[first_active:]


def time_polls(folder: Path, rows: int, polls: int = 1000) -> None:
    url = f"sqlite:///{folder / 'many.db'}"
    engine = init_db(get_engine(url))
    active = fill_jobs(engine, rows, running=RUNNING_JOBS, queued=QUEUED_JOBS)
    chooser = random.Random(11)

    def select_one() -> None:
        with session_scope(engine) as session:
            session.execute(text("SELECT 1")).scalar_one()

    def poll() -> None:
        # The reads of one refresh of views/job_status.py, which refreshes
        # only while its job is queued or running.
        job_id = chooser.choice(active)
        job = get_job(job_id, engine=engine)
        if job.status == JobStatus.QUEUED:
            queue_state(job_id, engine=engine)
        job_events(job_id, engine=engine)

    for warm_up in (select_one, poll):
        for _ in range(50):
            warm_up()
    baseline = _median_seconds(select_one, polls)
    polled = _median_seconds(poll, polls)
    print(
        f"Part 2: status poll with {rows:,} jobs in the table "
        f"({RUNNING_JOBS} running, {QUEUED_JOBS} queued)"
    )
    print(f"  SELECT 1 through a session (baseline): {baseline * 1000:.3f} ms")
    print(
        f"  status poll (median of {polls}):        {polled * 1000:.3f} ms"
        f" = {polled / baseline:.1f} x baseline   (aim <= 2 ms)"
    )


def _median_seconds(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=32)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    register_writer(WRITER, lambda options: StreamingWriter())
    with tempfile.TemporaryDirectory() as folder:
        time_progress_writes(Path(folder), args.jobs)
        time_polls(Path(folder), args.rows)


if __name__ == "__main__":
    main()
