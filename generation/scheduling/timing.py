"""When a schedule is due: daily, weekdays, weekly or a cron expression, in a time zone.

Every kind of timing is turned into a cron expression and evaluated on the
wall clock of the schedule's IANA time zone, then each wall time is turned
into a UTC instant:

- A wall time that does not exist because the clocks jump forward (02:30 on
  the last Sunday of March in Europe/Berlin) runs as far past the jump as it
  was past the start of the gap (03:30 local). That is the UTC offset in
  force before the change.
- A wall time that happens twice because the clocks fall back runs once, at
  the first occurrence, when the hour is fixed. A cron expression whose hour
  field starts with ``*`` runs in both copies of the repeated hour, so
  "every hour" stays every hour of elapsed time. This is how Vixie cron
  treats the same change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from generation.clock import as_utc
from generation.errors import InvalidRequest

Frequency = Literal["daily", "weekdays", "weekly", "cron"]
FREQUENCIES: tuple[Frequency, ...] = ("daily", "weekdays", "weekly", "cron")
WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
# No time zone moves its clocks by more than two hours at once, so a window
# of three hours around a moment holds every wall time that maps near it.
DST_WINDOW = timedelta(hours=3)
# Spans up to this long are checked for an offset change by their two ends.
STEADY_SPAN = timedelta(hours=12)
# Catching up counts missed due times one by one up to this many; beyond it
# the count is reported as "at least".
MAX_COUNTED_DUE_TIMES = 1000

_TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Timing:
    """When a schedule runs, as the analyst set it."""

    frequency: Frequency = "daily"
    at_time: str = "09:00"  # HH:MM on the wall clock of ``timezone``
    weekday: int = 0  # 0 is Monday; used by "weekly"
    cron: str = ""  # five fields; used by "cron"
    timezone: str = "UTC"

    def cron_expression(self) -> str:
        """Return the cron expression this timing stands for."""
        if self.frequency == "cron":
            return " ".join(self.cron.split())
        hour, minute = parse_time_of_day(self.at_time)
        days = {"daily": "*", "weekdays": "1-5", "weekly": str((self.weekday + 1) % 7)}
        return f"{minute} {hour} * * {days[self.frequency]}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def describe(self) -> str:
        """Return the timing in words, e.g. "Weekdays at 09:00 (Europe/Berlin)"."""
        zone = f"({self.timezone})"
        if self.frequency == "daily":
            return f"Daily at {self.at_time} {zone}"
        if self.frequency == "weekdays":
            return f"Weekdays at {self.at_time} {zone}"
        if self.frequency == "weekly":
            return f"{WEEKDAY_NAMES[self.weekday]}s at {self.at_time} {zone}"
        return f"Cron '{self.cron_expression()}' {zone}"


@dataclass(frozen=True)
class DueTimes:
    """The due times that fell in a span: the latest one and how many there were."""

    latest: datetime | None
    count: int
    # True when there were more than MAX_COUNTED_DUE_TIMES and counting stopped.
    capped: bool = False


def parse_time_of_day(text: str) -> tuple[int, int]:
    """Return (hour, minute) from "HH:MM"; raises ``InvalidRequest``."""
    match = _TIME_OF_DAY.match(text.strip())
    if match is None:
        raise InvalidRequest(
            f"'{text[:20]}' is not a time of day; write it as HH:MM on a "
            "24-hour clock, such as 09:00 or 17:30.",
            field="at_time",
        )
    return int(match.group(1)), int(match.group(2))


def validate_timing(timing: Timing) -> Timing:
    """Return the timing with tidied fields; raises ``InvalidRequest`` with a sentence."""
    if timing.frequency not in FREQUENCIES:
        raise InvalidRequest(
            f"'{timing.frequency}' is not a frequency; choose one of "
            f"{', '.join(FREQUENCIES)}.",
            field="frequency",
        )
    zone_name = timing.timezone.strip()
    try:
        ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(
            f"'{zone_name[:60]}' is not a time zone; use an IANA name such as "
            "Europe/Berlin, America/New_York or UTC.",
            field="timezone",
        ) from None
    if timing.frequency == "cron":
        expression = " ".join(timing.cron.split())
        if len(expression.split()) != 5 or not croniter.is_valid(expression):
            raise InvalidRequest(
                f"'{expression[:60]}' is not a cron expression; write five fields "
                "(minute hour day-of-month month day-of-week), such as '0 9 * * 1-5'.",
                field="cron",
            )
        tidy = Timing("cron", timing.at_time, timing.weekday, expression, zone_name)
    else:
        hour, minute = parse_time_of_day(timing.at_time)
        if timing.frequency == "weekly" and timing.weekday not in range(7):
            raise InvalidRequest(
                f"{timing.weekday} is not a weekday; use 0 for Monday up to 6 "
                "for Sunday.",
                field="weekday",
            )
        tidy = Timing(
            timing.frequency, f"{hour:02d}:{minute:02d}", timing.weekday, "", zone_name
        )
    try:
        next_due_after(tidy, datetime(2000, 1, 1, tzinfo=UTC))
    except CroniterBadDateError:
        raise InvalidRequest(
            f"The cron expression '{tidy.cron}' never matches a date (such as "
            "30 February); change the day or month fields.",
            field="cron",
        ) from None
    return tidy


def time_zone_names() -> list[str]:
    """Return the IANA time zone names this system has, sorted."""
    return sorted(available_timezones())


def next_due_after(timing: Timing, after: datetime) -> datetime:
    """Return the first due time strictly after ``after``, as aware UTC."""
    after = as_utc(after)
    zone = timing.zone
    candidate = next(_wall_times(timing, _wall_time(after, zone), backwards=False))
    instant = candidate.replace(tzinfo=zone).astimezone(UTC)
    if _offset_steady(zone, after - DST_WINDOW, instant + DST_WINDOW):
        return instant
    start = _wall_time(after, zone) - DST_WINDOW
    best: datetime | None = None
    best_wall: datetime | None = None
    for wall in _wall_times(timing, start, backwards=False):
        # Instants are not in wall-time order around a fall-back, so keep
        # looking a little past the first hit.
        if best_wall is not None and wall > best_wall + DST_WINDOW:
            break
        for instant in _instants(wall, zone, _runs_every_hour(timing)):
            if instant > after and (best is None or instant < best):
                best, best_wall = instant, wall
    assert best is not None
    return best


def latest_due_at_or_before(
    timing: Timing, moment: datetime, after: datetime
) -> datetime | None:
    """Return the last due time in (``after``, ``moment``], or None."""
    moment, after = as_utc(moment), as_utc(after)
    zone = timing.zone
    # Cron times are whole minutes, so starting just past the minute of
    # ``moment`` makes get_prev include a due time exactly at ``moment``.
    minute = _wall_time(moment, zone).replace(second=0, microsecond=0)
    candidate = next(_wall_times(timing, minute + timedelta(minutes=1), backwards=True))
    instant = candidate.replace(tzinfo=zone).astimezone(UTC)
    if _offset_steady(zone, instant - DST_WINDOW, moment + DST_WINDOW):
        return instant if instant > after else None
    start = _wall_time(moment, zone) + DST_WINDOW
    best: datetime | None = None
    best_wall: datetime | None = None
    for wall in _wall_times(timing, start, backwards=True):
        if best_wall is not None and wall < best_wall - DST_WINDOW:
            break
        if best_wall is None and wall < _wall_time(after, zone) - DST_WINDOW:
            break
        for instant in _instants(wall, zone, _runs_every_hour(timing)):
            if after < instant <= moment and (best is None or instant > best):
                best, best_wall = instant, wall
    return best


def due_times_between(timing: Timing, after: datetime, until: datetime) -> DueTimes:
    """Return the latest due time in (``after``, ``until``] and how many there were."""
    after, until = as_utc(after), as_utc(until)
    latest: datetime | None = None
    count = 0
    cursor = after
    while count < MAX_COUNTED_DUE_TIMES:
        due = next_due_after(timing, cursor)
        if due > until:
            return DueTimes(latest=latest, count=count)
        latest, count, cursor = due, count + 1, due
    latest = latest_due_at_or_before(timing, until, after)
    return DueTimes(latest=latest, count=count, capped=True)


def upcoming_due_times(timing: Timing, after: datetime, count: int) -> list[datetime]:
    """Return the next ``count`` due times after ``after``."""
    times: list[datetime] = []
    cursor = as_utc(after)
    for _ in range(count):
        cursor = next_due_after(timing, cursor)
        times.append(cursor)
    return times


def _offset_steady(zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Return True when ``zone`` surely keeps one UTC offset from start to end.

    Only spans of up to STEADY_SPAN are judged, by their two ends.
    NOTE: this assumes no zone changes its offset and back within 12 hours,
    which holds for every daylight-saving rule in use. A span that fails the
    check takes the slower search, which is exact.
    """
    if end - start > STEADY_SPAN:
        return False
    return start.astimezone(zone).utcoffset() == end.astimezone(zone).utcoffset()


def _wall_time(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def _wall_times(
    timing: Timing, start: datetime, *, backwards: bool
) -> Iterator[datetime]:
    """Yield naive wall times matching the timing, moving away from ``start``."""
    try:
        iterator = croniter(timing.cron_expression(), start)
    except CroniterBadCronError as error:
        raise InvalidRequest(
            f"The schedule's cron expression is invalid ({error}).", field="cron"
        ) from None
    while True:
        if backwards:
            yield iterator.get_prev(datetime)
        else:
            yield iterator.get_next(datetime)


def _instants(wall: datetime, zone: ZoneInfo, every_hour: bool) -> list[datetime]:
    """Return the UTC instants at which a wall time happens in ``zone``."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _wall_time(first, zone) != wall:
        # The wall time falls in a spring-forward gap. fold=0 applies the
        # offset from before the change, which lands as far past the jump
        # as the wall time was past its start.
        return [first]
    second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if second != first and every_hour:
        return [first, second]
    return [first]


def _runs_every_hour(timing: Timing) -> bool:
    if timing.frequency != "cron":
        return False
    return timing.cron_expression().split()[1].startswith("*")
