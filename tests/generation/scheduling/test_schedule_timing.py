"""Due-time arithmetic: time zones, daylight-saving changes, weekdays and cron."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from generation.errors import InvalidRequest
from generation.scheduling.timing import (
    MAX_COUNTED_DUE_TIMES,
    Timing,
    due_times_between,
    latest_due_at_or_before,
    next_due_after,
    upcoming_due_times,
    validate_timing,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(Timing(timezone=zone).zone).isoformat()


def test_daily_uses_the_time_zone_wall_clock():
    berlin = Timing("daily", "09:00", timezone="Europe/Berlin")
    new_york = Timing("daily", "09:00", timezone="America/New_York")
    after = utc(2024, 6, 1, 12, 0)

    assert next_due_after(berlin, after) == utc(2024, 6, 2, 7, 0)
    assert next_due_after(new_york, after) == utc(2024, 6, 1, 13, 0)


def test_due_time_is_strictly_after():
    timing = Timing("daily", "09:00", timezone="UTC")

    assert next_due_after(timing, utc(2024, 6, 1, 9, 0)) == utc(2024, 6, 2, 9, 0)
    assert next_due_after(timing, utc(2024, 6, 1, 8, 59)) == utc(2024, 6, 1, 9, 0)


def test_daily_keeps_local_time_across_summer_time():
    timing = Timing("daily", "09:00", timezone="Europe/Berlin")

    times = upcoming_due_times(timing, utc(2024, 3, 29, 12, 0), 3)

    assert times == [
        utc(2024, 3, 30, 8, 0),  # CET, UTC+1
        utc(2024, 3, 31, 7, 0),  # CEST, UTC+2, from this morning
        utc(2024, 4, 1, 7, 0),
    ]
    assert [local(time, "Europe/Berlin")[11:16] for time in times] == ["09:00"] * 3


def test_spring_gap_berlin():
    # On 31 March 2024 Berlin's clocks jump from 02:00 to 03:00: 02:30 never happens.
    timing = Timing("daily", "02:30", timezone="Europe/Berlin")

    gap_day = next_due_after(timing, utc(2024, 3, 30, 12, 0))
    next_day = next_due_after(timing, gap_day)

    assert gap_day == utc(2024, 3, 31, 1, 30)
    assert local(gap_day, "Europe/Berlin") == "2024-03-31T03:30:00+02:00"
    assert next_day == utc(2024, 4, 1, 0, 30)
    assert local(next_day, "Europe/Berlin") == "2024-04-01T02:30:00+02:00"


def test_spring_gap_new_york():
    # On 10 March 2024 New York's clocks jump from 02:00 to 03:00.
    timing = Timing("daily", "02:30", timezone="America/New_York")

    gap_day = next_due_after(timing, utc(2024, 3, 9, 12, 0))

    assert gap_day == utc(2024, 3, 10, 7, 30)
    assert local(gap_day, "America/New_York") == "2024-03-10T03:30:00-04:00"
    assert next_due_after(timing, gap_day) == utc(2024, 3, 11, 6, 30)


def test_fall_back_repeat_berlin_runs_once():
    # On 27 October 2024 Berlin's 02:00-03:00 happens twice (CEST, then CET).
    timing = Timing("daily", "02:30", timezone="Europe/Berlin")

    first = next_due_after(timing, utc(2024, 10, 26, 12, 0))
    following = next_due_after(timing, first)

    assert first == utc(2024, 10, 27, 0, 30)
    assert local(first, "Europe/Berlin") == "2024-10-27T02:30:00+02:00"
    # The second 02:30 (01:30 UTC) is skipped: the next run is the next day.
    assert following == utc(2024, 10, 28, 1, 30)


def test_fall_back_repeat_new_york_runs_once():
    # On 3 November 2024 New York's 01:00-02:00 happens twice (EDT, then EST).
    timing = Timing("daily", "01:30", timezone="America/New_York")

    first = next_due_after(timing, utc(2024, 11, 2, 12, 0))
    following = next_due_after(timing, first)

    assert first == utc(2024, 11, 3, 5, 30)
    assert local(first, "America/New_York") == "2024-11-03T01:30:00-04:00"
    assert following == utc(2024, 11, 4, 6, 30)


def test_hourly_cron_runs_in_both_repeated_hours():
    timing = Timing("cron", cron="30 * * * *", timezone="America/New_York")

    times = upcoming_due_times(timing, utc(2024, 11, 3, 3, 0), 5)

    assert times == [
        utc(2024, 11, 3, 3, 30),
        utc(2024, 11, 3, 4, 30),
        utc(2024, 11, 3, 5, 30),  # 01:30 EDT
        utc(2024, 11, 3, 6, 30),  # 01:30 EST, the repeated hour
        utc(2024, 11, 3, 7, 30),
    ]


def test_hourly_cron_over_spring_gap_has_no_duplicates():
    timing = Timing("cron", cron="30 * * * *", timezone="Europe/Berlin")

    times = upcoming_due_times(timing, utc(2024, 3, 30, 23, 0), 4)

    assert times == [
        utc(2024, 3, 30, 23, 30),
        utc(2024, 3, 31, 0, 30),
        utc(2024, 3, 31, 1, 30),  # 03:30 CEST: 02:30 does not exist
        utc(2024, 3, 31, 2, 30),
    ]
    gaps = {later - earlier for earlier, later in itertools.pairwise(times)}
    assert gaps == {timedelta(hours=1)}


def test_weekdays_skip_the_weekend():
    timing = Timing("weekdays", "08:15", timezone="Europe/London")
    friday_evening = utc(2024, 6, 7, 18, 0)

    times = upcoming_due_times(timing, friday_evening, 6)

    assert [time.date().isoformat() for time in times] == [
        "2024-06-10",
        "2024-06-11",
        "2024-06-12",
        "2024-06-13",
        "2024-06-14",
        "2024-06-17",
    ]
    assert all(time.hour == 7 and time.minute == 15 for time in times)


def test_weekly_on_sunday():
    timing = Timing("weekly", "18:00", weekday=6, timezone="Asia/Tokyo")

    times = upcoming_due_times(timing, utc(2024, 6, 5, 0, 0), 2)

    assert times == [utc(2024, 6, 9, 9, 0), utc(2024, 6, 16, 9, 0)]
    assert timing.describe() == "Sundays at 18:00 (Asia/Tokyo)"


def test_cron_expression_in_a_time_zone():
    timing = Timing("cron", cron="*/20 9-10 * * 1-5", timezone="Asia/Kolkata")

    times = upcoming_due_times(timing, utc(2024, 6, 7, 3, 0), 7)

    # Friday 09:00-10:40 India time (UTC+5:30), then Monday.
    assert times == [
        utc(2024, 6, 7, 3, 30),
        utc(2024, 6, 7, 3, 50),
        utc(2024, 6, 7, 4, 10),
        utc(2024, 6, 7, 4, 30),
        utc(2024, 6, 7, 4, 50),
        utc(2024, 6, 7, 5, 10),
        utc(2024, 6, 10, 3, 30),
    ]


def test_due_times_between_counts_missed_runs():
    timing = Timing("daily", "09:00", timezone="Europe/Berlin")

    due = due_times_between(timing, utc(2024, 6, 3, 6, 0), utc(2024, 6, 6, 12, 0))

    assert due.latest == utc(2024, 6, 6, 7, 0)
    assert due.count == 4
    assert not due.capped


def test_due_times_between_none_due():
    timing = Timing("daily", "09:00", timezone="UTC")

    due = due_times_between(timing, utc(2024, 6, 3, 9, 0), utc(2024, 6, 4, 8, 59))

    assert due.latest is None
    assert due.count == 0


def test_due_times_between_caps_the_count():
    timing = Timing("cron", cron="* * * * *", timezone="UTC")

    due = due_times_between(timing, utc(2024, 1, 1), utc(2024, 1, 10, 12, 34, 56))

    assert due.capped
    assert due.count == MAX_COUNTED_DUE_TIMES
    assert due.latest == utc(2024, 1, 10, 12, 34)


def test_latest_due_at_or_before_over_fall_back():
    timing = Timing("cron", cron="30 * * * *", timezone="America/New_York")

    latest = latest_due_at_or_before(
        timing, utc(2024, 11, 3, 6, 45), after=utc(2024, 11, 3, 0, 0)
    )

    assert latest == utc(2024, 11, 3, 6, 30)


@pytest.mark.parametrize(
    ("timing", "field", "words"),
    [
        (Timing("daily", "25:00"), "at_time", "HH:MM"),
        (Timing("daily", "9am"), "at_time", "HH:MM"),
        (Timing("daily", "09:00", timezone="Mars/Olympus"), "timezone", "IANA"),
        (Timing("weekly", "09:00", weekday=7), "weekday", "Monday"),
        (Timing("cron", cron="61 * * * *"), "cron", "five fields"),
        (Timing("cron", cron="0 9 * *"), "cron", "five fields"),
        (Timing("cron", cron="0 0 30 2 *"), "cron", "never matches"),
        (Timing("hourly", "09:00"), "frequency", "choose one of"),  # type: ignore[arg-type]
    ],
)
def test_validate_timing_rejects(timing: Timing, field: str, words: str):
    with pytest.raises(InvalidRequest) as caught:
        validate_timing(timing)

    assert caught.value.field == field
    assert words in caught.value.message


def test_validate_timing_tidies():
    tidy = validate_timing(Timing("daily", " 7:05 ", timezone=" Europe/Berlin "))
    cron = validate_timing(Timing("cron", cron="  0   9 * * 1-5 "))

    assert tidy.at_time == "07:05"
    assert tidy.timezone == "Europe/Berlin"
    assert cron.cron == "0 9 * * 1-5"
    assert cron.describe() == "Cron '0 9 * * 1-5' (UTC)"
