"""Tables of webhooks: endpoints, deliveries of one event, and each attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from generation.models import utcnow


class WebhookEndpoint(SQLModel, table=True):
    """An address that is sent a POST when a job ends."""

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    # A subset of job.succeeded, job.failed and job.cancelled.
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    # Kept as given because every delivery is signed with it. Pages and logs
    # only ever see it masked.
    secret: str = ""
    description: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event to send to one endpoint, retried until it succeeds or gives up."""

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhookendpoint.id", index=True)
    event: str
    job_id: int | None = Field(default=None, index=True)
    # The JSON body exactly as sent, so every attempt sends the same bytes.
    body: str = Field(sa_column=Column(Text, nullable=False))
    # pending (waiting for its next attempt), sending, succeeded or failed.
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    max_attempts: int = 1
    next_attempt_at: datetime | None = Field(default_factory=utcnow, index=True)
    claimed_by: str = ""
    claimed_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str = Field(default="", sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One HTTP attempt of a delivery, as recorded for the Settings page."""

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhookdelivery.id", index=True)
    attempt: int
    started_at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    duration_ms: int = 0
    error: str = Field(default="", sa_column=Column(Text))
    # When the next attempt is due; None when this was the last one.
    next_retry_at: datetime | None = None
