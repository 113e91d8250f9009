"""Many workers writing progress while many sessions poll, on one SQLite file."""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from generation.config import get_settings
from generation.datasets import save_dataset
from generation.jobs import JobRunner
from generation.models import GenerationJob, JobEvent, JobStatus
from generation.queries import get_job, job_events, list_jobs, queue_state
from generation.trends import samples
from generation.writers import Draft, register_writer
from generation.writers.base import _registry

JOBS = 32
WORKERS = 8
POLLERS = 20
PROGRESS_CALLS = 200
WRITER = "test_chatty"


@pytest.fixture
def chatty_writer() -> Iterator[Counter]:
    """A writer that reports progress PROGRESS_CALLS times, each with a new message.

    Returns a counter of the calls each job's writer made, keyed by topic.
    """
    calls: Counter = Counter()
    lock = threading.Lock()

    class ChattyWriter:
        name = WRITER
        version = "1"

        def write(self, brief, on_progress):
            topic = brief.topics[0]
            text = ""
            for step in range(PROGRESS_CALLS):
                text += f"{step} "
                on_progress("write", step * 100 // PROGRESS_CALLS, f"Step {step}", text)
                with lock:
                    calls[topic] += 1
            return Draft(
                title=f"Chatty {topic}",
                summary="s",
                body=text,
                writer=self.name,
                writer_version=self.version,
            )

    register_writer(WRITER, lambda options: ChattyWriter())
    yield calls
    _registry.pop(WRITER, None)


def poll_until(stop: threading.Event, job_ids: list[int], errors: list) -> int:
    """Read status the way the pages do, as fast as possible; return reads made."""
    reads = 0
    chooser = random.Random(threading.get_ident())
    while not stop.is_set():
        job_id = chooser.choice(job_ids)
        try:
            get_job(job_id)
            job_events(job_id)
            queue_state(job_id)
            list_jobs(limit=20)
        except Exception as error:  # noqa: BLE001 - any failure is a finding
            errors.append(repr(error))
        reads += 1
    return reads


def test_32_jobs_and_20_pollers_lose_nothing(engine, chatty_writer, caplog):
    caplog.set_level(logging.WARNING)
    data = samples.load_sample_bundle(["weight-loss-drugs-us"])
    dataset_id = save_dataset(data, engine=engine)
    runner = JobRunner(engine, get_settings(), workers=WORKERS)
    topics = [f"topic {number}" for number in range(JOBS)]
    job_ids = [
        runner.submit(
            # One of the data's terms beside each job's own topic.
            {
                "dataset_id": dataset_id,
                "topics": [topic, data.terms[0]],
                "writer": WRITER,
            }
        ).job_id
        for topic in topics
    ]
    stop = threading.Event()
    errors: list[str] = []
    reads: list[int] = []
    pollers = [
        threading.Thread(target=lambda: reads.append(poll_until(stop, job_ids, errors)))
        for _ in range(POLLERS)
    ]
    for poller in pollers:
        poller.start()

    finished = [runner.wait(job_id, timeout=600) for job_id in job_ids]
    stop.set()
    for poller in pollers:
        poller.join()
    runner.shutdown()

    assert errors == []
    assert sum(reads) >= POLLERS
    assert [job.status for job in finished] == [JobStatus.SUCCEEDED] * JOBS
    assert {job.error for job in finished} == {""}
    assert chatty_writer == Counter({topic: PROGRESS_CALLS for topic in topics})
    with Session(engine) as session:
        for job_id in job_ids:
            messages = session.exec(
                select(JobEvent.message)
                .where(JobEvent.job_id == job_id)
                .where(JobEvent.stage == "write")
                .where(JobEvent.message.startswith("Step "))
            ).all()
            assert sorted(messages) == sorted(
                f"Step {step}" for step in range(PROGRESS_CALLS)
            )
        job_count = session.exec(select(func.count()).select_from(GenerationJob)).one()
    assert job_count == JOBS
    locked = [r.getMessage() for r in caplog.records if "locked" in r.getMessage()]
    assert locked == []
