"""Generation jobs: submit, run on a thread pool, record progress, recover.

A job row is written before any work starts, so the form returns at once and
nothing is lost if the process dies. Each process has one ``JobRunner`` with
one thread pool and one heartbeat thread. Progress is written in short
transactions, one per update, so many workers and many polling sessions can
share one SQLite file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation import datasets
from generation.analysis import analyse
from generation.config import Settings, get_settings
from generation.db import get_engine, init_db, session_scope
from generation.errors import (
    InvalidRequest,
    JobCancelled,
    NotFound,
    NoTrendsData,
    UserFacingError,
)
from generation.models import (
    FINAL_STATUSES,
    GenerationJob,
    JobEvent,
    JobStatus,
    Report,
    utcnow,
)
from generation.plugins import load_writer_plugins
from generation.requests import (
    MAX_TOPICS,
    GenerationRequest,
    clean_text,
    parse_request,
)
from generation.trends.base import TrendsData
from generation.writers import (
    Brief,
    Draft,
    OutlineDraft,
    OutlineReady,
    bool_option,
    create_writer,
    writer_names,
    writer_reviews_outline,
)
from generation.writers.prompts import check_reviewed_outline

logger = logging.getLogger(__name__)

ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
OUTLINE_READY = (
    "The outline is ready for your review: edit it if needed, then approve it "
    "to write the sections, or cancel the job."
)
# Most jobs one batch may start; one per topic, as many as a request allows.
MAX_BATCH_JOBS = MAX_TOPICS
# Streamed text is written at most this often; stage changes always are.
TEXT_WRITE_INTERVAL_SECONDS = 0.25
# Share of the progress bar each stage ends at.
STAGE_END = {"load data": 15, "analyse": 25, "write": 90, "save": 100}

NO_DATA = (
    "The request names no trends data. Pick a sample, upload a Google "
    "Trends export, or run a live query, then start the report again."
)
UNEXPECTED_ERROR = (
    "The job stopped on an unexpected error ({kind}). It has been logged with "
    "the job id; retry the job, and if it fails again, report the job id."
)

# Called with (job id, final status) in the thread that ended the job, after
# the status is committed; webhooks use this. Listeners must return quickly.
JobListener = Callable[[int, JobStatus], None]
_job_listeners: list[JobListener] = []
_job_listeners_lock = threading.Lock()


def add_job_listener(listener: JobListener) -> None:
    """Call ``listener(job_id, status)`` whenever a job of this process ends."""
    with _job_listeners_lock:
        if listener not in _job_listeners:
            _job_listeners.append(listener)


def remove_job_listener(listener: JobListener) -> None:
    with _job_listeners_lock:
        if listener in _job_listeners:
            _job_listeners.remove(listener)


def notify_job_listeners(job_id: int, status: JobStatus) -> None:
    """Call each listener; an exception is logged and never reaches the job."""
    with _job_listeners_lock:
        listeners = list(_job_listeners)
    for listener in listeners:
        try:
            listener(job_id, status)
        except Exception:  # a listener must not break the job that ended
            logger.exception("Job listener %r failed for job %s", listener, job_id)


def worker_id() -> str:
    """Return this process's identity as written on the jobs it runs."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Submission:
    job_id: int
    # False when an identical request submitted moments ago was returned.
    created: bool


@dataclass
class _Timer:
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)

    def lap(self, stage: str, since: float) -> None:
        self.stages[stage] = round(time.perf_counter() - since, 4)


class JobRunner:
    """Runs this process's jobs on a thread pool and keeps them alive."""

    def __init__(
        self,
        engine: Engine | None = None,
        settings: Settings | None = None,
        workers: int | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.engine = engine or get_engine(self.settings.database_url)
        init_db(self.engine)
        self.workers = workers or self.settings.executor_workers
        self.worker = worker_id()
        self._executor = ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="generation-job"
        )
        self._stop = threading.Event()
        self._heartbeat = threading.Thread(
            target=self._beat, name="generation-heartbeat", daemon=True
        )
        self._heartbeat.start()
        # Streamed text waiting to be written, for every job of this runner.
        self._unwritten: set[_ProgressRecorder] = set()
        self._unwritten_lock = threading.Lock()
        self._text_writer = threading.Thread(
            target=self._write_unwritten_text, name="generation-text", daemon=True
        )
        self._text_writer.start()

    # Submitting -----------------------------------------------------------

    def submit(
        self,
        request: GenerationRequest | dict[str, Any],
        *,
        retry_of: int | None = None,
        batch_id: str = "",
        schedule_id: int | None = None,
        dedup: bool = True,
        dedup_scope: str = "",
        start: bool = True,
    ) -> Submission:
        """Record a job and queue it; an identical recent request is returned instead.

        Only requests with the same ``dedup_scope`` count as identical. With
        ``start=False`` the job is recorded for another process to run
        (``python -m generation run-job``) and has no worker until then.
        Raises ``InvalidRequest`` with a sentence when the request is invalid.
        """
        request = self._with_writer(parse_request(request))
        writer = request.writer
        key = request.key()
        if retry_of is not None:
            # Two clicks on one Retry button collapse; separate retries do not
            # collapse with the original job.
            key = f"{key}:retry-of:{retry_of}"
        if schedule_id is not None:
            key = f"{key}:schedule:{schedule_id}"
        if dedup_scope:
            key = f"{key}:{dedup_scope}"

        now = utcnow()
        topics = ", ".join(request.topics)
        job_row = {
            "request": request.model_dump(mode="json"),
            "request_key": key,
            "category": request.category,
            "topics": topics,
            "writer": writer,
            "model": str(request.options.get("model", "")),
            "dataset_id": request.dataset_id,
            "retry_of": retry_of,
            "batch_id": batch_id,
            "schedule_id": schedule_id,
            "worker": self.worker if start else "",
            "created_at": now,
            "heartbeat_at": now,
            "message": "Waiting for a free worker.",
            # Columns declared with sa_column have no column default.
            "error": "",
            "partial_text": "",
            "outline": "",
            "outline_usage": {},
        }
        # Core statements on a connection, not ORM objects in a session: the
        # form waits on this, and the ORM's work costs more than the writes.
        # The row and its first stage-log entry share one transaction.
        with self.engine.begin() as connection:
            job_id = connection.execute(_JOB_INSERT, job_row).scalar_one()
            connection.execute(
                _EVENT_INSERT,
                {
                    "job_id": job_id,
                    "at": now,
                    "stage": "queued",
                    "progress": 0,
                    "message": "Queued.",
                },
            )

        if dedup:
            earlier = self._earlier_duplicate(job_id, key)
            if earlier is not None:
                with self.engine.begin() as connection:
                    connection.execute(
                        delete(JobEvent).where(JobEvent.job_id == job_id)
                    )
                    connection.execute(
                        delete(GenerationJob).where(GenerationJob.id == job_id)
                    )
                logger.info(
                    "Job %s is a repeat of job %s; returned that one", job_id, earlier
                )
                return Submission(job_id=earlier, created=False)

        logger.info("Job %s queued (writer %s, topics %s)", job_id, writer, topics)
        if start:
            self._executor.submit(self.run, job_id)
        return Submission(job_id=job_id, created=True)

    def submit_batch(
        self, requests: Sequence[GenerationRequest | dict[str, Any]]
    ) -> str:
        """Start one job per request under one batch id, and return the id.

        Every request is checked before any job is recorded, so one invalid
        request raises ``InvalidRequest`` and starts nothing. Starting the
        same batch again within the dedup window returns the earlier batch.
        """
        if not requests:
            raise InvalidRequest(
                "The batch has no reports to start. Pick at least one topic, "
                "then start the batch again.",
                field="topics",
            )
        if len(requests) > MAX_BATCH_JOBS:
            raise InvalidRequest(
                f"The batch asks for {len(requests)} reports; the limit is "
                f"{MAX_BATCH_JOBS}. Pick fewer topics.",
                field="topics",
            )
        checked: dict[str, GenerationRequest] = {}
        for number, request in enumerate(requests, start=1):
            try:
                parsed = self._with_writer(parse_request(request))
            except InvalidRequest as error:
                raise InvalidRequest(
                    f"Report {number} of the batch: {error.message}", field=error.field
                ) from None
            checked.setdefault(parsed.key(), parsed)
        scope = (
            "batch:" + hashlib.sha256("\n".join(sorted(checked)).encode()).hexdigest()
        )
        new_batch_id = uuid.uuid4().hex
        job_ids = [
            self.submit(request, batch_id=new_batch_id, dedup_scope=scope).job_id
            for request in checked.values()
        ]
        # Two identical batches started at the same moment may each win some
        # of the jobs. Both callers then move every job to the batch of the
        # first one, so both return one batch that has all the jobs.
        with session_scope(self.engine) as session:
            batch_id = session.get(GenerationJob, job_ids[0]).batch_id
            session.execute(
                update(GenerationJob)
                .where(col(GenerationJob.id).in_(job_ids))
                .where(GenerationJob.batch_id != batch_id)
                .values(batch_id=batch_id)
            )
        logger.info("Batch %s has jobs %s", batch_id, job_ids)
        return batch_id

    def _with_writer(self, request: GenerationRequest) -> GenerationRequest:
        """Return the request with its writer named; no data or writer raises."""
        if not (request.dataset_id or request.samples or request.trends_query):
            raise InvalidRequest(NO_DATA, field="dataset_id")
        writer = request.writer or self.settings.effective_writer
        if writer not in writer_names():
            raise InvalidRequest(
                f"There is no writer called '{writer}'. Choose one of: "
                f"{', '.join(writer_names())}.",
                field="writer",
            )
        review = bool_option(request.options, "review_outline", False)
        if review and not writer_reviews_outline(writer):
            raise InvalidRequest(
                f"The {writer} writer writes no outline to review. Choose the "
                "gemini writer, or start the report without the outline review.",
                field="options.review_outline",
            )
        self._check_data_exists(request)
        return request.model_copy(update={"writer": writer})

    def _check_data_exists(self, request: GenerationRequest) -> None:
        """Raise ``InvalidRequest`` when the request's dataset or a sample is not found."""
        from generation.trends import samples

        for name in request.samples:
            try:
                samples.get_sample(name)
            except NotFound as error:
                raise InvalidRequest(error.message, field="samples") from None
        if request.dataset_id is None:
            return
        try:
            datasets.get_dataset(request.dataset_id, engine=self.engine)
        except NotFound:
            raise InvalidRequest(
                f"No trends dataset has id {request.dataset_id}. Import the export "
                "first (on Explore, or with 'python -m generation import FILE.csv') "
                "and use the dataset id it gives.",
                field="dataset_id",
            ) from None

    def _earlier_duplicate(self, job_id: int, key: str) -> int | None:
        """Return the oldest other job this one repeats, if any.

        The new row is committed first and then compared, so two processes
        submitting at the same moment both see both rows and both keep the
        lower id: exactly one job survives.
        """
        cutoff = utcnow() - timedelta(seconds=self.settings.job_dedup_seconds)
        with self.engine.connect() as connection:
            earliest = connection.execute(
                _EARLIER_DUPLICATE,
                {"key": key, "job_id": job_id, "cutoff": cutoff},
            ).scalar_one()
        if earliest is not None and earliest < job_id:
            return earliest
        return None

    def retry(self, job_id: int) -> Submission:
        """Start a new job with the inputs of a finished one, linked to it."""
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            if job is None:
                raise NotFound(f"There is no job {job_id}. Check the job id.")
            if job.status in ACTIVE_STATUSES:
                raise InvalidRequest(
                    f"Job {job_id} is still {job.status}; retry it once it has ended."
                )
            if job.status == JobStatus.AWAITING_REVIEW:
                raise InvalidRequest(
                    f"Job {job_id} is waiting for its outline review; approve the "
                    "outline or cancel the job before retrying it."
                )
            request = dict(job.request)
        return self.submit(request, retry_of=job_id)

    def cancel(self, job_id: int) -> bool:
        """Ask a queued or running job to stop; False if it has already ended."""
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            if job is None:
                raise NotFound(f"There is no job {job_id}. Check the job id.")
            if job.status in FINAL_STATUSES:
                return False
            job.cancel_requested = True
            # A queued job and one waiting for its outline review have no
            # worker to notice the request, so they end here.
            if job.status == JobStatus.QUEUED and job.outline_approved:
                message = (
                    "Cancelled before the sections were written; the outline is kept."
                )
            elif job.status == JobStatus.QUEUED:
                message = "Cancelled before it started."
            elif job.status == JobStatus.AWAITING_REVIEW:
                message = "Cancelled at the outline review; the outline is kept."
            else:
                message = ""
            if message:
                self._finish(session, job, JobStatus.CANCELLED, message)
            progress = job.progress
        logger.info("Job %s: cancel requested", job_id)
        if message:
            self._add_event(job_id, "cancelled", progress, message)
            logger.info("Job %s %s", job_id, message.rstrip(".").lower())
            notify_job_listeners(job_id, JobStatus.CANCELLED)
        return True

    def approve_outline(self, job_id: int, outline: str) -> bool:
        """Queue the sections of a job waiting for its outline review.

        ``outline`` is the analyst's version, in the Markdown the review
        shows. Returns False when the job was already approved, as after a
        second click. Raises ``InvalidRequest`` for an unusable outline or
        for a job that is not waiting for a review.
        """
        outline = clean_text(outline.replace("\r\n", "\n"))
        check_reviewed_outline(outline)
        with session_scope(self.engine) as session:
            approved = session.execute(
                update(GenerationJob)
                .where(GenerationJob.id == job_id)
                .where(GenerationJob.status == JobStatus.AWAITING_REVIEW)
                .where(col(GenerationJob.cancel_requested).is_(False))
                .values(
                    status=JobStatus.QUEUED,
                    outline=outline,
                    outline_approved=True,
                    partial_text=outline,
                    stage="queued",
                    message="Outline approved; waiting for a free worker.",
                    worker=self.worker,
                    heartbeat_at=utcnow(),
                )
            ).rowcount
            job = session.get(GenerationJob, job_id)
        if job is None:
            raise NotFound(f"There is no job {job_id}. Check the job id.")
        if not approved:
            if job.outline_approved and not job.status.is_final:
                if outline != job.outline:
                    raise InvalidRequest(
                        f"Job {job_id}'s outline was already approved, and its "
                        "sections are written from that version. Cancel the job "
                        "and retry it to write another outline.",
                        field="outline",
                    )
                return False
            raise InvalidRequest(
                f"Job {job_id} is {job.status}, not waiting for an outline review, "
                "so there is no outline to approve.",
                field="outline",
            )
        self._add_event(job_id, "outline approved", job.progress, "Outline approved.")
        logger.info("Job %s: outline approved; sections queued", job_id)
        self._executor.submit(self.run, job_id)
        return True

    def wait(
        self, job_id: int, timeout: float | None = None, poll: float = 0.1
    ) -> GenerationJob:
        """Return the job's row once it ends, waits for its review, or times out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with session_scope(self.engine) as session:
                job = session.get(GenerationJob, job_id)
            if job is None:
                raise NotFound(f"There is no job {job_id}. Check the job id.")
            if job.status.is_final or job.status == JobStatus.AWAITING_REVIEW:
                return job
            if deadline is not None and time.monotonic() > deadline:
                return job
            time.sleep(poll)

    def is_alive(self) -> bool:
        """True while the runner takes jobs and its heartbeat thread runs."""
        return self._heartbeat.is_alive() and not self._stop.is_set()

    def shutdown(self, wait: bool = True) -> None:
        self._stop.set()
        self._executor.shutdown(wait=wait, cancel_futures=not wait)

    # Running --------------------------------------------------------------

    def run(self, job_id: int) -> None:
        """Run one job to its end; never raises (the outcome goes on the row)."""
        if not self._claim(job_id):
            return
        timer = _Timer()
        progress = _ProgressRecorder(self, job_id)
        try:
            with session_scope(self.engine) as session:
                job = session.get(GenerationJob, job_id)
                request = GenerationRequest.model_validate(job.request)
                approved_outline = _approved_outline(job)
                if approved_outline is not None:
                    # Resumed after the review: the bar does not go back.
                    progress.floor = job.progress
            draft, data, analysis_dict = self._produce(
                job_id, request, progress, timer, approved_outline
            )
            self._save_report(
                job_id, request, draft, data, analysis_dict, timer, progress
            )
        except JobCancelled:
            self._end(
                job_id,
                JobStatus.CANCELLED,
                "Cancelled; the text written so far is kept.",
                partial_text=progress.text,
            )
        except OutlineReady as ready:
            self._await_review(job_id, ready.outline)
        except UserFacingError as error:
            partial = getattr(error, "partial_text", None) or progress.text
            self._end(
                job_id,
                JobStatus.FAILED,
                error.message,
                error=error.message,
                partial_text=partial,
            )
        except Exception as error:
            # The job must end with a sentence, never stay running.
            logger.exception("Job %s failed on an unexpected error", job_id)
            sentence = UNEXPECTED_ERROR.format(kind=type(error).__name__)
            self._end(
                job_id,
                JobStatus.FAILED,
                sentence,
                error=sentence,
                partial_text=progress.text,
            )
        finally:
            progress.close()

    def _claim(self, job_id: int) -> bool:
        """Move the job from queued to running; False if it was cancelled or taken."""
        now = utcnow()
        with session_scope(self.engine) as session:
            claimed = session.execute(
                update(GenerationJob)
                .where(GenerationJob.id == job_id)
                .where(GenerationJob.status == JobStatus.QUEUED)
                .where(col(GenerationJob.cancel_requested).is_(False))
                .values(
                    status=JobStatus.RUNNING,
                    # A job resumed after its outline review keeps its start.
                    started_at=func.coalesce(GenerationJob.started_at, now),
                    heartbeat_at=now,
                    worker=self.worker,
                    stage="starting",
                    message="Started.",
                )
                .returning(GenerationJob.progress)
            ).first()
        if claimed is None:
            return False
        logger.info("Job %s running on %s", job_id, self.worker)
        self._add_event(job_id, "starting", claimed.progress, "Started.")
        return True

    def _produce(
        self,
        job_id: int,
        request: GenerationRequest,
        progress: _ProgressRecorder,
        timer: _Timer,
        approved_outline: OutlineDraft | None = None,
    ) -> tuple[Draft, TrendsData, dict[str, Any]]:
        started = time.perf_counter()
        progress("load data", 5, "Loading the trends data.")
        data, dataset_id = load_request_data(request, self.engine)
        check_topics_in_data(request.topics, data)
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            job.dataset_id = dataset_id
            # Topics taken from the data are named on the job, for History.
            job.topics = ", ".join(request.topics or data.terms)
        timer.lap("load data", started)

        started = time.perf_counter()
        progress(
            "analyse", STAGE_END["load data"], f"Analysing {len(data.terms)} terms."
        )
        analysis = analyse(data)
        timer.lap("analyse", started)

        started = time.perf_counter()
        brief = Brief.from_request(request, data, analysis)
        brief.approved_outline = approved_outline
        writer = create_writer(
            request.writer or self.settings.effective_writer, request.options
        )
        progress("write", STAGE_END["analyse"], f"Writing with {writer.name}.")
        draft = writer.write(brief, progress.for_writer)
        timer.lap("write", started)
        return draft, data, analysis.to_json_dict()

    def _save_report(
        self,
        job_id: int,
        request: GenerationRequest,
        draft: Draft,
        data: TrendsData,
        analysis: dict[str, Any],
        timer: _Timer,
        progress: _ProgressRecorder,
    ) -> None:
        progress("save", STAGE_END["write"], "Saving the report.")
        started = time.perf_counter()
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            if job.cancel_requested:
                raise JobCancelled()
            timer.lap("save", started)
            report = Report(
                job_id=job_id,
                dataset_id=job.dataset_id,
                title=draft.title,
                summary=draft.summary,
                body=draft.body,
                category=request.category,
                topics=", ".join(request.topics or data.terms),
                analysis=analysis,
                sources=draft.sources,
                inputs=request.model_dump(mode="json"),
                writer=draft.writer,
                writer_version=draft.writer_version,
                model=draft.model,
                prompt_tokens=draft.prompt_tokens,
                output_tokens=draft.output_tokens,
                thinking_tokens=draft.thinking_tokens,
                cost_usd=draft.cost_usd,
                stage_costs=dict(draft.stage_costs),
                prompt=draft.prompt,
                timings=dict(timer.stages),
                duration_seconds=round(time.perf_counter() - timer.started, 4),
            )
            session.add(report)
            session.flush()
            job.report_id = report.id
            job.model = draft.model
            job.partial_text = ""
            self._finish(
                session, job, JobStatus.SUCCEEDED, f"Report ready: {draft.title}"
            )
            job.progress = 100
            job.stage = "done"
        self._add_event(job_id, "done", 100, f"Report {report.id} ready.")
        logger.info("Job %s succeeded: report %s", job_id, report.id)
        notify_job_listeners(job_id, JobStatus.SUCCEEDED)

    def _end(
        self,
        job_id: int,
        status: JobStatus,
        message: str,
        *,
        error: str = "",
        partial_text: str = "",
    ) -> None:
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            if job is None or job.status in FINAL_STATUSES:
                return
            job.error = error
            if partial_text:
                job.partial_text = partial_text
            self._finish(session, job, status, message)
        self._add_event(job_id, str(status), job.progress, message)
        logger.info("Job %s %s: %s", job_id, status, message)
        notify_job_listeners(job_id, status)

    def _await_review(self, job_id: int, outline: OutlineDraft) -> None:
        """Pause the job with its outline until the analyst approves it."""
        with session_scope(self.engine) as session:
            job = session.get(GenerationJob, job_id)
            if job is None or job.status != JobStatus.RUNNING:
                return
            job.outline = outline.text
            job.outline_usage = {
                "prompt_tokens": outline.prompt_tokens,
                "output_tokens": outline.output_tokens,
                "thinking_tokens": outline.thinking_tokens,
                "cost_usd": outline.cost_usd,
            }
            job.partial_text = outline.text
            if job.cancel_requested:
                self._finish(
                    session,
                    job,
                    JobStatus.CANCELLED,
                    "Cancelled after the outline; the outline is kept.",
                )
                status = JobStatus.CANCELLED
            else:
                job.status = status = JobStatus.AWAITING_REVIEW
                job.stage = "outline review"
                job.message = OUTLINE_READY
                if not outline.from_model:
                    job.message += (
                        " The model returned no usable outline, so this is the "
                        "report template's; its headings are translated as the "
                        "sections are written."
                    )
                session.add(job)
            progress = job.progress
        self._add_event(job_id, str(status), progress, job.message)
        logger.info("Job %s %s after writing its outline", job_id, status)
        notify_job_listeners(job_id, status)

    @staticmethod
    def _finish(session, job: GenerationJob, status: JobStatus, message: str) -> None:
        job.status = status
        job.message = message
        job.finished_at = utcnow()
        session.add(job)

    def _add_event(self, job_id: int, stage: str, percent: int, message: str) -> None:
        with session_scope(self.engine) as session:
            session.add(
                JobEvent(job_id=job_id, stage=stage, progress=percent, message=message)
            )

    def _write_later(self, recorder: _ProgressRecorder) -> None:
        with self._unwritten_lock:
            self._unwritten.add(recorder)

    def _forget_unwritten(self, recorder: _ProgressRecorder) -> None:
        with self._unwritten_lock:
            self._unwritten.discard(recorder)

    def _write_unwritten_text(self) -> None:
        """Write text that arrived between progress writes, so a pause shows it.

        One thread serves all jobs, because starting a timer thread at each
        pause cost more than the writes when many jobs streamed at once.
        """
        while not self._stop.wait(TEXT_WRITE_INTERVAL_SECONDS):
            with self._unwritten_lock:
                recorders, self._unwritten = self._unwritten, set()
            for recorder in recorders:
                recorder.write_text()

    def _beat(self) -> None:
        interval = max(1.0, self.settings.job_lease_seconds / 4)
        while not self._stop.wait(interval):
            try:
                self._beat_once()
            except Exception:  # a missed beat is retried on the next interval
                logger.exception("Heartbeat update failed")

    def _beat_once(self) -> None:
        """Refresh the heartbeat of every active job this process owns."""
        with session_scope(self.engine) as session:
            session.execute(
                update(GenerationJob)
                .where(GenerationJob.worker == self.worker)
                .where(col(GenerationJob.status).in_(ACTIVE_STATUSES))
                .values(heartbeat_at=utcnow())
            )


# Statements on the submit and progress paths are built once: on SQLite,
# building an UPDATE costs several times more than running it.
_jobs_table = GenerationJob.__table__
_PROGRESS_UPDATE = (
    update(_jobs_table)
    .where(_jobs_table.c.id == bindparam("row_id"))
    .values(
        stage=bindparam("new_stage"),
        progress=bindparam("new_progress"),
        message=bindparam("new_message"),
        heartbeat_at=bindparam("beat"),
    )
    .returning(_jobs_table.c.cancel_requested)
)
_PROGRESS_AND_TEXT_UPDATE = _PROGRESS_UPDATE.values(partial_text=bindparam("new_text"))
_EVENT_INSERT = insert(JobEvent.__table__)
_JOB_INSERT = insert(_jobs_table).returning(_jobs_table.c.id)
# The oldest other job a new one repeats: same key, recent or still active.
_EARLIER_DUPLICATE = (
    select(func.min(_jobs_table.c.id))
    .where(_jobs_table.c.request_key == bindparam("key"))
    .where(_jobs_table.c.id != bindparam("job_id"))
    .where(
        (_jobs_table.c.created_at >= bindparam("cutoff"))
        | _jobs_table.c.status.in_(ACTIVE_STATUSES)
    )
)


class _ProgressRecorder:
    """Writes a job's progress and checks for a cancel on each update."""

    def __init__(self, runner: JobRunner, job_id: int) -> None:
        self.runner = runner
        self.job_id = job_id
        self.stage = ""
        self.message = ""
        self.text = ""
        self._written_text = ""
        self._last_text_write = 0.0
        self._lock = threading.Lock()
        # The lowest percent to record, for a job that resumes part-way.
        self.floor = 0

    def __call__(
        self, stage: str, percent: int, message: str, text: str | None = None
    ) -> None:
        if text:
            # A writer that restarts a step sends empty text first; the text
            # written so far stays shown and kept until new text replaces it.
            self.text = text
        changed = stage != self.stage or message != self.message
        now = time.monotonic()
        if not changed and now - self._last_text_write < TEXT_WRITE_INTERVAL_SECONDS:
            # If the stream pauses after this chunk, the page would show
            # stale text until the next one; the runner writes it soon.
            self.runner._write_later(self)
            return
        self._last_text_write = now
        self._written_text = self.text
        now_utc = utcnow()
        percent = max(self.floor, min(100, int(percent)))
        values: dict[str, Any] = {
            "row_id": self.job_id,
            "new_stage": stage,
            "new_progress": percent,
            "new_message": message,
            "beat": now_utc,
        }
        statement = _PROGRESS_UPDATE
        if text is not None:
            values["new_text"] = self.text
            statement = _PROGRESS_AND_TEXT_UPDATE
        # One short transaction per update: the row, its stage-log entry and
        # the cancel flag together, so a write is never half-recorded and the
        # SQLite write lock is taken once.
        with self.runner.engine.begin() as connection:
            cancel = connection.execute(statement, values).scalar_one()
            if changed:
                connection.execute(
                    _EVENT_INSERT,
                    {
                        "job_id": self.job_id,
                        "at": now_utc,
                        "stage": stage,
                        "progress": percent,
                        "message": message,
                    },
                )
        if changed:
            self.stage, self.message = stage, message
        if cancel:
            raise JobCancelled()

    def write_text(self) -> None:
        """Write the latest streamed text if the job has not written it yet."""
        with self._lock:
            text = self.text
            if text == self._written_text:
                return
            # _last_text_write stays: the writer's own next update must still
            # come through on time, as it is where a cancel is noticed.
            self._written_text = text
        try:
            with self.runner.engine.begin() as connection:
                connection.execute(
                    update(GenerationJob)
                    .where(GenerationJob.id == self.job_id)
                    .where(GenerationJob.status == JobStatus.RUNNING)
                    .values(partial_text=text, heartbeat_at=utcnow())
                )
        except Exception:  # the next progress update writes the text anyway
            logger.exception("Job %s: writing streamed text failed", self.job_id)

    def close(self) -> None:
        """Drop a pending text write; the job's end records the final text."""
        self.runner._forget_unwritten(self)

    def for_writer(
        self, stage: str, percent: int, message: str, text: str | None = None
    ) -> None:
        """Map a writer's 0-100 onto the write stage's share of the bar."""
        start, end = STAGE_END["analyse"], STAGE_END["write"]
        scaled = start + (end - start) * max(0, min(100, percent)) / 100
        self(stage or "write", int(scaled), message, text)


def _approved_outline(job: GenerationJob) -> OutlineDraft | None:
    """Return the outline the analyst approved for this job, if any."""
    if not job.outline_approved or not job.outline:
        return None
    usage = job.outline_usage or {}
    return OutlineDraft(
        text=job.outline,
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)),
        thinking_tokens=int(usage.get("thinking_tokens", 0)),
        cost_usd=float(usage.get("cost_usd", 0.0)),
    )


def check_topics_in_data(topics: list[str], data: TrendsData) -> None:
    """Refuse topics none of which the data covers, so no report is titled wrongly.

    A topic is known when it is one of the data's terms or one of its related
    or rising searches (those can be picked on Explore).
    """
    known = {term.casefold() for term in data.terms}
    for related in data.related:
        known.update(item.label.casefold() for item in [*related.top, *related.rising])
    unknown = [topic for topic in topics if topic.casefold() not in known]
    # Extra topics beside one the data covers are the analyst's angle; only a
    # report about nothing in the data is refused.
    if unknown and len(unknown) == len(topics):
        listed = ", ".join(f"'{topic}'" for topic in unknown[:5])
        raise NoTrendsData(
            f"The trends data has nothing on {listed}: its terms are "
            f"{', '.join(data.terms)}. Pick topics from those terms or their related "
            "searches, or load data for the topics you want."
        )


def load_request_data(
    request: GenerationRequest, engine: Engine | None = None
) -> tuple[TrendsData, int]:
    """Return the trends data a request names, saved as a dataset, and its id."""
    parts = datasets.load_local_parts(
        request.dataset_id, request.samples, engine=engine
    )
    if request.trends_query:
        from generation.trends import service

        parts.append(service.get_trends(request.trends_query, engine=engine).data)
    if not parts:
        raise NoTrendsData(NO_DATA)
    if len(parts) == 1:
        data = parts[0]
    else:
        from generation.trends.csv_import import merge_trends_data

        data = merge_trends_data(parts)
    if request.dataset_id is not None and len(parts) == 1:
        return data, request.dataset_id
    return data, datasets.save_dataset(data, engine=engine)


def recover_interrupted_jobs(
    engine: Engine | None = None, settings: Settings | None = None
) -> list[int]:
    """Mark jobs whose process is gone, or whose heartbeat is stale, interrupted.

    Called on start-up by the app and the command line. Returns the job ids.
    """
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    me = worker_id()
    host = socket.gethostname()
    stale_before = utcnow() - timedelta(seconds=settings.job_lease_seconds)
    recovered: list[int] = []
    with session_scope(engine) as session:
        active = session.exec(
            select(GenerationJob).where(col(GenerationJob.status).in_(ACTIVE_STATUSES))
        ).all()
        for job in active:
            if job.worker == me:
                continue
            beat = job.heartbeat_at or job.created_at
            process_gone = _is_local_process_gone(job.worker, host)
            if process_gone or beat < stale_before:
                reason = (
                    "the process running it stopped"
                    if process_gone
                    else f"no heartbeat for over {settings.job_lease_seconds} seconds"
                )
                job.status = JobStatus.INTERRUPTED
                job.message = f"Interrupted: {reason}. Retry it to run it again."
                job.error = job.message
                job.finished_at = utcnow()
                session.add(job)
                session.add(
                    JobEvent(
                        job_id=job.id,
                        stage="interrupted",
                        progress=job.progress,
                        message=job.message,
                    )
                )
                recovered.append(job.id)
    for job_id in recovered:
        logger.warning("Job %s marked interrupted", job_id)
    return recovered


def _is_local_process_gone(worker: str, host: str) -> bool:
    worker_host, _, pid_text = worker.rpartition(":")
    if worker_host != host or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


_runner: JobRunner | None = None
_runner_lock = threading.Lock()


def get_runner() -> JobRunner:
    """Return this process's runner, recovering interrupted jobs on first use."""
    global _runner
    with _runner_lock:
        if _runner is None:
            settings = get_settings()
            load_writer_plugins(settings)
            engine = init_db(get_engine(settings.database_url))
            recover_interrupted_jobs(engine, settings)
            _runner = JobRunner(engine, settings)
        return _runner
