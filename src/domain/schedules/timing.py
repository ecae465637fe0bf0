"""When a schedule runs: wall-clock times in the organisation's IANA time zone, as instants.

The rules where a wall clock is ambiguous (each has a test):
- a time a daylight-saving change skips (02:30 when clocks jump from 02:00 to 03:00) runs at
  the first valid instant after it: the moment of the change;
- a time a change repeats (02:30 twice when clocks go back) runs once, at the first of the two;
- a day of month past the month's end (31 in February) runs on the month's last day.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class ScheduleKind(StrEnum):
    MONTHLY = "monthly"  # a day of month and a time of day
    WEEKLY = "weekly"  # some days of the week and a time of day
    DAILY = "daily"  # a time of day
    ONCE = "once"  # a date and a time


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    time_of_day: time = time(0, 0)  # wall clock, recurring kinds
    day_of_month: int = 1  # MONTHLY, 1-31
    weekdays: frozenset[int] = frozenset()  # WEEKLY, 0 = Monday ... 6 = Sunday
    at: datetime | None = None  # ONCE: a naive wall-clock date and time


def instant(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `tz` (see the module's rules)."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first  # it exists (the first of two, when repeated)
    # Skipped: the instant of the change is the first whose wall clock is past `local`.
    # With fold=1 the offset after the change applies, which puts the instant before it.
    low, high = local.replace(tzinfo=tz, fold=1).astimezone(UTC), first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= local:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _day_of_month(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def _candidates(schedule: Schedule, start: date) -> list[datetime]:
    """Wall-clock runs of a recurring schedule from `start` on, enough to find the next."""
    at = schedule.time_of_day
    if schedule.kind == ScheduleKind.DAILY:
        return [datetime.combine(d, at) for d in _days(start, 3)]
    if schedule.kind == ScheduleKind.WEEKLY:
        days = [d for d in _days(start, 15) if d.weekday() in schedule.weekdays]
        return [datetime.combine(d, at) for d in days]
    months = [(start.year + (start.month - 1 + n) // 12, (start.month - 1 + n) % 12 + 1)
              for n in range(3)]  # fmt: skip
    return [datetime.combine(_day_of_month(y, m, schedule.day_of_month), at) for y, m in months]


def next_run(schedule: Schedule, *, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first run strictly after the instant `after`, in UTC; None when there is none
    (a one-shot in the past, a weekly schedule with no day)."""
    if schedule.kind == ScheduleKind.ONCE:
        if schedule.at is None:
            return None
        run = instant(schedule.at, tz)
        return run if run > after else None
    if schedule.kind == ScheduleKind.WEEKLY and not schedule.weekdays:
        return None
    local = after.astimezone(tz).date() - timedelta(days=1)  # a skipped time may come earlier
    if schedule.kind == ScheduleKind.MONTHLY:
        local = local.replace(day=1)
    runs = (instant(wall, tz) for wall in _candidates(schedule, local))
    return next((run for run in runs if run > after), None)


def runs_between(
    schedule: Schedule, *, after: datetime, until: datetime, tz: ZoneInfo
) -> list[datetime]:
    """Every run in (after, until], oldest first."""
    found: list[datetime] = []
    run = next_run(schedule, after=after, tz=tz)
    while run is not None and run <= until:
        found.append(run)
        run = next_run(schedule, after=run, tz=tz)
    return found
