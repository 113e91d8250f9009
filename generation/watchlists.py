"""Watched terms: checks that notice breakouts, jumps and new rising searches.

An analyst follows a term. Every ``check_every_hours`` (slots aligned to
midnight UTC) a check reads the term's latest trends data and compares it
with the previous check. The data comes from a live query, or from the
newest saved datasets with the term's interest over time and its related
queries. What is new becomes an ``Alert`` on the Dashboard,
from which a report can be started on the same data.

A check is taken like a schedule run: a row keyed uniquely on (term, slot)
is inserted first, so several processes check each slot once, and a slot
missed during downtime is not checked later; the next one is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel, col, select

from generation.analysis import analyse
from generation.clock import as_utc
from generation.datasets import load_dataset, save_dataset
from generation.db import get_engine, session_scope
from generation.errors import InvalidRequest, NotFound, NoTrendsData, UserFacingError
from generation.models import GenerationJob, TrendDataset, utcnow
from generation.requests import MAX_TOPIC_CHARS, clean_text
from generation.trends.base import TrendsData

logger = logging.getLogger(__name__)

WatchSource = Literal["live", "datasets"]
WATCH_SOURCES: tuple[WatchSource, ...] = ("live", "datasets")
CHECK_INTERVALS_HOURS = (1, 3, 6, 12, 24)
AlertKind = Literal["jump", "breakout", "rising"]
DATASET_SCAN_BATCH = 200
MAX_DATASETS_SCANNED = 50

UNEXPECTED_CHECK_ERROR = (
    "The check stopped on an unexpected error ({kind}). It has been logged "
    "with the term's id; the next check tries again."
)


class WatchedTerm(SQLModel, table=True):
    """A search term an analyst follows."""

    id: int | None = Field(default=None, primary_key=True)
    term: str
    source: str = "live"  # live or datasets
    geo: str = ""  # live queries: "" is worldwide
    timeframe: str = "today 3-m"  # live queries
    category: str = "All categories"  # the category of reports started from alerts
    # An alert is raised when the latest value rises by at least this many
    # percent over the latest value of the previous check.
    jump_percent: float = 50.0
    check_every_hours: int = 24
    paused: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = Field(default=None, index=True)


class WatchCheck(SQLModel, table=True):
    """One check of a watched term and what it saw."""

    __table_args__ = (UniqueConstraint("watched_term_id", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    watched_term_id: int = Field(foreign_key="watchedterm.id", index=True)
    due_at: datetime
    checked_at: datetime | None = None
    # The data the interest figures came from.
    dataset_id: int | None = Field(default=None, foreign_key="trenddataset.id")
    latest_value: float | None = None
    latest_period: str | None = None
    # False when no data had related queries for the term, so the lists
    # below are unknown rather than empty.
    related_seen: bool = False
    related_dataset_id: int | None = Field(default=None, foreign_key="trenddataset.id")
    rising: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    breakouts: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    error: str = Field(default="", sa_column=Column(Text))


class Alert(SQLModel, table=True):
    """Something new about a watched term, shown on the Dashboard."""

    id: int | None = Field(default=None, primary_key=True)
    watched_term_id: int = Field(foreign_key="watchedterm.id", index=True)
    check_id: int = Field(foreign_key="watchcheck.id")
    term: str
    kind: str  # jump, breakout or rising
    message: str = Field(sa_column=Column(Text))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    dataset_id: int | None = Field(default=None, foreign_key="trenddataset.id")
    job_id: int | None = Field(default=None, foreign_key="generationjob.id")
    created_at: datetime = Field(default_factory=utcnow, index=True)
    dismissed_at: datetime | None = None


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check, for the command line and the scheduler's log."""

    watched_term_id: int
    term: str
    due_at: datetime
    alerts: list[str]
    error: str = ""

    def describe(self) -> str:
        name = f"watched term {self.watched_term_id} ({self.term})"
        if self.error:
            return f"{name}: check failed: {self.error}"
        if not self.alerts:
            return f"{name}: checked, nothing new"
        return f"{name}: " + " ".join(self.alerts)


@dataclass(frozen=True)
class AlertView:
    id: int
    term: str
    kind: str
    message: str
    created_at: datetime
    job_id: int | None
    report_id: int | None
    job_status: str


@dataclass(frozen=True)
class WatchedTermView:
    id: int
    term: str
    source: str
    geo: str
    timeframe: str
    jump_percent: float
    check_every_hours: int
    paused: bool
    last_checked_at: datetime | None
    last_value: float | None
    last_error: str


@dataclass
class _Snapshot:
    """The figures one check read: interest and related queries, each with its dataset."""

    latest_value: float | None = None
    latest_period: str | None = None
    series_dataset_id: int | None = None
    # None when no data had related queries for the term.
    rising: list[str] | None = None
    breakouts: list[str] | None = None
    related_dataset_id: int | None = None

    @property
    def complete(self) -> bool:
        return self.series_dataset_id is not None and self.rising is not None


# Managing watched terms ------------------------------------------------------


def add_watched_term(
    term: str,
    *,
    source: WatchSource = "live",
    geo: str = "",
    timeframe: str = "today 3-m",
    category: str = "All categories",
    jump_percent: float = 50.0,
    check_every_hours: int = 24,
    engine: Engine | None = None,
) -> WatchedTerm:
    """Follow a term; raises ``InvalidRequest`` naming the wrong field."""
    text = " ".join(clean_text(term or "").split())
    if not text:
        raise InvalidRequest("Type the search term to follow.", field="term")
    if len(text) > MAX_TOPIC_CHARS:
        raise InvalidRequest(
            f"The term is {len(text)} characters long; the limit is "
            f"{MAX_TOPIC_CHARS}. Shorten it to a search term.",
            field="term",
        )
    if source not in WATCH_SOURCES:
        raise InvalidRequest(
            f"'{source}' is not a data source for a watched term; choose live "
            "or datasets.",
            field="source",
        )
    if not 1 <= jump_percent <= 10_000:
        raise InvalidRequest(
            f"A jump of {jump_percent:g}% cannot be watched for; choose from 1 "
            "to 10000 percent.",
            field="jump_percent",
        )
    if check_every_hours not in CHECK_INTERVALS_HOURS:
        raise InvalidRequest(
            f"Checks can run every {', '.join(map(str, CHECK_INTERVALS_HOURS))} "
            f"hours, not every {check_every_hours}.",
            field="check_every_hours",
        )
    if source == "live":
        from generation.trends.query import query_from_dict

        query = query_from_dict({"terms": [text], "timeframe": timeframe, "geo": geo})
        geo, timeframe = query.geo, query.timeframe
    watched = WatchedTerm(
        term=text,
        source=source,
        geo=geo,
        timeframe=timeframe,
        category=clean_text(category) or "All categories",
        jump_percent=float(jump_percent),
        check_every_hours=check_every_hours,
    )
    with session_scope(engine or get_engine()) as session:
        session.add(watched)
        session.flush()
        session.refresh(watched)
    logger.info("Watching term %s: %s", watched.id, watched.term)
    return watched


def remove_watched_term(watched_term_id: int, *, engine: Engine | None = None) -> None:
    """Stop following a term; its alerts stay on the Dashboard until dismissed."""
    with session_scope(engine or get_engine()) as session:
        watched = _get_live(session, watched_term_id)
        watched.deleted_at = utcnow()
        session.add(watched)
    logger.info("Stopped watching term %s", watched_term_id)


def set_watched_term_paused(
    watched_term_id: int, paused: bool, *, engine: Engine | None = None
) -> None:
    with session_scope(engine or get_engine()) as session:
        watched = _get_live(session, watched_term_id)
        watched.paused = paused
        session.add(watched)


def list_watched_terms(*, engine: Engine | None = None) -> list[WatchedTermView]:
    """Return the followed terms with the outcome of their latest check."""
    views = []
    with session_scope(engine or get_engine()) as session:
        terms = session.exec(
            select(WatchedTerm)
            .where(col(WatchedTerm.deleted_at).is_(None))
            .order_by(col(WatchedTerm.id))
        ).all()
        for watched in terms:
            last = session.exec(
                select(WatchCheck)
                .where(WatchCheck.watched_term_id == watched.id)
                .where(col(WatchCheck.checked_at).is_not(None))
                .order_by(col(WatchCheck.id).desc())
                .limit(1)
            ).first()
            views.append(
                WatchedTermView(
                    id=watched.id,
                    term=watched.term,
                    source=watched.source,
                    geo=watched.geo,
                    timeframe=watched.timeframe,
                    jump_percent=watched.jump_percent,
                    check_every_hours=watched.check_every_hours,
                    paused=watched.paused,
                    last_checked_at=as_utc(last.checked_at) if last else None,
                    last_value=last.latest_value if last else None,
                    last_error=last.error if last else "",
                )
            )
    return views


# Checking --------------------------------------------------------------------


def check_slot(now: datetime, every_hours: int) -> datetime:
    """Return the start of the check slot that contains ``now``."""
    moment = as_utc(now)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    slots = (moment - midnight) // timedelta(hours=every_hours)
    return midnight + slots * timedelta(hours=every_hours)


def check_due_watchlists(
    now: datetime | None = None, *, engine: Engine | None = None
) -> list[CheckOutcome]:
    """Check each followed term whose current slot has no check yet."""
    moment = as_utc(now or utcnow())
    engine = engine or get_engine()
    with session_scope(engine) as session:
        terms = session.exec(
            select(WatchedTerm)
            .where(col(WatchedTerm.deleted_at).is_(None))
            .where(col(WatchedTerm.paused).is_(False))
            .order_by(col(WatchedTerm.id))
        ).all()
    outcomes = []
    for watched in terms:
        slot = check_slot(moment, watched.check_every_hours)
        check_id = _take_slot(engine, watched.id, slot)
        if check_id is None:
            continue
        outcomes.append(_run_check(engine, watched, check_id, slot, moment))
    return outcomes


def check_now(
    watched_term_id: int, *, now: datetime | None = None, engine: Engine | None = None
) -> CheckOutcome:
    """Check one followed term at once, outside its slots."""
    moment = as_utc(now or utcnow())
    engine = engine or get_engine()
    with session_scope(engine) as session:
        watched = _get_live(session, watched_term_id)
    check_id = _take_slot(engine, watched.id, moment)
    if check_id is None:
        raise InvalidRequest("A check of this term is already running; wait a moment.")
    return _run_check(engine, watched, check_id, moment, moment)


def _take_slot(engine: Engine, watched_term_id: int, due_at: datetime) -> int | None:
    try:
        with session_scope(engine) as session:
            check = WatchCheck(watched_term_id=watched_term_id, due_at=due_at)
            session.add(check)
            session.flush()
            return check.id
    except IntegrityError:
        return None


def _run_check(
    engine: Engine,
    watched: WatchedTerm,
    check_id: int,
    due_at: datetime,
    now: datetime,
) -> CheckOutcome:
    try:
        snapshot = _take_snapshot(engine, watched)
    except UserFacingError as error:
        return _record_failure(engine, watched, check_id, due_at, now, error.message)
    except Exception as error:  # a failed check must not stop the other terms
        logger.exception("Check of watched term %s failed", watched.id)
        sentence = UNEXPECTED_CHECK_ERROR.format(kind=type(error).__name__)
        return _record_failure(engine, watched, check_id, due_at, now, sentence)

    with session_scope(engine) as session:
        previous = session.exec(
            select(WatchCheck)
            .where(WatchCheck.watched_term_id == watched.id)
            .where(col(WatchCheck.checked_at).is_not(None))
            .where(WatchCheck.error == "")
            .where(WatchCheck.id != check_id)
            .order_by(col(WatchCheck.id).desc())
            .limit(1)
        ).first()
        check = session.get(WatchCheck, check_id)
        check.checked_at = now
        check.dataset_id = snapshot.series_dataset_id or snapshot.related_dataset_id
        check.latest_value = snapshot.latest_value
        check.latest_period = snapshot.latest_period
        check.related_seen = snapshot.rising is not None
        check.related_dataset_id = snapshot.related_dataset_id
        check.rising = snapshot.rising or []
        check.breakouts = snapshot.breakouts or []
        session.add(check)
        alerts = _compare(watched, snapshot, previous)
        for kind, message, details in alerts:
            # A report on a jump explains the interest series; one on a new
            # related search explains the related queries.
            dataset_id = (
                snapshot.series_dataset_id
                if kind == "jump"
                else snapshot.related_dataset_id
            )
            session.add(
                Alert(
                    watched_term_id=watched.id,
                    check_id=check_id,
                    term=watched.term,
                    kind=kind,
                    message=message,
                    details=details,
                    dataset_id=dataset_id,
                    created_at=now,
                )
            )
    for kind, message, _details in alerts:
        logger.info("Alert on watched term %s (%s): %s", watched.id, kind, message)
    return CheckOutcome(
        watched_term_id=watched.id,
        term=watched.term,
        due_at=due_at,
        alerts=[message for _kind, message, _details in alerts],
    )


def _record_failure(
    engine: Engine,
    watched: WatchedTerm,
    check_id: int,
    due_at: datetime,
    now: datetime,
    sentence: str,
) -> CheckOutcome:
    logger.warning("Check of watched term %s failed: %s", watched.id, sentence)
    with session_scope(engine) as session:
        check = session.get(WatchCheck, check_id)
        check.checked_at = now
        check.error = sentence
        session.add(check)
    return CheckOutcome(
        watched_term_id=watched.id,
        term=watched.term,
        due_at=due_at,
        alerts=[],
        error=sentence,
    )


def _take_snapshot(engine: Engine, watched: WatchedTerm) -> _Snapshot:
    """Read the term's latest figures from a live query or from saved datasets."""
    snapshot = _Snapshot()
    if watched.source == "live":
        from generation.trends.service import get_trends

        query = {"terms": [watched.term], "timeframe": watched.timeframe}
        query["geo"] = watched.geo
        data = get_trends(query, engine=engine).data
        _fill_snapshot(snapshot, data, save_dataset(data, engine=engine), watched.term)
        return snapshot
    # An interest-over-time export and a related-queries export are separate
    # files, so the newest dataset with each part is used.
    for dataset_id in datasets_with(watched.term, engine=engine):
        data = load_dataset(dataset_id, engine=engine)
        _fill_snapshot(snapshot, data, dataset_id, watched.term)
        if snapshot.complete:
            break
    if snapshot.series_dataset_id is None and snapshot.rising is None:
        raise NoTrendsData(
            f"No saved dataset contains '{watched.term}'. Import a Google Trends "
            "export with it, or watch it with live data."
        )
    return snapshot


def _fill_snapshot(
    snapshot: _Snapshot, data: TrendsData, dataset_id: int, term: str
) -> None:
    """Fill the parts of ``snapshot`` still missing from ``data``."""
    figures = analyse(data).term(term)
    if figures is None:
        return
    if snapshot.series_dataset_id is None and figures.latest_value is not None:
        snapshot.latest_value = figures.latest_value
        snapshot.latest_period = figures.latest_period
        snapshot.series_dataset_id = dataset_id
    if snapshot.rising is None and (figures.top_queries or figures.rising_queries):
        labels = [row["label"] for row in figures.rising_queries]
        snapshot.breakouts = list(figures.breakouts)
        snapshot.rising = [label for label in labels if label not in figures.breakouts]
        snapshot.related_dataset_id = dataset_id


def datasets_with(term: str, *, engine: Engine | None = None) -> list[int]:
    """Return the ids of saved datasets that have ``term``, newest first.

    At most MAX_DATASETS_SCANNED ids are returned.
    """
    wanted = term.casefold()
    found: list[int] = []
    before: int | None = None
    with session_scope(engine or get_engine()) as session:
        while len(found) < MAX_DATASETS_SCANNED:
            statement = select(TrendDataset.id, TrendDataset.terms)
            if before is not None:
                statement = statement.where(col(TrendDataset.id) < before)
            rows = session.exec(
                statement.order_by(col(TrendDataset.id).desc()).limit(
                    DATASET_SCAN_BATCH
                )
            ).all()
            if not rows:
                break
            for dataset_id, terms in rows:
                if any(str(name).casefold() == wanted for name in terms or []):
                    found.append(dataset_id)
            before = rows[-1][0]
    return found[:MAX_DATASETS_SCANNED]


def _compare(
    watched: WatchedTerm, current: _Snapshot, previous: WatchCheck | None
) -> list[tuple[AlertKind, str, dict[str, Any]]]:
    """Return the alerts a check raises against the previous successful check.

    The first check only records a baseline, except for breakouts, which are
    news on their own.
    """
    alerts: list[tuple[AlertKind, str, dict[str, Any]]] = []
    term = watched.term
    related_before = previous is not None and previous.related_seen
    old_breakouts = set(previous.breakouts or []) if related_before else set()
    new_breakouts = [
        label for label in current.breakouts or [] if label not in old_breakouts
    ]
    if new_breakouts:
        message = (
            f"Breakout searches related to '{term}' (a rise of over 5000%): "
            f"{', '.join(new_breakouts)}."
        )
        alerts.append(("breakout", message, {"queries": new_breakouts}))
    if previous is None:
        return alerts
    old_value, new_value = previous.latest_value, current.latest_value
    # NOTE: a rise from 0 has no percentage, so it raises no jump alert.
    if old_value and new_value is not None:
        change = (new_value - old_value) / old_value * 100
        if change >= watched.jump_percent:
            message = (
                f"Interest in '{term}' rose {change:.0f}% since the previous "
                f"check, from {old_value:g} to {new_value:g} on Google's 0-100 "
                "scale."
            )
            details = {
                "previous_value": old_value,
                "value": new_value,
                "previous_period": previous.latest_period,
                "period": current.latest_period,
                "change_percent": round(change, 1),
            }
            alerts.append(("jump", message, details))
    if not related_before or current.rising is None:
        return alerts
    old_rising = set(previous.rising or []) | old_breakouts
    new_rising = [label for label in current.rising if label not in old_rising]
    if new_rising:
        alerts.append(
            (
                "rising",
                f"New rising searches related to '{term}': {', '.join(new_rising)}.",
                {"queries": new_rising},
            )
        )
    return alerts


# Alerts ----------------------------------------------------------------------


def list_alerts(
    limit: int = 10,
    *,
    include_dismissed: bool = False,
    engine: Engine | None = None,
) -> list[AlertView]:
    """Return the newest alerts with the state of any report started on them."""
    with session_scope(engine or get_engine()) as session:
        statement = select(Alert, GenerationJob).join(
            GenerationJob, col(Alert.job_id) == col(GenerationJob.id), isouter=True
        )
        if not include_dismissed:
            statement = statement.where(col(Alert.dismissed_at).is_(None))
        rows = session.exec(statement.order_by(col(Alert.id).desc()).limit(limit)).all()
    return [
        AlertView(
            id=alert.id,
            term=alert.term,
            kind=alert.kind,
            message=alert.message,
            created_at=as_utc(alert.created_at),
            job_id=alert.job_id,
            report_id=job.report_id if job is not None else None,
            job_status=str(job.status) if job is not None else "",
        )
        for alert, job in rows
    ]


def dismiss_alert(alert_id: int, *, engine: Engine | None = None) -> None:
    with session_scope(engine or get_engine()) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"There is no alert {alert_id}. Check the alert id.")
        alert.dismissed_at = utcnow()
        session.add(alert)


def start_report(alert_id: int, *, runner=None, engine: Engine | None = None) -> int:
    """Start a report on an alert's term and data; return the job id.

    The report is written from the dataset the check saw, so it explains the
    same numbers the alert states.
    """
    from generation.jobs import get_runner

    runner = runner or get_runner()
    engine = engine or runner.engine
    with session_scope(engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise NotFound(f"There is no alert {alert_id}. Check the alert id.")
        watched = session.get(WatchedTerm, alert.watched_term_id)
    request = {
        "category": watched.category if watched else "All categories",
        "topics": [alert.term],
        "dataset_id": alert.dataset_id,
        "instructions": f"Explain this change and what it means: {alert.message}",
    }
    submission = runner.submit(request)
    with session_scope(engine) as session:
        alert = session.get(Alert, alert_id)
        alert.job_id = submission.job_id
        session.add(alert)
    logger.info("Alert %s: report job %s started", alert_id, submission.job_id)
    return submission.job_id


def _get_live(session, watched_term_id: int) -> WatchedTerm:
    watched = session.get(WatchedTerm, watched_term_id)
    if watched is None or watched.deleted_at is not None:
        raise NotFound(f"There is no watched term {watched_term_id}. Check the id.")
    return watched
