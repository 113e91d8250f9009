"""Webhook deliveries to a local receiver: payload, signature, retries, records."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from webhook_receiver import SECRET, Receiver

from generation.clock import ManualClock
from generation.jobs import add_job_listener
from generation.models import GenerationJob, JobStatus, Report
from generation.webhooks import (
    create_endpoint,
    delete_endpoint,
    deliver_due,
    enqueue_job_event,
    list_deliveries,
    list_endpoints,
    send_test,
    sign,
    start_webhooks,
)
from generation.webhooks.models import WebhookAttempt, WebhookDelivery

SAMPLE_REQUEST = {
    "topics": ["ozempic", "wegovy"],
    "samples": ["weight-loss-drugs-us"],
    "length": "short",
}
T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


def finished_job(runner, request=SAMPLE_REQUEST) -> GenerationJob:
    submission = runner.submit(request)
    return runner.wait(submission.job_id, timeout=60)


def wait_for_requests(receiver: Receiver, count: int) -> None:
    """Wait until the receiver got ``count`` requests: the sender runs on its own thread."""
    deadline = time.monotonic() + 20
    while len(receiver.received) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_succeeded_job_posts_signed_payload(engine, runner, receiver: Receiver):
    create_endpoint(receiver.url, secret=SECRET)
    sender = start_webhooks()

    job = finished_job(runner)
    wait_for_requests(receiver, 1)
    sender.drain(timeout=30)

    assert job.status == JobStatus.SUCCEEDED
    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request.signature_valid
    assert request.headers["X-Trend-Reports-Event"] == "job.succeeded"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Trend-Reports-Timestamp"].isdigit()
    with Session(engine) as session:
        report = session.get(Report, job.report_id)
    payload = request.payload
    assert payload["event"] == "job.succeeded"
    assert payload["job_id"] == job.id
    assert payload["status"] == "succeeded"
    assert payload["report_id"] == report.id
    assert payload["title"] == report.title
    assert payload["summary"] == report.summary
    assert payload["link"] == f"http://localhost:8501/history?report={report.id}"
    assert payload["schedule_id"] is None
    deliveries = list_deliveries()
    assert [delivery.status for delivery in deliveries] == ["succeeded"]
    assert [attempt.status_code for attempt in deliveries[0].attempts] == [200]


def test_signature_is_hmac_of_timestamp_and_body():
    body = b'{"event": "job.succeeded"}'

    signature = sign("key", 1717405200, body)

    # Computed with: printf "%s" '1717405200.<body>' | openssl dgst -sha256 -hmac key
    assert signature == (
        "sha256=ec706814f38b31578e219c8d9850b0206706036df8d5bf93954922fbb8c3cd78"
    )


def test_failed_job_goes_to_subscribers_only(engine, runner, httpserver):
    failures = Receiver(httpserver)
    successes = Receiver(httpserver)
    httpserver.expect_request("/failures", method="POST").respond_with_handler(
        failures.handle
    )
    httpserver.expect_request("/successes", method="POST").respond_with_handler(
        successes.handle
    )
    create_endpoint(httpserver.url_for("/failures"), ["job.failed"], secret=SECRET)
    create_endpoint(httpserver.url_for("/successes"), ["job.succeeded"])
    sender = start_webhooks()

    # None of the topics is in the data, so the job fails once it loads it.
    job = finished_job(
        runner, {"topics": ["pizza"], "samples": ["weight-loss-drugs-us"]}
    )
    wait_for_requests(failures, 1)
    sender.drain(timeout=30)

    assert job.status == JobStatus.FAILED
    assert successes.received == []
    assert len(failures.received) == 1
    assert [delivery.event for delivery in list_deliveries()] == ["job.failed"]
    payload = failures.received[0].payload
    assert failures.received[0].signature_valid
    assert payload["event"] == "job.failed"
    assert payload["status"] == "failed"
    assert payload["report_id"] is None
    assert payload["summary"] == job.error
    assert payload["link"] == f"http://localhost:8501/generate?job={job.id}"


def test_cancelled_job_event(engine, runner, receiver: Receiver):
    create_endpoint(receiver.url, ["job.cancelled"])
    sender = start_webhooks()
    # A queued job that no worker has picked up yet: cancel ends it at once.
    with Session(engine) as session:
        job = GenerationJob(request=SAMPLE_REQUEST, topics="ozempic, wegovy")
        session.add(job)
        session.commit()
        job_id = job.id

    runner.cancel(job_id)
    sender.drain(timeout=30)

    assert len(receiver.received) == 1
    assert receiver.received[0].payload["event"] == "job.cancelled"
    assert receiver.received[0].payload["job_id"] == job_id
    # No secret: no signature header.
    assert "X-Trend-Reports-Signature" not in receiver.received[0].headers


def test_retry_on_500_then_success(engine, runner, receiver: Receiver):
    receiver.statuses = [500, 200]
    create_endpoint(receiver.url, secret=SECRET)
    job = finished_job(runner)
    enqueue_job_event(job.id, job.status, now=T0)

    first = deliver_due(T0)
    too_early = deliver_due(T0 + timedelta(seconds=29))
    second = deliver_due(T0 + timedelta(seconds=30))

    assert (first, too_early, second) == (1, 0, 1)
    assert len(receiver.received) == 2
    assert all(request.signature_valid for request in receiver.received)
    assert receiver.received[0].body == receiver.received[1].body
    (delivery,) = list_deliveries()
    assert delivery.status == "succeeded"
    assert delivery.next_attempt_at is None
    assert [attempt.attempt for attempt in delivery.attempts] == [1, 2]
    assert [attempt.status_code for attempt in delivery.attempts] == [500, 200]
    assert (
        delivery.attempts[0].error == "The endpoint answered HTTP 500: receiver failed"
    )
    assert delivery.attempts[0].next_retry_at == T0 + timedelta(seconds=30)
    assert delivery.attempts[1].next_retry_at is None
    assert delivery.attempts[1].error == ""
    assert all(attempt.duration_ms >= 0 for attempt in delivery.attempts)


def test_retries_stop_after_max_attempts(engine, runner, receiver: Receiver):
    receiver.statuses = [503]
    create_endpoint(receiver.url)
    job = finished_job(runner)
    enqueue_job_event(job.id, job.status, now=T0)

    sent = [
        deliver_due(T0 + timedelta(seconds=seconds))
        for seconds in (0, 0, 1, 30, 30, 89, 90, 1000, 100_000)
    ]

    # Three attempts in all (WEBHOOK_MAX_ATTEMPTS), waits of 30 s then 60 s.
    assert sent == [1, 0, 0, 1, 0, 0, 1, 0, 0]
    assert len(receiver.received) == 3
    (delivery,) = list_deliveries()
    assert delivery.status == "failed"
    assert [attempt.next_retry_at for attempt in delivery.attempts] == [
        T0 + timedelta(seconds=30),
        T0 + timedelta(seconds=90),
        None,
    ]


def test_client_error_is_not_retried(engine, runner, receiver: Receiver):
    receiver.statuses = [404]
    create_endpoint(receiver.url)
    job = finished_job(runner)
    enqueue_job_event(job.id, job.status, now=T0)

    deliver_due(T0)
    deliver_due(T0 + timedelta(hours=1))

    (delivery,) = list_deliveries()
    assert delivery.status == "failed"
    assert [attempt.status_code for attempt in delivery.attempts] == [404]


def test_timeout_is_retried(engine, runner, receiver: Receiver, monkeypatch):
    from generation import config

    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0.3")
    config.get_settings.cache_clear()
    first_answered = threading.Event()

    def slow_first_answer(number: int) -> None:
        if number == 0:
            time.sleep(1.0)
            first_answered.set()

    receiver.before_answer = slow_first_answer
    create_endpoint(receiver.url, secret=SECRET)
    job = finished_job(runner)
    enqueue_job_event(job.id, job.status, now=T0)

    deliver_due(T0)
    # The receiver handles one request at a time; let it finish the slow one.
    assert first_answered.wait(10)
    deliver_due(T0 + timedelta(seconds=30))

    (delivery,) = list_deliveries()
    assert delivery.status == "succeeded"
    assert [attempt.status_code for attempt in delivery.attempts] == [None, 200]
    assert delivery.attempts[0].error == (
        "The endpoint did not answer within 0.3 seconds (timed out)."
    )
    assert delivery.attempts[0].next_retry_at == T0 + timedelta(seconds=30)


def test_redirect_is_not_followed(engine, runner, httpserver):
    target = Receiver(httpserver)
    redirect_to = httpserver.url_for("/elsewhere").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/hook", method="POST").respond_with_data(
        "", status=302, headers={"Location": redirect_to}
    )
    httpserver.expect_request("/elsewhere").respond_with_handler(target.handle)
    create_endpoint(httpserver.url_for("/hook"))
    job = finished_job(runner)
    enqueue_job_event(job.id, job.status, now=T0)

    deliver_due(T0)
    deliver_due(T0 + timedelta(hours=1))

    assert target.received == []
    assert [request.path for request, _response in httpserver.log] == ["/hook"]
    (delivery,) = list_deliveries()
    assert delivery.status == "failed"
    assert [attempt.status_code for attempt in delivery.attempts] == [302]
    assert f"a redirect to '{redirect_to}'" in delivery.attempts[0].error
    assert "Redirects are not followed" in delivery.attempts[0].error


def test_send_test_delivers_signed_sample(engine, receiver: Receiver):
    endpoint = create_endpoint(receiver.url, secret=SECRET)

    delivery = send_test(endpoint.id, now=T0)

    assert delivery.status == "succeeded"
    assert delivery.event == "webhook.test"
    assert [attempt.status_code for attempt in delivery.attempts] == [200]
    assert receiver.received[0].signature_valid
    assert receiver.received[0].headers["X-Trend-Reports-Timestamp"] == str(
        int(T0.timestamp())
    )
    assert receiver.received[0].payload["event"] == "webhook.test"


def test_send_test_failure_is_not_retried(engine, receiver: Receiver):
    receiver.statuses = [500]
    endpoint = create_endpoint(receiver.url)

    delivery = send_test(endpoint.id, now=T0)
    deliver_due(T0 + timedelta(hours=1))

    assert delivery.status == "failed"
    assert len(receiver.received) == 1


def test_secret_is_masked_and_never_logged(engine, runner, receiver: Receiver, caplog):
    with caplog.at_level(logging.DEBUG):
        endpoint = create_endpoint(receiver.url, secret=SECRET)
        send_test(endpoint.id, now=T0)
        job = finished_job(runner)
        enqueue_job_event(job.id, job.status, now=T0)
        deliver_due(T0)

    assert endpoint.secret == "••••••••" + SECRET[-4:]
    assert list_endpoints()[0].secret == endpoint.secret
    assert SECRET not in caplog.text
    assert SECRET[:-4] not in repr(list_endpoints())
    assert all(request.signature_valid for request in receiver.received)


def test_delete_endpoint_removes_deliveries(engine, receiver: Receiver):
    endpoint = create_endpoint(receiver.url)
    send_test(endpoint.id, now=T0)

    delete_endpoint(endpoint.id)

    assert list_endpoints() == []
    with Session(engine) as session:
        assert session.exec(select(WebhookDelivery)).all() == []
        assert session.exec(select(WebhookAttempt)).all() == []


def test_sender_thread_sends_retries_when_due(engine, runner, receiver: Receiver):
    receiver.statuses = [500, 200]
    create_endpoint(receiver.url, secret=SECRET)
    clock = ManualClock(T0)
    start_webhooks(clock=clock)

    finished_job(runner)
    wait_for_requests(receiver, 1)
    time.sleep(0.3)
    attempts_before_retry_time = len(receiver.received)
    clock.advance(timedelta(seconds=30))
    wait_for_requests(receiver, 2)

    assert attempts_before_retry_time == 1
    assert len(receiver.received) == 2
    assert all(request.signature_valid for request in receiver.received)


def test_listener_errors_do_not_break_jobs(engine, runner, caplog):
    ended: list[tuple[int, JobStatus]] = []
    listeners_done = threading.Event()

    def broken(job_id: int, status: JobStatus) -> None:
        raise RuntimeError("listener bug")

    def record(job_id: int, status: JobStatus) -> None:
        ended.append((job_id, status))
        listeners_done.set()

    add_job_listener(broken)
    add_job_listener(record)

    with caplog.at_level(logging.ERROR, logger="generation.jobs"):
        job = finished_job(runner)
        # Listeners run just after the final status is committed.
        assert listeners_done.wait(10)

    assert job.status == JobStatus.SUCCEEDED
    assert ended == [(job.id, JobStatus.SUCCEEDED)]
    assert f"failed for job {job.id}" in caplog.text


@pytest.mark.parametrize("events", [[], ["job.started"]])
def test_create_endpoint_rejects_events(engine, receiver: Receiver, events):
    from generation.errors import InvalidRequest

    with pytest.raises(InvalidRequest) as caught:
        create_endpoint(receiver.url, events)

    assert caught.value.field == "events"
