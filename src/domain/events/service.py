"""What a station tells us over OCPP, in version-neutral terms. Services never commit:
the OCPP endpoint runs each call in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from domain import db
from domain.commands.service import note_progress
from domain.events.models import DataTransferRecord, EventKind, PointStatus, StationEvent
from domain.stations.models import ChargingPoint, ChargingStation, StationState


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class BootInfo:
    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None


async def record_boot(*, station_id: uuid.UUID, boot: BootInfo, at: datetime) -> bool:
    """Store what the station says it is; True when it is in use (Accepted), False while
    it waits for adoption (Pending)."""
    station = await ChargingStation.select_for_update().get(id=station_id)
    station.vendor = boot.vendor
    station.model = boot.model
    station.serial_number = boot.serial_number or ""
    station.firmware_version = boot.firmware_version or ""
    station.last_seen_at = _utc(at)
    await station.save(
        update_fields=["vendor", "model", "serial_number", "firmware_version", "last_seen_at"]
    )
    return station.state == StationState.ACTIVE


async def station_state(*, station_id: uuid.UUID) -> StationState | None:
    station = await ChargingStation.get_or_none(id=station_id).only("id", "state")
    return None if station is None else station.state


async def record_seen(*, station_id: uuid.UUID, at: datetime) -> None:
    """The station is alive (Heartbeat)."""
    await ChargingStation.filter(id=station_id).update(last_seen_at=_utc(at))


async def record_seen_many(seen: dict[uuid.UUID, datetime]) -> None:
    """Many stations are alive: each one's last-seen time, in one statement (never moved
    back by an older report)."""
    if not seen:
        return
    await db.execute(seen_update_sql(1), *seen_parameters(seen))


def seen_update_sql(first: int) -> str:
    """The UPDATE of `record_seen_many`, its two parameters numbered from `first` (to be
    part of a larger statement)."""
    ids, ats = f"${first}", f"${first + 1}"
    return (
        "UPDATE charging_station AS c SET last_seen_at = latest.at"
        f" FROM unnest({ids}::uuid[], {ats}::timestamptz[]) AS latest(id, at)"
        " WHERE c.id = latest.id AND (c.last_seen_at IS NULL OR c.last_seen_at < latest.at)"
    )


def seen_parameters(seen: dict[uuid.UUID, datetime]) -> tuple[list[uuid.UUID], list[datetime]]:
    return list(seen), [_utc(at) for at in seen.values()]


@dataclass(frozen=True)
class StatusReport:
    connector_id: int  # 0: the whole station
    status: str
    error_code: str
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    occurred_at: datetime | None = None  # as the station says; None: when received


async def record_status(
    *, station_id: uuid.UUID, report: StatusReport, received_at: datetime
) -> StationEvent:
    """Add the report to the event feed at its own time (a retry of the same report is
    stored once) and make it the point's live status unless a newer one is known."""
    received = _utc(received_at)
    occurred = _utc(report.occurred_at) if report.occurred_at else received
    same = await StationEvent.filter(
        station_id=station_id,
        connector_id=report.connector_id,
        status=report.status,
        error_code=report.error_code,
        occurred_at=occurred,
    ).first()
    event = same or await StationEvent.create(
        station_id=station_id,
        connector_id=report.connector_id,
        status=report.status,
        error_code=report.error_code,
        info=report.info or "",
        vendor_id=report.vendor_id or "",
        vendor_error_code=report.vendor_error_code or "",
        occurred_at=occurred,
        received_at=received,
    )
    await record_seen(station_id=station_id, at=received)
    point = await ChargingPoint.get_or_none(station_id=station_id, number=report.connector_id)
    if point is not None:
        await _set_point_status(point, report, occurred)
    return event


async def _set_point_status(point: ChargingPoint, report: StatusReport, at: datetime) -> None:
    current = await PointStatus.select_for_update().get_or_none(point_id=point.id)
    if current is None:
        await PointStatus.create(
            point=point, status=report.status, error_code=report.error_code, updated_at=at
        )
    elif current.updated_at <= at:
        current.status, current.error_code, current.updated_at = (
            report.status,
            report.error_code,
            at,
        )
        await current.save(update_fields=["status", "error_code", "updated_at"])


# --- firmware, diagnostics, vendor data ------------------------------------------------------

FIRMWARE_COMMANDS = ("UpdateFirmware",)
DIAGNOSTICS_COMMANDS = ("GetDiagnostics",)
IDLE = "Idle"  # nothing in progress: the answer to a TriggerMessage, not news
UNKNOWN_VENDOR = "UnknownVendorId"


async def record_transfer_status(
    *, station_id: uuid.UUID, kind: EventKind, status: str, at: datetime
) -> None:
    """A Firmware- or DiagnosticsStatusNotification: kept on the station, in the event feed
    (whole station), and on the command that caused it."""
    at = _utc(at)
    column = "firmware_status" if kind == EventKind.FIRMWARE else "diagnostics_status"
    await ChargingStation.filter(id=station_id).update(**{column: status[:32]}, last_seen_at=at)
    await StationEvent.create(
        station_id=station_id,
        kind=kind,
        connector_id=0,
        status=status[:32],
        error_code="NoError",
        info=f"{kind.value.capitalize()} status: {status}"[:50],
        occurred_at=at,
        received_at=at,
    )
    if status != IDLE:
        actions = FIRMWARE_COMMANDS if kind == EventKind.FIRMWARE else DIAGNOSTICS_COMMANDS
        await note_progress(station_id=station_id, actions=actions, status=status, at=at)


async def record_data_transfer(
    *, station_id: uuid.UUID, vendor_id: str, message_id: str | None, data: str | None,
    at: datetime,
) -> str:  # fmt: skip
    """Keep a DataTransfer; no vendor extension is handled, so the answer is UnknownVendorId."""
    await DataTransferRecord.create(
        station_id=station_id,
        vendor_id=vendor_id,
        message_id=message_id,
        data=data,
        status=UNKNOWN_VENDOR,
        received_at=_utc(at),
    )
    return UNKNOWN_VENDOR
