"""When schedules run, in the organisation's time zone, where wall clocks are ambiguous."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.schedules.timing import Schedule, ScheduleKind, instant, next_run, runs_between

HELSINKI = ZoneInfo("Europe/Helsinki")  # UTC+2, UTC+3 in summer; changes at 03:00/04:00 local


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def daily(hour: int, minute: int = 0) -> Schedule:
    return Schedule(ScheduleKind.DAILY, time_of_day=time(hour, minute))


def test_an_ordinary_time_is_the_zones_offset_away():
    # The seed's own example, the right way round: 13:00 at UTC+2 is 11:00 UTC.
    assert instant(datetime(2026, 1, 15, 13, 0), HELSINKI) == utc(2026, 1, 15, 11, 0)
    assert instant(datetime(2026, 7, 15, 13, 0), HELSINKI) == utc(2026, 7, 15, 10, 0)


def test_a_daily_0230_task_in_helsinki_across_both_changes():
    """02:30 exists every day in Helsinki (its clocks change at 03:00 and 04:00): every run
    is at 02:30 local, its UTC time moving by an hour on the change days."""
    task = daily(2, 30)
    spring = runs_between(task, after=utc(2026, 3, 27), until=utc(2026, 3, 31), tz=HELSINKI)
    assert [r.astimezone(HELSINKI).time() for r in spring] == [time(2, 30)] * 5
    # The change is at 03:00 on 29 March: that day's 02:30 is still at UTC+2.
    assert spring == [utc(2026, 3, 27, 0, 30), utc(2026, 3, 28, 0, 30), utc(2026, 3, 29, 0, 30),
                      utc(2026, 3, 29, 23, 30), utc(2026, 3, 30, 23, 30)]  # fmt: skip
    autumn = runs_between(task, after=utc(2026, 10, 23), until=utc(2026, 10, 27, 1), tz=HELSINKI)
    assert [r.astimezone(HELSINKI).time() for r in autumn] == [time(2, 30)] * 4
    assert autumn == [utc(2026, 10, 23, 23, 30), utc(2026, 10, 24, 23, 30),
                      utc(2026, 10, 26, 0, 30), utc(2026, 10, 27, 0, 30)]  # fmt: skip


def test_a_skipped_time_runs_at_the_first_valid_instant_after_it():
    # 29 March 2026 in Helsinki: 03:00 local is followed by 04:00 (01:00 UTC).
    task = daily(3, 30)
    runs = runs_between(task, after=utc(2026, 3, 28), until=utc(2026, 3, 31), tz=HELSINKI)
    assert runs == [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]
    assert runs[1].astimezone(HELSINKI).time() == time(4, 0)


def test_a_repeated_time_runs_once_at_its_first():
    # 25 October 2026 in Helsinki: 03:00-04:00 local happens twice (00:00-02:00 UTC).
    task = daily(3, 30)
    runs = runs_between(task, after=utc(2026, 10, 24), until=utc(2026, 10, 27), tz=HELSINKI)
    assert runs == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]


def test_a_monthly_day_31_task_runs_on_the_last_day_of_shorter_months():
    task = Schedule(ScheduleKind.MONTHLY, time_of_day=time(12, 0), day_of_month=31)
    runs = runs_between(task, after=utc(2027, 1, 1), until=utc(2027, 5, 1), tz=UTC)  # type: ignore[arg-type]
    assert [r.date().isoformat() for r in runs] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30",
    ]  # fmt: skip
    leap = next_run(task, after=utc(2028, 2, 1), tz=HELSINKI)
    assert leap == utc(2028, 2, 29, 10, 0)


def test_weekly_runs_on_the_chosen_days_only():
    weekdays = Schedule(ScheduleKind.WEEKLY, time_of_day=time(0, 0), weekdays=frozenset({0, 4}))
    runs = runs_between(weekdays, after=utc(2026, 12, 6), until=utc(2026, 12, 20), tz=HELSINKI)
    assert [r.astimezone(HELSINKI).strftime("%a %H:%M") for r in runs] == [
        "Mon 00:00", "Fri 00:00", "Mon 00:00", "Fri 00:00",
    ]  # fmt: skip
    assert next_run(Schedule(ScheduleKind.WEEKLY), after=utc(2026, 1, 1), tz=HELSINKI) is None


def test_a_one_shot_runs_once_and_not_in_the_past():
    once = Schedule(ScheduleKind.ONCE, at=datetime(2027, 6, 1, 12, 0))
    assert next_run(once, after=utc(2027, 1, 1), tz=HELSINKI) == utc(2027, 6, 1, 9, 0)
    assert next_run(once, after=utc(2027, 6, 1, 9, 0), tz=HELSINKI) is None


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_every_instant_has_the_wall_time_asked_unless_it_does_not_exist(zone: str):
    """Half-hour changes (Lord Howe) and odd offsets (Kathmandu) too."""
    tz = ZoneInfo(zone)
    task = daily(2, 15)
    runs = runs_between(task, after=utc(2026, 1, 1), until=utc(2027, 1, 1), tz=tz)
    assert len(runs) == 365
    assert all(b > a for a, b in itertools.pairwise(runs))
    odd = [r for r in runs if r.astimezone(tz).time() != time(2, 15)]
    assert len(odd) <= 1  # the spring change's day, if 02:15 is skipped there
