"""Webhook endpoints, the deliveries of job events, and the thread that sends them.

When a job ends, the job's thread only puts (job id, status) on a queue. The
sender thread turns it into one ``WebhookDelivery`` row per subscribed
endpoint and sends it. A failed attempt that may succeed later is retried
after WEBHOOK_RETRY_SECONDS, doubling each time, up to WEBHOOK_MAX_ATTEMPTS
attempts in all, so a failing endpoint costs a bounded number of requests.
Deliveries live in the database: a retry due after a restart is sent by the
next process that runs a sender, and a claim (a conditional update of the
row) makes sure only one process sends each attempt.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation.clock import SYSTEM_CLOCK, Clock, as_utc
from generation.config import Settings, get_settings
from generation.db import get_engine, session_scope
from generation.errors import InvalidRequest, NotFound
from generation.jobs import add_job_listener, worker_id
from generation.models import GenerationJob, JobStatus, Report
from generation.webhooks.addresses import resolve_target
from generation.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from generation.webhooks.sender import post_signed

logger = logging.getLogger(__name__)

EVENTS = ("job.succeeded", "job.failed", "job.cancelled")
TEST_EVENT = "webhook.test"
EVENT_OF_STATUS = {
    JobStatus.SUCCEEDED: "job.succeeded",
    JobStatus.FAILED: "job.failed",
    JobStatus.CANCELLED: "job.cancelled",
}
MAX_SECRET_CHARS = 200
MAX_DESCRIPTION_CHARS = 200
# A claim older than this is taken to belong to a process that died mid-send.
STALE_CLAIM_MARGIN = timedelta(seconds=60)
SENDER_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class EndpointView:
    """An endpoint as pages show it; the secret only masked."""

    id: int
    url: str
    events: list[str]
    secret: str  # masked
    description: str
    created_at: datetime


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    started_at: datetime
    status_code: int | None
    duration_ms: int
    error: str
    next_retry_at: datetime | None


@dataclass(frozen=True)
class DeliveryView:
    id: int
    endpoint_id: int
    event: str
    job_id: int | None
    status: str
    attempts: list[AttemptView]
    next_attempt_at: datetime | None
    created_at: datetime


def mask_secret(secret: str) -> str:
    """Return "not set", or the secret hidden but for its last 4 characters."""
    if not secret:
        return "not set"
    if len(secret) < 16:
        return "••••••••"
    return "••••••••" + secret[-4:]


# Endpoints -------------------------------------------------------------------


def create_endpoint(
    url: str,
    events: list[str] | tuple[str, ...] = EVENTS,
    *,
    secret: str = "",
    description: str = "",
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> EndpointView:
    """Store an endpoint after checking its URL and events.

    Raises ``InvalidRequest`` (``WebhookAddressRejected`` for a private address
    when WEBHOOK_ALLOW_PRIVATE is off) naming the wrong field.
    """
    settings = settings or get_settings()
    target = resolve_target(url, allow_private=settings.webhook_allow_private)
    chosen = [event for event in EVENTS if event in set(events)]
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise InvalidRequest(
            f"'{unknown[0]}' is not a webhook event; choose from {', '.join(EVENTS)}.",
            field="events",
        )
    if not chosen:
        raise InvalidRequest(
            "Choose at least one event to send to the webhook.", field="events"
        )
    secret = (secret or "").strip()
    if len(secret) > MAX_SECRET_CHARS:
        raise InvalidRequest(
            f"The secret is {len(secret)} characters long; the limit is "
            f"{MAX_SECRET_CHARS}.",
            field="secret",
        )
    endpoint = WebhookEndpoint(
        url=url.strip(),
        events=chosen,
        secret=secret,
        description=" ".join((description or "").split())[:MAX_DESCRIPTION_CHARS],
    )
    with session_scope(engine or get_engine()) as session:
        session.add(endpoint)
        session.flush()
        session.refresh(endpoint)
    logger.info(
        "Webhook %s created for %s (events %s)",
        endpoint.id,
        target.url.host,
        ", ".join(chosen),
    )
    return _endpoint_view(endpoint)


def delete_endpoint(endpoint_id: int, *, engine: Engine | None = None) -> None:
    """Delete an endpoint with its deliveries and their attempts."""
    with session_scope(engine or get_engine()) as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise NotFound(f"There is no webhook {endpoint_id}. Check the id.")
        delivery_ids = select(WebhookDelivery.id).where(
            WebhookDelivery.endpoint_id == endpoint_id
        )
        session.execute(
            delete(WebhookAttempt).where(
                col(WebhookAttempt.delivery_id).in_(delivery_ids)
            )
        )
        session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
        )
        session.delete(endpoint)
    logger.info("Webhook %s deleted", endpoint_id)


def list_endpoints(*, engine: Engine | None = None) -> list[EndpointView]:
    with session_scope(engine or get_engine()) as session:
        rows = session.exec(
            select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))
        ).all()
    return [_endpoint_view(row) for row in rows]


def list_deliveries(
    endpoint_id: int | None = None, *, limit: int = 20, engine: Engine | None = None
) -> list[DeliveryView]:
    """Return the latest deliveries, newest first, each with its attempts."""
    with session_scope(engine or get_engine()) as session:
        statement = select(WebhookDelivery)
        if endpoint_id is not None:
            statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
        deliveries = session.exec(
            statement.order_by(col(WebhookDelivery.id).desc()).limit(limit)
        ).all()
        ids = [delivery.id for delivery in deliveries]
        attempts = session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_(ids))
            .order_by(col(WebhookAttempt.attempt))
        ).all()
    by_delivery: dict[int, list[AttemptView]] = {}
    for attempt in attempts:
        by_delivery.setdefault(attempt.delivery_id, []).append(
            AttemptView(
                attempt=attempt.attempt,
                started_at=as_utc(attempt.started_at),
                status_code=attempt.status_code,
                duration_ms=attempt.duration_ms,
                error=attempt.error,
                next_retry_at=as_utc(attempt.next_retry_at)
                if attempt.next_retry_at
                else None,
            )
        )
    return [
        DeliveryView(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event=delivery.event,
            job_id=delivery.job_id,
            status=delivery.status,
            attempts=by_delivery.get(delivery.id, []),
            next_attempt_at=as_utc(delivery.next_attempt_at)
            if delivery.status == "pending" and delivery.next_attempt_at
            else None,
            created_at=as_utc(delivery.created_at),
        )
        for delivery in deliveries
    ]


def _endpoint_view(endpoint: WebhookEndpoint) -> EndpointView:
    return EndpointView(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events or []),
        secret=mask_secret(endpoint.secret),
        description=endpoint.description,
        created_at=as_utc(endpoint.created_at),
    )


# Payloads and deliveries -----------------------------------------------------


def build_job_payload(
    job_id: int,
    event: str,
    *,
    now: datetime,
    settings: Settings,
    engine: Engine,
) -> dict[str, Any]:
    """Return the JSON payload of a job event: ids, status, report title and link."""
    with session_scope(engine) as session:
        job = session.get(GenerationJob, job_id)
        if job is None:
            raise NotFound(f"There is no job {job_id}. Check the job id.")
        report = session.get(Report, job.report_id) if job.report_id else None
    base = settings.app_base_url.rstrip("/")
    if report is not None:
        link = f"{base}/history?report={report.id}"
    else:
        link = f"{base}/generate?job={job.id}"
    return {
        "event": event,
        "occurred_at": as_utc(now).isoformat(),
        "job_id": job.id,
        "status": str(job.status),
        "message": job.message,
        "schedule_id": job.schedule_id,
        "report_id": report.id if report else None,
        "title": report.title if report else f"Report on {job.topics}",
        "summary": report.summary if report else job.error,
        "link": link,
    }


def enqueue_job_event(
    job_id: int,
    status: JobStatus | str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> list[int]:
    """Queue a delivery of a job's end to each endpoint subscribed to it."""
    event = EVENT_OF_STATUS.get(JobStatus(status))
    if event is None:
        return []
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    moment = as_utc(now or SYSTEM_CLOCK.now())
    with session_scope(engine) as session:
        endpoints = [
            endpoint
            for endpoint in session.exec(select(WebhookEndpoint)).all()
            if event in (endpoint.events or [])
        ]
    if not endpoints:
        return []
    payload = build_job_payload(
        job_id, event, now=moment, settings=settings, engine=engine
    )
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
    ids = []
    with session_scope(engine) as session:
        for endpoint in endpoints:
            delivery = WebhookDelivery(
                endpoint_id=endpoint.id,
                event=event,
                job_id=job_id,
                body=body,
                max_attempts=settings.webhook_max_attempts,
                next_attempt_at=moment,
                created_at=moment,
            )
            session.add(delivery)
            session.flush()
            ids.append(delivery.id)
    logger.info("Job %s %s: %d webhook deliveries queued", job_id, event, len(ids))
    return ids


def send_test(
    endpoint_id: int,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> DeliveryView:
    """Send a sample payload to an endpoint once, now, and return the delivery."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    moment = as_utc(now or SYSTEM_CLOCK.now())
    with session_scope(engine) as session:
        if session.get(WebhookEndpoint, endpoint_id) is None:
            raise NotFound(f"There is no webhook {endpoint_id}. Check the id.")
    base = settings.app_base_url.rstrip("/")
    payload = {
        "event": TEST_EVENT,
        "occurred_at": moment.isoformat(),
        "job_id": None,
        "status": "test",
        "message": "A test delivery sent from the Settings page.",
        "schedule_id": None,
        "report_id": None,
        "title": "Test delivery",
        "summary": "This delivery checks that the webhook is reachable and "
        "that its signature verifies.",
        "link": f"{base}/settings",
    }
    with session_scope(engine) as session:
        delivery = WebhookDelivery(
            endpoint_id=endpoint_id,
            event=TEST_EVENT,
            body=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            max_attempts=1,
            next_attempt_at=moment,
            created_at=moment,
        )
        session.add(delivery)
        session.flush()
        delivery_id = delivery.id
    _attempt(engine, settings, delivery_id, lambda: moment)
    return next(
        view
        for view in list_deliveries(endpoint_id, limit=50, engine=engine)
        if view.id == delivery_id
    )


def deliver_due(
    now: datetime | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> int:
    """Send every delivery whose next attempt is due; return how many were tried."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    moment = as_utc(now or clock.now())
    # A fixed ``now`` (tests, catch-up) stamps every attempt; otherwise each
    # attempt reads the clock when it starts.
    read_now = clock.now if now is None else (lambda: moment)
    _release_stale_claims(engine, settings, moment)
    with session_scope(engine) as session:
        due = session.exec(
            select(WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending")
            .where(col(WebhookDelivery.next_attempt_at) <= moment)
            .order_by(col(WebhookDelivery.next_attempt_at))
        ).all()
    tried = 0
    for delivery_id in due:
        if _attempt(engine, settings, delivery_id, read_now):
            tried += 1
    return tried


def next_attempt_due(*, engine: Engine | None = None) -> datetime | None:
    """Return when the earliest pending delivery is due, or None."""
    with session_scope(engine or get_engine()) as session:
        earliest = session.exec(
            select(WebhookDelivery.next_attempt_at)
            .where(WebhookDelivery.status == "pending")
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(1)
        ).first()
    return as_utc(earliest) if earliest else None


def _attempt(
    engine: Engine,
    settings: Settings,
    delivery_id: int,
    read_now: Callable[[], datetime],
) -> bool:
    """Claim and send one delivery; False when another sender has it."""
    me = worker_id()
    now = as_utc(read_now())
    with session_scope(engine) as session:
        claimed = session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id) == delivery_id)
            .where(WebhookDelivery.status == "pending")
            .values(status="sending", claimed_by=me, claimed_at=now)
        ).rowcount
        delivery = session.get(WebhookDelivery, delivery_id)
        endpoint = (
            session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
        )
    if not claimed or delivery is None:
        return False
    if endpoint is None:
        _finish(engine, delivery_id, "failed", now)
        return False

    number = delivery.attempts + 1
    timestamp = int(now.timestamp())
    result = post_signed(
        endpoint.url,
        delivery.body.encode(),
        event=delivery.event,
        delivery_id=delivery_id,
        secret=endpoint.secret,
        timestamp=timestamp,
        allow_private=settings.webhook_allow_private,
        timeout=settings.webhook_timeout_seconds,
    )
    retry_at: datetime | None = None
    if result.succeeded:
        status = "succeeded"
    elif result.retryable and number < delivery.max_attempts:
        status = "pending"
        wait = settings.webhook_retry_seconds * 2 ** (number - 1)
        retry_at = now + timedelta(seconds=wait)
    else:
        status = "failed"
    with session_scope(engine) as session:
        session.add(
            WebhookAttempt(
                delivery_id=delivery_id,
                attempt=number,
                started_at=now,
                status_code=result.status_code,
                duration_ms=result.duration_ms,
                error=result.error,
                next_retry_at=retry_at,
            )
        )
        row = session.get(WebhookDelivery, delivery_id)
        row.attempts = number
        row.status = status
        row.last_status_code = result.status_code
        row.last_error = result.error
        row.next_attempt_at = retry_at
        row.claimed_by = ""
        row.claimed_at = None
        if status != "pending":
            row.finished_at = now
        session.add(row)
    _log_attempt(delivery, endpoint.id, number, status, result.error, retry_at)
    return True


def _log_attempt(
    delivery: WebhookDelivery,
    endpoint_id: int,
    number: int,
    status: str,
    error: str,
    retry_at: datetime | None,
) -> None:
    if status == "succeeded":
        logger.info(
            "Webhook delivery %s (%s) to endpoint %s succeeded on attempt %s",
            delivery.id,
            delivery.event,
            endpoint_id,
            number,
        )
    elif retry_at is not None:
        logger.warning(
            "Webhook delivery %s attempt %s failed, retry at %s: %s",
            delivery.id,
            number,
            retry_at.isoformat(),
            error,
        )
    else:
        logger.warning(
            "Webhook delivery %s failed after %s attempt(s): %s",
            delivery.id,
            number,
            error,
        )


def _finish(engine: Engine, delivery_id: int, status: str, now: datetime) -> None:
    with session_scope(engine) as session:
        row = session.get(WebhookDelivery, delivery_id)
        row.status = status
        row.finished_at = now
        session.add(row)


def _release_stale_claims(engine: Engine, settings: Settings, now: datetime) -> None:
    """Give back deliveries claimed by a sender that stopped mid-send."""
    stale_before = now - (
        timedelta(seconds=settings.webhook_timeout_seconds) + STALE_CLAIM_MARGIN
    )
    with session_scope(engine) as session:
        released = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "sending")
            .where(
                or_(
                    col(WebhookDelivery.claimed_at).is_(None),
                    col(WebhookDelivery.claimed_at) < stale_before,
                )
            )
            .values(status="pending", claimed_by="", next_attempt_at=now)
        ).rowcount
    if released:
        logger.warning("%d webhook deliveries released from a stopped sender", released)


# The sender thread ---------------------------------------------------------------


class WebhookSender:
    """A daemon thread that queues job events as deliveries and sends them."""

    def __init__(
        self,
        *,
        clock: Clock = SYSTEM_CLOCK,
        settings: Settings | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.clock = clock
        self.settings = settings or get_settings()
        self.engine = engine or get_engine(self.settings.database_url)
        self._events: queue.Queue[tuple[int, str]] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        # Held while a pass runs, so drain() can wait for a send in progress.
        self._pass_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._loop, name="webhook-sender", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        logger.info("Webhook sender started")

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        logger.info("Webhook sender stopped")

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def notify_job_end(self, job_id: int, status: str) -> None:
        """Queue a job's end; runs in the job's thread, so it only enqueues."""
        if JobStatus(status) in EVENT_OF_STATUS:
            self._events.put((job_id, str(status)))
            self._wake.set()

    def run_pass(self) -> None:
        """Turn queued job events into deliveries and send what is due."""
        with self._pass_lock:
            while True:
                try:
                    job_id, status = self._events.get_nowait()
                except queue.Empty:
                    break
                try:
                    enqueue_job_event(
                        job_id,
                        status,
                        now=self.clock.now(),
                        settings=self.settings,
                        engine=self.engine,
                    )
                except Exception:  # one bad event must not block the others
                    logger.exception("Queuing webhooks for job %s failed", job_id)
                finally:
                    self._events.task_done()
            deliver_due(clock=self.clock, settings=self.settings, engine=self.engine)

    def drain(self, timeout: float | None = None) -> None:
        """Wait until queued events are sent once; retries stay in the database."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._events.unfinished_tasks:
            if deadline is not None and time.monotonic() > deadline:
                logger.warning("Webhook events still queued when the wait ended")
                return
            time.sleep(0.05)
        self.run_pass()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pass()
            except Exception:  # the thread must outlive a failed pass
                logger.exception("Webhook sender pass failed")
            self._wake.wait(self._seconds_until_next())
            self._wake.clear()

    def _seconds_until_next(self) -> float:
        try:
            due = next_attempt_due(engine=self.engine)
        except Exception:  # a failed read only shortens the wait
            logger.exception("Reading the next webhook retry failed")
            return SENDER_POLL_SECONDS
        if due is None:
            return SENDER_POLL_SECONDS
        wait = (due - self.clock.now()).total_seconds()
        return max(0.01, min(SENDER_POLL_SECONDS, wait))


_sender: WebhookSender | None = None
_sender_lock = threading.Lock()


def start_webhooks(*, clock: Clock = SYSTEM_CLOCK) -> WebhookSender:
    """Start this process's webhook sender and hook it to job ends, once."""
    global _sender
    with _sender_lock:
        if _sender is None or not _sender.running:
            _sender = WebhookSender(clock=clock)
            add_job_listener(_sender.notify_job_end)
            _sender.start()
        return _sender


def stop_webhooks(timeout: float | None = 5.0) -> None:
    """Stop this process's webhook sender, if it runs."""
    global _sender
    from generation.jobs import remove_job_listener

    with _sender_lock:
        if _sender is not None:
            remove_job_listener(_sender.notify_job_end)
            _sender.stop(timeout)
            _sender = None
