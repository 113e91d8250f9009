"""Start the runs that are due, exactly once each, from any number of processes.

A due time is taken by inserting a ``ScheduleRun`` row; the unique key on
(schedule, due time) lets one process win and makes the others skip it.
Only then is the job submitted. A process that dies between the two leaves
a run row without a job, which the Settings page shows as not started; the
due time is not tried again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from generation.clock import SYSTEM_CLOCK, Clock, as_utc
from generation.db import get_engine, session_scope
from generation.errors import UserFacingError
from generation.jobs import JobRunner, get_runner
from generation.models import utcnow
from generation.scheduling.models import Schedule, ScheduleRun
from generation.scheduling.service import (
    build_run_request,
    get_schedule,
    list_schedules,
    owed_after,
    resolve_topics,
    timing_of,
)
from generation.scheduling.timing import DueTimes, due_times_between

logger = logging.getLogger(__name__)

UNEXPECTED_RUN_ERROR = (
    "The run could not start because of an unexpected error ({kind}). It has "
    "been logged with the schedule id; use Run now to try again."
)


@dataclass(frozen=True)
class RunOutcome:
    """The outcome of one due time in this process."""

    schedule_id: int
    schedule_name: str
    due_at: datetime
    run_id: int | None = None
    job_id: int | None = None
    skipped_due_times: int = 0
    error: str = ""
    # True when another process inserted the run for this due time first.
    taken_elsewhere: bool = False

    def describe(self) -> str:
        due = self.due_at.isoformat(timespec="minutes")
        name = f"schedule {self.schedule_id} ({self.schedule_name})"
        if self.taken_elsewhere:
            return f"{name} due {due}: already started by another process"
        if self.error:
            return f"{name} due {due}: not started: {self.error}"
        caught_up = (
            f", {self.skipped_due_times} missed due time(s) skipped"
            if self.skipped_due_times
            else ""
        )
        return f"{name} due {due}: job {self.job_id} started{caught_up}"


def run_due(
    now: datetime | None = None,
    *,
    runner: JobRunner | None = None,
    engine: Engine | None = None,
) -> list[RunOutcome]:
    """Start one job for each schedule with a due time at or before ``now``.

    After downtime only the latest missed due time runs; the run row records
    how many earlier ones were skipped. A schedule that fails is logged and
    skipped, so it cannot hold up the others.
    """
    moment = as_utc(now or utcnow())
    engine = engine or (runner.engine if runner is not None else get_engine())
    outcomes = []
    for schedule in list_schedules(engine=engine):
        if schedule.paused:
            continue
        try:
            outcome = _run_if_due(engine, runner, schedule, moment)
        except Exception:  # one broken schedule must not stop the rest
            logger.exception("Looking for a due run of schedule %s failed", schedule.id)
            continue
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def _run_if_due(
    engine: Engine, runner: JobRunner | None, schedule: Schedule, now: datetime
) -> RunOutcome | None:
    due = due_times_between(timing_of(schedule), owed_after(schedule), now)
    if due.latest is None:
        return None
    run_id = _take_due_time(engine, schedule, due)
    if run_id is None:
        logger.info(
            "Schedule %s due %s was taken by another process",
            schedule.id,
            due.latest.isoformat(),
        )
        return RunOutcome(
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            due_at=due.latest,
            taken_elsewhere=True,
        )
    return _start_run(
        engine, runner or get_runner(), schedule, run_id, due.latest, due.count - 1
    )


def run_now(
    schedule_id: int,
    *,
    now: datetime | None = None,
    runner: JobRunner | None = None,
    engine: Engine | None = None,
) -> RunOutcome:
    """Start a run of the schedule at once, outside its timing.

    A second Run now within JOB_DEDUP_SECONDS returns the first one's job;
    a scheduled run a moment earlier does not count. Raises ``NotFound`` for
    an unknown schedule.
    """
    moment = as_utc(now or utcnow())
    runner = runner or get_runner()
    engine = engine or runner.engine
    schedule = get_schedule(schedule_id, engine=engine)
    since = moment - timedelta(seconds=runner.settings.job_dedup_seconds)
    with session_scope(engine) as session:
        recent = session.exec(
            select(ScheduleRun)
            .where(ScheduleRun.schedule_id == schedule_id)
            .where(ScheduleRun.trigger == "manual")
            .where(col(ScheduleRun.job_id).is_not(None))
            .where(col(ScheduleRun.created_at) >= since)
            .order_by(col(ScheduleRun.id).desc())
            .limit(1)
        ).first()
        if recent is None:
            run = ScheduleRun(
                schedule_id=schedule_id,
                due_at=moment,
                trigger="manual",
                created_at=moment,
            )
            session.add(run)
            session.flush()
            run_id = run.id
    if recent is not None:
        logger.info(
            "Run now of schedule %s repeated within the dedup window; job %s kept",
            schedule_id,
            recent.job_id,
        )
        return RunOutcome(
            schedule_id=schedule.id,
            schedule_name=schedule.name,
            due_at=as_utc(recent.due_at),
            run_id=recent.id,
            job_id=recent.job_id,
        )
    return _start_run(engine, runner, schedule, run_id, moment, 0)


def _take_due_time(engine: Engine, schedule: Schedule, due: DueTimes) -> int | None:
    """Insert the run row for ``due.latest``; None when another process has it."""
    try:
        with session_scope(engine) as session:
            run = ScheduleRun(
                schedule_id=schedule.id,
                due_at=due.latest,
                skipped_due_times=max(0, due.count - 1),
                skipped_capped=due.capped,
            )
            session.add(run)
            session.flush()
            session.execute(
                update(Schedule)
                .where(col(Schedule.id) == schedule.id)
                .where(
                    or_(
                        col(Schedule.last_due_at).is_(None),
                        col(Schedule.last_due_at) < due.latest,
                    )
                )
                .values(last_due_at=due.latest)
            )
            return run.id
    except IntegrityError:
        return None


def _start_run(
    engine: Engine,
    runner: JobRunner,
    schedule: Schedule,
    run_id: int,
    due_at: datetime,
    skipped: int,
) -> RunOutcome:
    topics: list[str] = []
    job_id: int | None = None
    error = ""
    try:
        topics = resolve_topics(schedule, engine=engine)
        # Each due time is already taken once, so identical requests of
        # different runs must not collapse into one job.
        submission = runner.submit(
            build_run_request(schedule, topics), schedule_id=schedule.id, dedup=False
        )
        job_id = submission.job_id
    except UserFacingError as problem:
        error = problem.message
        logger.warning("Schedule %s run %s not started: %s", schedule.id, run_id, error)
    except Exception as problem:  # a run must end with a sentence, not a trace
        logger.exception("Schedule %s run %s failed to start", schedule.id, run_id)
        error = UNEXPECTED_RUN_ERROR.format(kind=type(problem).__name__)
    with session_scope(engine) as session:
        run = session.get(ScheduleRun, run_id)
        run.job_id = job_id
        run.topics = topics
        run.error = error
        session.add(run)
    if job_id is not None:
        logger.info(
            "Schedule %s due %s started job %s%s",
            schedule.id,
            due_at.isoformat(),
            job_id,
            f" ({skipped} missed due times skipped)" if skipped else "",
        )
    return RunOutcome(
        schedule_id=schedule.id,
        schedule_name=schedule.name,
        due_at=due_at,
        run_id=run_id,
        job_id=job_id,
        skipped_due_times=skipped,
        error=error,
    )


class Scheduler:
    """A daemon thread that starts due runs and watchlist checks every interval."""

    def __init__(
        self,
        interval_seconds: float,
        *,
        clock: Clock = SYSTEM_CLOCK,
        engine: Engine | None = None,
        runner: JobRunner | None = None,
    ) -> None:
        self.interval_seconds = interval_seconds
        self.clock = clock
        self.engine = engine
        self.runner = runner
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name="generation-scheduler", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        logger.info("Scheduler started; it checks every %s s", self.interval_seconds)

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._thread.join(timeout)
        logger.info("Scheduler stopped")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def tick(self) -> None:
        """Start due runs and due watchlist checks once; log every error, raise none."""
        from generation.watchlists import check_due_watchlists

        now = self.clock.now()
        try:
            run_due(now, runner=self.runner, engine=self.engine)
        except Exception:  # the thread must outlive a failed pass
            logger.exception("Scheduler pass over schedules failed")
        try:
            check_due_watchlists(now, engine=self.engine)
        except Exception:  # the thread must outlive a failed pass
            logger.exception("Scheduler pass over watchlists failed")
        self.ticks += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the thread must outlive any failed pass
                logger.exception("Scheduler pass failed")
            self._stop.wait(self.interval_seconds)


_scheduler: Scheduler | None = None
_scheduler_lock = threading.Lock()


def start_scheduler(
    interval_seconds: float | None = None, *, clock: Clock = SYSTEM_CLOCK
) -> Scheduler:
    """Start this process's scheduler and webhook sender once; later calls return it."""
    global _scheduler
    from generation.config import get_settings
    from generation.webhooks import start_webhooks

    with _scheduler_lock:
        if _scheduler is None or not _scheduler.running:
            settings = get_settings()
            start_webhooks(clock=clock)
            _scheduler = Scheduler(
                interval_seconds or settings.scheduler_interval_seconds, clock=clock
            )
            _scheduler.start()
        return _scheduler


def stop_scheduler(timeout: float | None = 5.0) -> None:
    """Stop this process's scheduler thread, if it runs."""
    global _scheduler
    with _scheduler_lock:
        if _scheduler is not None:
            _scheduler.stop(timeout)
            _scheduler = None


def main_run_due(*, wait_seconds: float | None = None) -> int:
    """Start due runs and watchlist checks, wait for their jobs and first deliveries.

    For the system's cron or a container's scheduler. The jobs run on this
    process's thread pool, so it waits for them before it exits. Prints one
    line per due time; returns 1 when a due run could not start, else 0.
    """
    from generation.watchlists import check_due_watchlists
    from generation.webhooks import start_webhooks

    runner = get_runner()
    sender = start_webhooks()
    outcomes = run_due(runner=runner)
    checks = check_due_watchlists(engine=runner.engine)
    for outcome in outcomes:
        print(outcome.describe())
    for check in checks:
        print(check.describe())
    if not outcomes and not checks:
        print("Nothing is due.")
    started = [outcome.job_id for outcome in outcomes if outcome.job_id is not None]
    for job_id in started:
        job = runner.wait(job_id, timeout=wait_seconds)
        print(f"job {job_id}: {job.status}: {job.message}")
    # Shutting the pool down first lets every ended job call its listeners,
    # so the sender has all their events. Retries of failed deliveries stay
    # in the database for the app's sender or the next run-due.
    runner.shutdown(wait=True)
    sender.drain(timeout=wait_seconds)
    return 1 if any(outcome.error for outcome in outcomes) else 0
