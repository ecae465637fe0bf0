"""Reading what stations reported: the event feed (seed 003, "View charging station events")
one station and one day at a time, and the charging points' live status.

A day is a calendar day in the organisation's time zone (IANA, default UTC), so a day
across a daylight-saving change has 23 or 25 hours."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tortoise.expressions import Q

from domain import rows
from domain.errors import (
    DAY_RANGE,
    SEARCH_TOO_LONG,
    UNKNOWN_ERROR_CODE,
    UNKNOWN_STATUS,
    DomainError,
    ErrorCode,
    NotFound,
)
from domain.events.models import PointStatus, StationEvent
from domain.pagination import Page, PageRequest
from domain.principal import Principal
from domain.scope import parse_id, visible_stations
from domain.stations.service import STATION_NOT_FOUND

# OCPP 1.6 ChargePointErrorCode (2.0.1 reports no error code: stored as NoError).
ERROR_CODES = (
    "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature",
    "InternalError", "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure",
    "OverVoltage", "PowerMeterFailure", "PowerSwitchFailure", "ReaderFailure", "ResetFailure",
    "UnderVoltage", "WeakSignal",
)  # fmt: skip
# Statuses an event can carry: OCPP 1.6 ChargePointStatus (and 2.0.1's Occupied), then
# FirmwareStatus and DiagnosticsStatus (kind firmware / diagnostics).
STATUSES = (
    "Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing",
    "Reserved", "Unavailable", "Faulted", "Occupied",
    "Downloaded", "DownloadFailed", "Downloading", "DownloadScheduled", "DownloadPaused",
    "Idle", "InstallationFailed", "Installing", "Installed", "InstallRebooting",
    "InstallScheduled", "InstallVerificationFailed", "InvalidSignature", "SignatureVerified",
    "Uploaded", "UploadFailed", "Uploading",
)  # fmt: skip

FIRST_YEAR, LAST_YEAR = 1970, 9998
SEARCH_MAX = 100


class EventSort(Enum):
    OCCURRED_AT = "occurred_at"
    POINT = "connector_id"


@dataclass(frozen=True)
class EventFilter:
    day: date | None = None  # in the organisation's time zone; None: today there
    error_code: str | None = None
    status: str | None = None
    search: str | None = None
    sort: EventSort = EventSort.OCCURRED_AT
    descending: bool = True  # newest first, as seed 003 shows the feed


@dataclass(frozen=True)
class EventDay:
    """One day of a station's feed, with the days either side for paging through days."""

    day: date
    previous_day: date
    next_day: date
    time_zone: str
    page: Page[StationEvent]


def zone(name: str | None) -> ZoneInfo:
    """The organisation's time zone; UTC when unset or not a zone this system knows."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local calendar day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def _choice(value: str | None, known: tuple[str, ...], message: str, field: str) -> str | None:
    """A filter value matched to the known spelling (case does not matter); blank: none."""
    if value is None or not value.strip():
        return None
    by_key = {k.lower(): k for k in known}
    found = by_key.get(value.strip().lower())
    if found is None:
        raise DomainError(ErrorCode.INVALID_INPUT, message, field)
    return found


def _check(filter: EventFilter, page: PageRequest) -> tuple[str | None, str | None, str]:
    page.check()
    error_code = _choice(filter.error_code, ERROR_CODES, UNKNOWN_ERROR_CODE, "errorCode")
    status = _choice(filter.status, STATUSES, UNKNOWN_STATUS, "status")
    search = (filter.search or "").strip()
    if len(search) > SEARCH_MAX:
        raise SEARCH_TOO_LONG.error("search", max_length=SEARCH_MAX)
    if filter.day is not None and not FIRST_YEAR <= filter.day.year <= LAST_YEAR:
        raise DAY_RANGE.error("day", first=FIRST_YEAR, last=LAST_YEAR)
    return error_code, status, search


async def _station_zone(principal: Principal, station_id: str | uuid.UUID) -> tuple[uuid.UUID, str]:
    """The station (in scope, else like a missing one) and its organisation's time zone."""
    sid = parse_id(station_id)
    if sid is None:
        raise NotFound(STATION_NOT_FOUND, "stationId")
    query = visible_stations(principal).filter(id=sid)
    found = await query.values_list("organisation__timezone", flat=True)
    if not found:
        raise NotFound(STATION_NOT_FOUND, "stationId")
    return sid, str(found[0] or "UTC")


async def station_events(
    *,
    principal: Principal,
    station_id: str | uuid.UUID,
    filter: EventFilter,
    page: PageRequest,
    now: datetime | None = None,
) -> EventDay:
    """One day of a station's events, filtered by OCPP error type, status and text."""
    error_code, status, search = _check(filter, page)
    sid, zone_name = await _station_zone(principal, station_id)
    tz = zone(zone_name)
    day = filter.day or (now or datetime.now(UTC)).astimezone(tz).date()
    start, end = day_bounds(day, tz)
    query = StationEvent.filter(station_id=sid, occurred_at__gte=start, occurred_at__lt=end)
    if error_code is not None:
        query = query.filter(error_code=error_code)
    if status is not None:
        query = query.filter(status=status)
    if search:
        query = query.filter(
            Q(info__icontains=search)
            | Q(vendor_error_code__icontains=search)
            | Q(vendor_id__icontains=search)
            | Q(status__icontains=search)
            | Q(error_code__icontains=search)
        )
    columns = [filter.sort.value]
    if filter.sort != EventSort.OCCURRED_AT:
        columns.append("occurred_at")
    columns.append("received_at")
    result = await rows.sorted_page(query, page, columns, descending=filter.descending)
    return EventDay(
        day=day,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        time_zone=tz.key,
        page=result,
    )


async def point_statuses(point_ids: list[uuid.UUID]) -> dict[uuid.UUID, PointStatus]:
    """The latest reported status of each point (already known to be visible) that has
    one; one statement (dataloaders)."""
    rows = await PointStatus.filter(point_id__in=point_ids)
    return {row.point_id: row for row in rows}  # type: ignore[misc]
