"""Batches: one job per topic from one action, each on its own, with totals."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from generation.errors import InvalidRequest, NotFound
from generation.jobs import MAX_BATCH_JOBS
from generation.models import GenerationJob, JobStatus
from generation.queries import batch_progress, get_job
from tests.reliability.conftest import open_app
from views.batch import request_per_topic

BASE = {"samples": ["weight-loss-drugs-us"], "category": "Health"}
TOPICS = ["ozempic", "wegovy", "monjauro"]


def batch_requests(topics=TOPICS, **extra):
    return [request_per_topic({**BASE, **extra}, topic) for topic in topics]


def job_count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(GenerationJob)).one()


def test_batch_starts_one_job_per_topic(runner, engine):
    batch_id = runner.submit_batch(batch_requests())

    jobs = [runner.wait(job.id, timeout=60) for job in batch_progress(batch_id).jobs]

    assert [job.topics for job in jobs] == TOPICS
    assert [job.request["topics"] for job in jobs] == [[topic] for topic in TOPICS]
    assert {job.batch_id for job in jobs} == {batch_id}
    assert [job.status for job in jobs] == [JobStatus.SUCCEEDED] * 3
    assert len({job.report_id for job in jobs}) == 3
    done = batch_progress(batch_id)
    assert (done.total, done.finished, done.percent) == (3, 3, 100)
    assert done.count(JobStatus.SUCCEEDED) == 3


def test_cancel_one_job_of_batch(runner, engine, paced_writer):
    requests = batch_requests(writer=paced_writer, options={"pace_seconds": 0.05})
    batch_id = runner.submit_batch(requests)
    first, second, third = (job.id for job in batch_progress(batch_id).jobs)

    assert runner.cancel(second)

    for job_id in (first, second, third):
        runner.wait(job_id, timeout=60)
    progress = batch_progress(batch_id)
    assert [job.status for job in progress.jobs] == [
        JobStatus.SUCCEEDED,
        JobStatus.CANCELLED,
        JobStatus.SUCCEEDED,
    ]
    assert progress.finished == 3
    assert progress.count(JobStatus.CANCELLED) == 1


def test_batch_progress_while_running(runner, engine, paced_writer):
    requests = batch_requests(writer=paced_writer, options={"pace_seconds": 0.05})
    batch_id = runner.submit_batch(requests)

    progress = batch_progress(batch_id)

    assert progress.total == 3
    expected = round(
        sum(100 if job.status.is_final else job.progress for job in progress.jobs) / 3
    )
    assert progress.percent == expected
    assert progress.finished < 3
    for job in progress.jobs:
        runner.wait(job.id, timeout=60)


def test_invalid_topic_starts_nothing(runner, engine):
    requests = batch_requests(["ozempic", "x" * 101, "wegovy"])

    with pytest.raises(InvalidRequest) as raised:
        runner.submit_batch(requests)

    assert raised.value.message == (
        "Report 2 of the batch: A topic is 101 characters long; the limit is 100. "
        "Shorten it to a search term."
    )
    assert job_count(engine) == 0


def test_empty_batch_is_rejected(runner, engine):
    with pytest.raises(InvalidRequest) as raised:
        runner.submit_batch([])

    assert raised.value.message == (
        "The batch has no reports to start. Pick at least one topic, then start "
        "the batch again."
    )


def test_oversized_batch_is_rejected(runner, engine):
    topics = [f"topic {number}" for number in range(MAX_BATCH_JOBS + 1)]

    with pytest.raises(InvalidRequest) as raised:
        runner.submit_batch(batch_requests(topics))

    assert raised.value.message == (
        f"The batch asks for {MAX_BATCH_JOBS + 1} reports; the limit is "
        f"{MAX_BATCH_JOBS}. Pick fewer topics."
    )
    assert job_count(engine) == 0


def test_repeated_topic_makes_one_job(runner, engine):
    batch_id = runner.submit_batch(batch_requests(["ozempic", "Ozempic", "wegovy"]))

    assert [job.topics for job in batch_progress(batch_id).jobs] == [
        "ozempic",
        "wegovy",
    ]


def test_double_click_returns_same_batch(runner, engine):
    first = runner.submit_batch(batch_requests())
    second = runner.submit_batch(batch_requests())

    assert second == first
    assert job_count(engine) == 3


def test_simultaneous_batches_make_one(runner, engine):
    barrier = threading.Barrier(2)
    batch_ids: list[str] = []

    def start() -> None:
        barrier.wait()
        batch_ids.append(runner.submit_batch(batch_requests()))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(batch_ids) == 2
    assert batch_ids[0] == batch_ids[1]
    assert job_count(engine) == 3
    assert batch_progress(batch_ids[0]).total == 3


def test_single_job_is_not_a_batch_repeat(runner, engine):
    single = runner.submit(batch_requests()[0])

    batch_id = runner.submit_batch(batch_requests())

    assert single.job_id not in [job.id for job in batch_progress(batch_id).jobs]
    assert get_job(single.job_id).batch_id == ""


def test_live_query_is_narrowed_per_topic():
    base = {
        "trends_query": {"terms": ["a", "b"], "timeframe": "today 3-m", "geo": "GB"},
        "category": "News",
    }

    request = request_per_topic(base, "b")

    assert request["topics"] == ["b"]
    assert request["trends_query"] == {
        "terms": ["b"],
        "timeframe": "today 3-m",
        "geo": "GB",
    }
    assert base["trends_query"]["terms"] == ["a", "b"]


@pytest.mark.parametrize(
    "value", ["abc", "0" * 31, "g" * 32, "1;DROP TABLE generationjob", ""]
)
def test_malformed_batch_id_raises_sentence(engine, value):
    with pytest.raises(NotFound) as raised:
        batch_progress(value)

    assert raised.value.message == (
        f"'{value}' is not a batch id; a batch id is 32 letters a-f and digits, "
        "as in the address of the page that started it."
    )


def test_unknown_batch_id_raises_sentence(engine):
    with pytest.raises(NotFound) as raised:
        batch_progress("a" * 32)

    assert raised.value.message == (
        f"There is no batch {'a' * 32}. It may have been typed wrongly."
    )


def test_generate_page_starts_batch(engine, paced_writer, monkeypatch):
    monkeypatch.setenv("SLOW_WRITER_STEPS", "100")
    monkeypatch.setenv("SLOW_WRITER_PACE_SECONDS", "0.05")
    app = open_app("pages/generate.py")
    form_topics = app.multiselect[1]
    assert form_topics.label == "Topics"
    form_topics.set_value(TOPICS)
    writer = next(box for box in app.selectbox if box.label == "Writer")
    writer.set_value(paced_writer)
    one_per_topic = next(
        box for box in app.checkbox if box.label == "One report per topic"
    )
    one_per_topic.check()

    app.get("form_submit_button")[0].click()
    app.run()

    assert not app.exception
    assert "job" not in app.query_params
    batch_id = app.query_params["batch"]
    progress = batch_progress(batch_id)
    assert [job.topics for job in progress.jobs] == TOPICS
    headings = [element.value for element in app.markdown]
    assert "#### :material/stacks: Batch of 3 reports" in headings
    cancel_labels = [button.label for button in app.button if button.label == "Cancel"]
    assert len(cancel_labels) == 3

    cancel = next(
        button
        for button in app.button
        if button.key == f"batch-cancel-{progress.jobs[0].id}"
    )
    cancel.click()
    app.run()

    assert not app.exception
    assert get_job(progress.jobs[0].id).cancel_requested
