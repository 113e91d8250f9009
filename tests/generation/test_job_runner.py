"""The job runner: a job from a real Trends export to a stored report, and its edges."""

from __future__ import annotations

import logging
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from generation import jobs
from generation.analysis import analyse
from generation.datasets import save_dataset
from generation.errors import InvalidRequest, NotFound, WriterFailed
from generation.models import GenerationJob, JobEvent, JobStatus, Report, utcnow
from generation.queries import get_job, get_report, job_events, queue_state
from generation.trends.csv_import import parse_trends_csv
from generation.writers import Draft, register_writer
from generation.writers.base import _registry

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trends"
WEEKLY_EXPORT = FIXTURES / "trends_multitimeline_weekly_2terms_korean_southkorea.csv"


@pytest.fixture
def dataset_id(engine) -> int:
    data = parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name)
    return save_dataset(data, engine=engine)


@pytest.fixture
def gate_writer():
    """A writer that streams text until the test opens its gate."""
    gate = threading.Event()
    started = threading.Event()

    class GateWriter:
        name = "test_gate"
        version = "1"

        def write(self, brief, on_progress):
            started.set()
            text = ""
            for step in range(600):
                text += f"line {step}\n"
                on_progress("write", min(99, step), f"Step {step}", text=text)
                if gate.wait(0.02):
                    break
            return Draft(
                title="Gated",
                summary="s",
                body=text,
                writer=self.name,
                writer_version=self.version,
            )

    register_writer("test_gate", lambda options: GateWriter())
    yield gate, started
    gate.set()
    _registry.pop("test_gate", None)


def test_a_job_turns_a_real_export_into_a_stored_report(runner, dataset_id, engine):
    submission = runner.submit({"dataset_id": dataset_id, "category": "Games"})
    job = runner.wait(submission.job_id, timeout=30)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100
    report = get_report(job.report_id)
    data = parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name)
    expected = analyse(data)
    for term in data.terms:
        figures = expected.term(term)
        assert term in report.body
        assert figures.peak_period in report.body
        assert (
            report.analysis["terms"][data.terms.index(term)]["peak_period"]
            == figures.peak_period
        )
    assert report.category == "Games"
    assert set(report.timings) == {"load data", "analyse", "write", "save"}
    stages = [event.stage for event in job_events(job.id)]
    assert stages[:2] == ["queued", "starting"]
    assert stages[-1] == "done"
    assert {"load data", "analyse", "write", "save"} <= set(stages)


def test_a_repeated_request_gets_the_same_job(runner, dataset_id, engine):
    request = {"dataset_id": dataset_id, "topics": ["a", "b"]}
    first = runner.submit(request)
    again = runner.submit({"dataset_id": dataset_id, "topics": ["B", "a"]})

    assert first.created and not again.created
    assert again.job_id == first.job_id
    with Session(engine) as session:
        assert len(session.exec(select(GenerationJob)).all()) == 1


def test_simultaneous_identical_submissions_make_one_job(runner, dataset_id, engine):
    barrier = threading.Barrier(8)
    results: list[int] = []

    def submit():
        barrier.wait()
        results.append(runner.submit({"dataset_id": dataset_id}).job_id)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    with Session(engine) as session:
        assert len(session.exec(select(GenerationJob)).all()) == 1


def test_a_queued_job_knows_its_place_and_can_be_cancelled(
    engine, dataset_id, gate_writer
):
    gate, started = gate_writer
    runner = jobs.JobRunner(engine, workers=1)
    try:
        running = runner.submit({"dataset_id": dataset_id, "writer": "test_gate"})
        assert started.wait(10)
        waiting = runner.submit(
            {"dataset_id": dataset_id, "writer": "test_gate", "topics": ["other"]}
        )
        state = queue_state(waiting.job_id)
        assert (state.running, state.queued, state.position) == (1, 1, 1)

        assert runner.cancel(waiting.job_id) is True
        assert get_job(waiting.job_id).status == JobStatus.CANCELLED
        gate.set()
        assert runner.wait(running.job_id, timeout=20).status == JobStatus.SUCCEEDED
    finally:
        runner.shutdown()


def test_cancelling_a_running_job_stops_it_and_keeps_the_text(
    engine, dataset_id, gate_writer
):
    _, started = gate_writer
    runner = jobs.JobRunner(engine, workers=1)
    try:
        submission = runner.submit({"dataset_id": dataset_id, "writer": "test_gate"})
        assert started.wait(10)
        runner.wait(submission.job_id, timeout=0.3)
        runner.cancel(submission.job_id)
        job = runner.wait(submission.job_id, timeout=10)
    finally:
        runner.shutdown()

    assert job.status == JobStatus.CANCELLED
    assert job.partial_text.startswith("line 0\n")
    assert job.report_id is None


def test_a_writer_sentence_ends_the_job_failed_with_it(runner, dataset_id):
    class RefusingWriter:
        name = "test_refusing"
        version = "1"

        def write(self, brief, on_progress):
            on_progress("write", 50, "Half way", text="Half a report")
            error = WriterFailed("The model refused; change the notes and retry.")
            raise error

    register_writer("test_refusing", lambda options: RefusingWriter())
    try:
        job = runner.wait(
            runner.submit({"dataset_id": dataset_id, "writer": "test_refusing"}).job_id,
            20,
        )
    finally:
        _registry.pop("test_refusing", None)
    assert job.status == JobStatus.FAILED
    assert job.error == "The model refused; change the notes and retry."
    assert job.partial_text == "Half a report"


def test_an_unexpected_error_fails_the_job_with_a_sentence_and_a_log_line(
    runner, dataset_id, caplog
):
    class BrokenWriter:
        name = "test_broken"
        version = "1"

        def write(self, brief, on_progress):
            raise ZeroDivisionError("division by zero")

    register_writer("test_broken", lambda options: BrokenWriter())
    try:
        with caplog.at_level(logging.ERROR, logger="generation.jobs"):
            job = runner.wait(
                runner.submit(
                    {"dataset_id": dataset_id, "writer": "test_broken"}
                ).job_id,
                20,
            )
    finally:
        _registry.pop("test_broken", None)
    assert job.status == JobStatus.FAILED
    assert "ZeroDivisionError" in job.error
    assert "retry" in job.error
    assert f"Job {job.id} failed" in caplog.text


def test_a_request_without_data_is_refused_before_a_job_exists(runner, engine):
    with pytest.raises(InvalidRequest, match="Pick a sample, upload a Google Trends"):
        runner.submit({"topics": ["pizza"]})
    with Session(engine) as session:
        assert session.exec(select(GenerationJob)).all() == []


def test_topics_the_data_knows_nothing_about_fail_with_a_sentence(runner, dataset_id):
    job = runner.wait(
        runner.submit({"dataset_id": dataset_id, "topics": ["bitcoin"]}).job_id, 20
    )
    assert job.status == JobStatus.FAILED
    assert job.error.startswith(
        "The trends data has nothing on 'bitcoin': its terms are "
    )
    assert job.report_id is None


def test_topics_taken_from_the_data_are_named_on_the_job(runner, dataset_id):
    job = runner.wait(runner.submit({"dataset_id": dataset_id}).job_id, 20)
    data = parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name)
    assert job.topics == ", ".join(data.terms)


def test_an_unknown_writer_is_refused_before_a_job_exists(runner, engine):
    with pytest.raises(InvalidRequest, match="no writer called 'shakespeare'"):
        runner.submit({"samples": ["x"], "writer": "shakespeare"})
    with Session(engine) as session:
        assert session.exec(select(GenerationJob)).all() == []


def test_retry_starts_a_linked_job_with_the_same_inputs(runner, engine, dataset_id):
    failed = runner.wait(
        runner.submit(
            {"dataset_id": dataset_id, "topics": ["pizza"], "language": "Deutsch"}
        ).job_id,
        20,
    )
    assert failed.status == JobStatus.FAILED

    retried = runner.retry(failed.id)
    again = runner.retry(failed.id)

    assert retried.created and retried.job_id != failed.id
    assert again.job_id == retried.job_id
    job = get_job(retried.job_id)
    assert job.retry_of == failed.id
    assert job.request == failed.request
    with pytest.raises(NotFound):
        runner.retry(987654)


def _insert_active_job(engine, worker: str, heartbeat_age: timedelta) -> int:
    with Session(engine) as session:
        job = GenerationJob(
            status=JobStatus.RUNNING,
            worker=worker,
            started_at=utcnow() - heartbeat_age,
            heartbeat_at=utcnow() - heartbeat_age,
        )
        session.add(job)
        session.commit()
        return job.id


def test_recovery_marks_jobs_of_dead_or_silent_workers_interrupted(engine):
    host = socket.gethostname()
    dead_process = _insert_active_job(engine, f"{host}:99999999", timedelta(seconds=1))
    silent_elsewhere = _insert_active_job(
        engine, "other-host:12", timedelta(minutes=10)
    )
    alive_elsewhere = _insert_active_job(engine, "other-host:13", timedelta(seconds=1))

    recovered = jobs.recover_interrupted_jobs(engine)

    assert sorted(recovered) == sorted([dead_process, silent_elsewhere])
    assert get_job(dead_process).status == JobStatus.INTERRUPTED
    assert "process running it stopped" in get_job(dead_process).message
    assert "no heartbeat" in get_job(silent_elsewhere).message
    assert get_job(alive_elsewhere).status == JobStatus.RUNNING
    with Session(engine) as session:
        events = session.exec(
            select(JobEvent).where(JobEvent.job_id == dead_process)
        ).all()
    assert [event.stage for event in events] == ["interrupted"]


def test_the_heartbeat_keeps_a_long_job_alive(engine, dataset_id, gate_writer):
    gate, started = gate_writer
    runner = jobs.JobRunner(engine, workers=1)
    try:
        submission = runner.submit({"dataset_id": dataset_id, "writer": "test_gate"})
        assert started.wait(10)
        with Session(engine) as session:
            job = session.get(GenerationJob, submission.job_id)
            job.heartbeat_at = utcnow() - timedelta(hours=1)
            session.add(job)
            session.commit()
        runner._beat_once()
        job = get_job(submission.job_id)
        assert job.heartbeat_at > utcnow() - timedelta(seconds=30)
        assert job.status == JobStatus.RUNNING
    finally:
        gate.set()
        runner.shutdown()
    with Session(engine) as session:
        assert session.exec(select(Report)).one().title == "Gated"


def test_streamed_text_is_written_when_the_stream_pauses(runner, dataset_id):
    seen_during_pause: list[str] = []

    class PausingWriter:
        name = "test_pausing"
        version = "1"

        def write(self, brief, on_progress):
            on_progress("write", 10, "Streaming", text="first chunk")
            # Within the write interval, so this chunk is held back at first.
            on_progress("write", 10, "Streaming", text="first chunk, second chunk")
            time.sleep(jobs.TEXT_WRITE_INTERVAL_SECONDS * 4)
            seen_during_pause.append(get_job(self.job_id).partial_text)
            return Draft(
                title="Paused",
                summary="",
                body="done",
                writer=self.name,
                writer_version=self.version,
            )

    writer = PausingWriter()
    register_writer("test_pausing", lambda options: writer)
    try:
        submission = runner.submit({"dataset_id": dataset_id, "writer": "test_pausing"})
        writer.job_id = submission.job_id
        job = runner.wait(submission.job_id, timeout=20)
    finally:
        _registry.pop("test_pausing", None)
    assert job.status == JobStatus.SUCCEEDED
    assert seen_during_pause == ["first chunk, second chunk"]


def test_a_report_keeps_the_cost_of_each_writing_step(runner, dataset_id):
    class CostedWriter:
        name = "test_costed"
        version = "1"

        def write(self, brief, on_progress):
            return Draft(
                title="Costed",
                summary="",
                body="text",
                writer=self.name,
                writer_version=self.version,
                cost_usd=0.003,
                stage_costs={"outline": 0.001, "section 1": 0.002},
            )

    register_writer("test_costed", lambda options: CostedWriter())
    try:
        job = runner.wait(
            runner.submit({"dataset_id": dataset_id, "writer": "test_costed"}).job_id,
            20,
        )
    finally:
        _registry.pop("test_costed", None)
    report = get_report(job.report_id)
    assert report.stage_costs == {"outline": 0.001, "section 1": 0.002}
    assert report.cost_usd == 0.003


def test_a_database_from_before_cost_and_prompt_columns_is_upgraded(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from generation.db import MIGRATIONS, init_db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = init_db(create_engine(url))
    # Make the file look like one written before migration 2.
    with old.begin() as connection:
        connection.execute(text("ALTER TABLE report DROP COLUMN stage_costs"))
        connection.execute(text("ALTER TABLE report DROP COLUMN prompt"))
        for column in ("outline", "outline_approved", "outline_usage"):
            connection.execute(text(f"ALTER TABLE generationjob DROP COLUMN {column}"))
        connection.execute(
            text(
                "INSERT INTO generationjob (status, progress, stage, "
                "message, error, request, request_key, category, topics, "
                "writer, model, cancel_requested, batch_id, partial_text, "
                "worker, created_at) VALUES ('SUCCEEDED', 100, 'done', '', "
                "'', '{}', 'k', '', 'pizza', 'data_brief', '', 0, '', '', "
                "'', '2025-01-01 00:00:00')"
            )
        )
        connection.execute(text("DELETE FROM schema_version WHERE version >= 2"))
    old.dispose()

    engine = init_db(create_engine(url))

    columns = {column["name"] for column in inspect(engine).get_columns("report")}
    assert {"stage_costs", "prompt"} <= columns
    job_columns = {
        column["name"] for column in inspect(engine).get_columns("generationjob")
    }
    assert {"outline", "outline_approved", "outline_usage"} <= job_columns
    # A job written before the outline review reads with the new defaults.
    old_job = get_job(1, engine=engine)
    assert old_job.outline == ""
    assert old_job.outline_approved is False
    assert old_job.outline_usage == {}
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version FROM schema_version")).all()
    assert sorted(row[0] for row in versions) == [version for version, _ in MIGRATIONS]
    engine.dispose()


def test_a_restarted_step_keeps_the_text_written_before_it(runner, dataset_id):
    class RestartingWriter:
        name = "test_restarting"
        version = "1"

        def write(self, brief, on_progress):
            on_progress("write", 10, "Step 1", text="first attempt text")
            # The step restarts after a dropped stream, then the job is stopped.
            on_progress("write", 10, "Step 1 again", text="")
            raise WriterFailed("The stream broke twice; retry the job.")

    register_writer("test_restarting", lambda options: RestartingWriter())
    try:
        job = runner.wait(
            runner.submit(
                {"dataset_id": dataset_id, "writer": "test_restarting"}
            ).job_id,
            20,
        )
    finally:
        _registry.pop("test_restarting", None)
    assert job.status == JobStatus.FAILED
    assert job.partial_text == "first attempt text"
