"""What a station tells us over OCPP, in version-neutral terms. Services never commit:
the OCPP endpoint runs each call in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain import db
from domain.errors import DomainError
from domain.ocpp.models import PointStatus, StationEvent
from domain.organisations.models import Organisation
from domain.stations.models import ChargingPoint, ChargingStation, StationState
from domain.stations.service import record_discovered, verify_station_password


class Admission(StrEnum):
    ACCEPTED = "accepted"
    UNAUTHORIZED = "unauthorized"  # wrong or missing password: HTTP 401
    FORBIDDEN = "forbidden"  # no password set and unauthenticated stations not allowed
    NOT_FOUND = "not_found"  # no such organisation, or an identifier that cannot be one


@dataclass(frozen=True)
class Admitted:
    outcome: Admission
    station: ChargingStation | None = None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


async def admit(*, organisation_slug: str, identifier: str, password: str | None) -> Admitted:
    """May this websocket connect as this station? An unknown identifier becomes a
    DISCOVERED station (call inside a transaction) that may connect without a password
    and waits for adoption; a known one must present its password."""
    org = await Organisation.get_or_none(slug=organisation_slug)
    if org is None:
        return Admitted(Admission.NOT_FOUND)
    station = (
        await ChargingStation.filter(organisation_id=org.id, identifier=identifier)
        .exclude(state=StationState.ORPHAN)
        .first()
    )
    if station is None:
        try:
            station = await record_discovered(organisation_id=org.id, identifier=identifier)
        except DomainError:
            return Admitted(Admission.NOT_FOUND)
        return Admitted(Admission.ACCEPTED, station)
    if station.ocpp_password_hash is None:
        # Organisations cannot allow unauthenticated stations yet: refuse, except a
        # discovered station, which has no password to present until it is adopted.
        if station.state == StationState.DISCOVERED:
            return Admitted(Admission.ACCEPTED, station)
        return Admitted(Admission.FORBIDDEN)
    verified = await verify_station_password(
        organisation_slug=organisation_slug, identifier=identifier, password=password or ""
    )
    if password is None or verified is None:
        return Admitted(Admission.UNAUTHORIZED)
    return Admitted(Admission.ACCEPTED, verified)


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
    await db.execute(
        "UPDATE charging_station AS c SET last_seen_at = v.at"
        " FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, at)"
        " WHERE c.id = v.id AND (c.last_seen_at IS NULL OR c.last_seen_at < v.at)",
        list(seen),
        [_utc(at) for at in seen.values()],
    )


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
