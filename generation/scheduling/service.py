"""Create, change and read schedules; turn a schedule into a generation request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from generation.clock import as_utc
from generation.db import get_engine, session_scope
from generation.errors import InvalidRequest, NotFound, NoTrendsData
from generation.models import GenerationJob, JobStatus, utcnow
from generation.requests import clean_text, parse_request
from generation.scheduling.models import Schedule, ScheduleRun
from generation.scheduling.timing import (
    Timing,
    due_times_between,
    next_due_after,
    validate_timing,
)
from generation.writers import writer_names

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 100
# A live trends query compares at most five terms.
MAX_LIVE_TOPICS = 5
# Stands in for the trending searches while a trending schedule is checked.
_TRENDING_PLACEHOLDER = "trending search"


@dataclass(frozen=True)
class ScheduleView:
    """A schedule as the Settings page and the command line show it."""

    id: int
    name: str
    topics: str  # the fixed topics, or the trending rule in words
    data_source: str
    writer: str
    timing: str
    timezone: str
    paused: bool
    next_due_at: datetime | None
    last_run: RunView | None


@dataclass(frozen=True)
class RunView:
    """One run of a schedule, with the state of the job it started."""

    id: int
    schedule_id: int
    due_at: datetime
    trigger: str
    skipped_due_times: int
    skipped_capped: bool
    topics: list[str]
    job_id: int | None
    job_status: str
    report_id: int | None
    error: str
    created_at: datetime

    @property
    def caught_up_note(self) -> str:
        """Return a sentence on missed due times caught up by this run, or ""."""
        if self.skipped_due_times <= 0:
            return ""
        count = (
            f"at least {self.skipped_due_times}"
            if self.skipped_capped
            else str(self.skipped_due_times)
        )
        plural = "" if self.skipped_due_times == 1 and not self.skipped_capped else "s"
        return (
            f"Caught up once after downtime: {count} earlier due time{plural} "
            "passed while nothing was running and were skipped."
        )


@dataclass(frozen=True)
class UpcomingRun:
    schedule_id: int
    schedule_name: str
    due_at: datetime
    timing: str
    timezone: str


def timing_of(schedule: Schedule) -> Timing:
    return Timing(
        frequency=schedule.frequency,  # type: ignore[arg-type]
        at_time=schedule.at_time,
        weekday=schedule.weekday,
        cron=schedule.cron,
        timezone=schedule.timezone,
    )


def create_schedule(
    *,
    name: str,
    request: dict[str, Any],
    timing: Timing,
    trending_geo: str = "",
    trending_count: int = 0,
    paused: bool = False,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> Schedule:
    """Store a new schedule; raises ``InvalidRequest`` naming the wrong field."""
    clean_name = _validate_name(name)
    timing = validate_timing(timing)
    geo, count = _validate_trending_rule(trending_geo, trending_count)
    template = _validate_request_template(request, trending=bool(geo))
    moment = as_utc(now or utcnow())
    schedule = Schedule(
        name=clean_name,
        request=template,
        trending_geo=geo,
        trending_count=count,
        frequency=timing.frequency,
        at_time=timing.at_time,
        weekday=timing.weekday,
        cron=timing.cron,
        timezone=timing.timezone,
        paused=paused,
        active_since=moment,
        created_at=moment,
        updated_at=moment,
    )
    with session_scope(engine or get_engine()) as session:
        session.add(schedule)
        session.flush()
        session.refresh(schedule)
    logger.info("Schedule %s created: %s", schedule.id, timing.describe())
    return schedule


def update_schedule(
    schedule_id: int,
    *,
    name: str,
    request: dict[str, Any],
    timing: Timing,
    trending_geo: str = "",
    trending_count: int = 0,
    now: datetime | None = None,
    engine: Engine | None = None,
) -> Schedule:
    """Replace a schedule's definition.

    Due times are counted afresh from now, so a new time of day does not
    start a catch-up run for the hours before the change.
    """
    clean_name = _validate_name(name)
    timing = validate_timing(timing)
    geo, count = _validate_trending_rule(trending_geo, trending_count)
    template = _validate_request_template(request, trending=bool(geo))
    moment = as_utc(now or utcnow())
    with session_scope(engine or get_engine()) as session:
        schedule = _get_live(session, schedule_id)
        schedule.name = clean_name
        schedule.request = template
        schedule.trending_geo = geo
        schedule.trending_count = count
        schedule.frequency = timing.frequency
        schedule.at_time = timing.at_time
        schedule.weekday = timing.weekday
        schedule.cron = timing.cron
        schedule.timezone = timing.timezone
        schedule.active_since = moment
        schedule.updated_at = moment
        session.add(schedule)
    logger.info("Schedule %s changed: %s", schedule_id, timing.describe())
    return schedule


def pause_schedule(schedule_id: int, *, engine: Engine | None = None) -> Schedule:
    """Stop a schedule from running until it is resumed."""
    with session_scope(engine or get_engine()) as session:
        schedule = _get_live(session, schedule_id)
        schedule.paused = True
        schedule.updated_at = utcnow()
        session.add(schedule)
    logger.info("Schedule %s paused", schedule_id)
    return schedule


def resume_schedule(
    schedule_id: int, *, now: datetime | None = None, engine: Engine | None = None
) -> Schedule:
    """Let a paused schedule run again from its next due time after now.

    Due times that passed while it was paused are not caught up: pausing is
    the analyst's choice, not downtime.
    """
    moment = as_utc(now or utcnow())
    with session_scope(engine or get_engine()) as session:
        schedule = _get_live(session, schedule_id)
        if schedule.paused:
            schedule.paused = False
            schedule.active_since = moment
            schedule.updated_at = moment
            session.add(schedule)
    logger.info("Schedule %s resumed", schedule_id)
    return schedule


def delete_schedule(schedule_id: int, *, engine: Engine | None = None) -> None:
    """Delete a schedule; its runs and jobs stay so History can still name it."""
    with session_scope(engine or get_engine()) as session:
        schedule = _get_live(session, schedule_id)
        schedule.deleted_at = utcnow()
        session.add(schedule)
    logger.info("Schedule %s deleted", schedule_id)


def get_schedule(schedule_id: int, *, engine: Engine | None = None) -> Schedule:
    """Return a schedule that has not been deleted; raises ``NotFound``."""
    with session_scope(engine or get_engine()) as session:
        return _get_live(session, schedule_id)


def list_schedules(*, engine: Engine | None = None) -> list[Schedule]:
    """Return the schedules that have not been deleted, oldest first."""
    with session_scope(engine or get_engine()) as session:
        return list(
            session.exec(
                select(Schedule)
                .where(col(Schedule.deleted_at).is_(None))
                .order_by(col(Schedule.id))
            ).all()
        )


def describe_schedules(
    *, now: datetime | None = None, engine: Engine | None = None
) -> list[ScheduleView]:
    """Return every schedule with its next due time and its latest run."""
    engine = engine or get_engine()
    moment = as_utc(now or utcnow())
    views = []
    for schedule in list_schedules(engine=engine):
        runs = list_runs(schedule.id, limit=1, engine=engine)
        views.append(
            ScheduleView(
                id=schedule.id,
                name=schedule.name,
                topics=describe_topics(schedule),
                data_source=describe_data_source(schedule.request),
                writer=schedule.request.get("writer") or "default",
                timing=timing_of(schedule).describe(),
                timezone=schedule.timezone,
                paused=schedule.paused,
                next_due_at=None
                if schedule.paused
                else _next_due_or_none(schedule, moment),
                last_run=runs[0] if runs else None,
            )
        )
    return views


def next_due(schedule: Schedule, now: datetime) -> datetime:
    """Return when the schedule runs next: now if a due time is owed, else the next one."""
    timing = timing_of(schedule)
    owed = due_times_between(timing, owed_after(schedule), now)
    if owed.latest is not None:
        return as_utc(now)
    return next_due_after(timing, now)


def _next_due_or_none(schedule: Schedule, now: datetime) -> datetime | None:
    """Return the next due time, or None (logged) when the timing cannot be read.

    A stored time zone can vanish from a newer tz database.
    """
    try:
        return next_due(schedule, now)
    except (ZoneInfoNotFoundError, ValueError, InvalidRequest) as error:
        logger.warning("Schedule %s has an unreadable timing: %r", schedule.id, error)
        return None


def owed_after(schedule: Schedule) -> datetime:
    """Return the moment after which due times of the schedule are still owed a run."""
    since = as_utc(schedule.active_since)
    if schedule.last_due_at is None:
        return since
    return max(since, as_utc(schedule.last_due_at))


def upcoming_runs(
    limit: int = 5, *, now: datetime | None = None, engine: Engine | None = None
) -> list[UpcomingRun]:
    """Return the next due time of each active schedule, soonest first."""
    moment = as_utc(now or utcnow())
    upcoming = []
    for schedule in list_schedules(engine=engine):
        due = None if schedule.paused else _next_due_or_none(schedule, moment)
        if due is None:
            continue
        upcoming.append(
            UpcomingRun(
                schedule_id=schedule.id,
                schedule_name=schedule.name,
                due_at=due,
                timing=timing_of(schedule).describe(),
                timezone=schedule.timezone,
            )
        )
    upcoming.sort(key=lambda run: run.due_at)
    return upcoming[:limit]


def list_runs(
    schedule_id: int | None = None,
    *,
    limit: int = 20,
    engine: Engine | None = None,
) -> list[RunView]:
    """Return the latest runs (of one schedule, or of all), newest first."""
    with session_scope(engine or get_engine()) as session:
        statement = select(ScheduleRun, GenerationJob).join(
            GenerationJob,
            col(ScheduleRun.job_id) == col(GenerationJob.id),
            isouter=True,
        )
        if schedule_id is not None:
            statement = statement.where(ScheduleRun.schedule_id == schedule_id)
        rows = session.exec(
            statement.order_by(col(ScheduleRun.id).desc()).limit(limit)
        ).all()
    return [_run_view(run, job) for run, job in rows]


def schedule_names(
    schedule_ids: list[int] | set[int], *, engine: Engine | None = None
) -> dict[int, str]:
    """Return the name of each schedule id, deleted ones marked as such."""
    if not schedule_ids:
        return {}
    with session_scope(engine or get_engine()) as session:
        rows = session.exec(
            select(Schedule).where(col(Schedule.id).in_(list(schedule_ids)))
        ).all()
    return {
        row.id: f"{row.name} (deleted)" if row.deleted_at else row.name for row in rows
    }


def describe_topics(schedule: Schedule) -> str:
    if schedule.trending_geo:
        return f"Top {schedule.trending_count} trending now in {schedule.trending_geo}"
    topics = schedule.request.get("topics") or []
    return ", ".join(topics) or "every term of the data"


def describe_data_source(request: dict[str, Any]) -> str:
    parts = []
    if request.get("samples"):
        parts.append("samples " + ", ".join(request["samples"]))
    if request.get("dataset_id") is not None:
        parts.append(f"dataset {request['dataset_id']}")
    query = request.get("trends_query")
    if query is not None:
        timeframe = query.get("timeframe") or "default timeframe"
        geo = query.get("geo") or "worldwide"
        parts.append(f"live trends ({timeframe}, {geo})")
    return "; ".join(parts)


def resolve_topics(schedule: Schedule, *, engine: Engine | None = None) -> list[str]:
    """Return the topics of a run: fixed, or today's top trending searches.

    Raises ``TrendsUnavailable`` when the trending feed fails and nothing is
    cached, and ``NoTrendsData`` when the feed lists no searches.
    """
    if not schedule.trending_geo:
        return list(schedule.request.get("topics") or [])
    from generation.trends.service import trending_now

    result = trending_now(schedule.trending_geo, engine=engine)
    # The feed's order is Google's; the traffic figure ranks "top" searches.
    ranked = sorted(result.searches, key=lambda search: -search.traffic)
    topics: list[str] = []
    for search in ranked:
        title = " ".join(clean_text(search.title).split())
        if title and title.casefold() not in {topic.casefold() for topic in topics}:
            topics.append(title)
        if len(topics) == schedule.trending_count:
            break
    if not topics:
        raise NoTrendsData(
            f"Google lists no trending searches for {schedule.trending_geo} "
            "right now, so the run has no topics; it runs again at its next "
            "due time."
        )
    return topics


def build_run_request(schedule: Schedule, topics: list[str]) -> dict[str, Any]:
    """Return the generation request of one run of ``schedule``."""
    request = dict(schedule.request)
    request["topics"] = list(topics)
    if request.get("trends_query") is not None:
        request["trends_query"] = dict(request["trends_query"], terms=list(topics))
    return request


def _validate_name(name: str) -> str:
    text = " ".join(clean_text(name or "").split())
    if not text:
        raise InvalidRequest("Give the schedule a name.", field="name")
    if len(text) > MAX_NAME_CHARS:
        raise InvalidRequest(
            f"The name is {len(text)} characters long; the limit is "
            f"{MAX_NAME_CHARS}. Shorten it.",
            field="name",
        )
    return text


def _validate_trending_rule(geo: str, count: int) -> tuple[str, int]:
    code = (geo or "").strip().upper()
    if not code:
        return "", 0
    from generation.trends.trending import validate_trending_geo

    code = validate_trending_geo(code)
    if not 1 <= count <= MAX_LIVE_TOPICS:
        raise InvalidRequest(
            f"{count} trending searches were requested; choose from 1 to "
            f"{MAX_LIVE_TOPICS}, because a live trends query compares at most "
            f"{MAX_LIVE_TOPICS} terms.",
            field="trending_count",
        )
    return code, count


def _validate_request_template(
    request: dict[str, Any], *, trending: bool
) -> dict[str, Any]:
    """Return the request to store, checked as a run would submit it."""
    values = dict(request)
    if trending:
        values["topics"] = []
    live = values.get("trends_query") is not None
    if live:
        values["trends_query"] = {
            key: value
            for key, value in dict(values["trends_query"]).items()
            if key != "terms"
        }
    if not (values.get("samples") or values.get("dataset_id") is not None or live):
        raise InvalidRequest(
            "Choose where the data comes from: bundled samples, a saved "
            "dataset or a live trends query.",
            field="source",
        )
    if trending and not live:
        raise InvalidRequest(
            "Trending searches change every day, so a trending schedule needs "
            "the live trends source; samples and saved datasets do not "
            "contain them.",
            field="source",
        )
    checked = parse_request(
        dict(values, topics=[_TRENDING_PLACEHOLDER]) if trending else values
    )
    if live and not trending:
        _check_live_topics(checked.topics)
    if checked.writer and checked.writer not in writer_names():
        raise InvalidRequest(
            f"There is no writer called '{checked.writer}'. Choose one of: "
            f"{', '.join(writer_names())}.",
            field="writer",
        )
    stored = checked.model_dump(mode="json")
    if trending:
        stored["topics"] = []
    if live:
        _check_trends_query(dict(stored["trends_query"], terms=checked.topics))
        stored["trends_query"].pop("terms", None)
    return stored


def _check_live_topics(topics: list[str]) -> None:
    if not topics:
        raise InvalidRequest(
            "A live trends query needs topics to search for; add up to "
            f"{MAX_LIVE_TOPICS} topics.",
            field="topics",
        )
    if len(topics) > MAX_LIVE_TOPICS:
        raise InvalidRequest(
            f"{len(topics)} topics were given; a live trends query compares at "
            f"most {MAX_LIVE_TOPICS}. Remove some topics.",
            field="topics",
        )


def _check_trends_query(query: dict[str, Any]) -> None:
    from generation.trends.query import query_from_dict

    query_from_dict(query)


def _get_live(session, schedule_id: int) -> Schedule:
    schedule = session.get(Schedule, schedule_id)
    if schedule is None or schedule.deleted_at is not None:
        raise NotFound(f"There is no schedule {schedule_id}. Check the schedule id.")
    return schedule


def _run_view(run: ScheduleRun, job: GenerationJob | None) -> RunView:
    if job is not None:
        status = str(job.status)
    elif run.error:
        status = str(JobStatus.FAILED)
    else:
        status = "not started"
    return RunView(
        id=run.id,
        schedule_id=run.schedule_id,
        due_at=as_utc(run.due_at),
        trigger=run.trigger,
        skipped_due_times=run.skipped_due_times,
        skipped_capped=run.skipped_capped,
        topics=list(run.topics or []),
        job_id=run.job_id,
        job_status=status,
        report_id=job.report_id if job is not None else None,
        error=run.error,
        created_at=as_utc(run.created_at),
    )
