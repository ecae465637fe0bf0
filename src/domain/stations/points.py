"""Charging points (numbered from 1) and their sockets (at most 4 a point).

Every change locks the station row first, so concurrent changes to one station's points
and sockets run one after the other (numbers stay unique, the socket limit holds).
Callers own the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from tortoise.expressions import Subquery

from domain import rows
from domain.errors import (
    AMPERAGE_RANGE,
    NOT_A_NUMBER,
    POINT_EXISTS,
    POINT_NOT_FOUND,
    POINT_NUMBER,
    POWER_DECIMALS,
    POWER_RANGE,
    SOCKET_NOT_FOUND,
    TOO_MANY_SOCKETS,
    VOLTAGE_RANGE,
    DomainError,
    ErrorCode,
    NotFound,
)
from domain.principal import Principal
from domain.scope import visible_stations
from domain.stations import service as stations
from domain.stations.models import (
    ChargingPoint,
    ChargingStation,
    PowerType,
    Socket,
    SocketFormat,
    SocketType,
)

MAX_SOCKETS = 4
MAX_POINT_NUMBER = 1000
MAX_POWER_KW = Decimal(1000)
MAX_VOLTAGE = 1500
MAX_AMPERAGE = 1000


@dataclass(frozen=True)
class SocketData:
    type: SocketType
    power_type: PowerType
    max_power_kw: Decimal
    max_voltage: int
    max_amperage: int
    format: SocketFormat = SocketFormat.SOCKET


@dataclass(frozen=True)
class SocketChanges:
    """None leaves a setting as it is."""

    type: SocketType | None = None
    power_type: PowerType | None = None
    max_power_kw: Decimal | None = None
    max_voltage: int | None = None
    max_amperage: int | None = None
    format: SocketFormat | None = None


# --- checks -----------------------------------------------------------------------------


def check_power(value: Decimal, field: str = "maxPowerKw") -> Decimal:
    try:
        power = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise NOT_A_NUMBER.error(field) from None
    if not power.is_finite():
        raise NOT_A_NUMBER.error(field)
    if not 0 < power <= MAX_POWER_KW:
        raise POWER_RANGE.error(field)
    if power != power.quantize(Decimal("0.01")):
        raise POWER_DECIMALS.error(field)
    return power.quantize(Decimal("0.01"))


def _check_range(value: int, low: int, high: int, message: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DomainError(ErrorCode.INVALID_INPUT, message, field)
    return value


def check_socket(data: SocketData) -> SocketData:
    return replace(
        data,
        type=SocketType(data.type),
        power_type=PowerType(data.power_type),
        format=SocketFormat(data.format),
        max_power_kw=check_power(data.max_power_kw),
        max_voltage=_check_range(data.max_voltage, 1, MAX_VOLTAGE, VOLTAGE_RANGE, "maxVoltage"),
        max_amperage=_check_range(
            data.max_amperage, 1, MAX_AMPERAGE, AMPERAGE_RANGE, "maxAmperage"
        ),
    )


def _lowest_free(taken: set[int]) -> int:
    number = 1
    while number in taken:
        number += 1
    return number


# --- lookups ------------------------------------------------------------------------------


def _visible_station_ids(principal: Principal) -> Subquery:
    return Subquery(visible_stations(principal).values("id"))


async def _locked_station_of_point(
    principal: Principal, point_id: str | uuid.UUID, field: str
) -> tuple[ChargingStation, ChargingPoint]:
    query = ChargingPoint.filter(station_id__in=_visible_station_ids(principal))
    point = await rows.require(query, point_id, message=POINT_NOT_FOUND, field=field)
    try:
        station = await stations.lock(principal, point.station_id, field)  # type: ignore[arg-type]
    except NotFound:
        raise POINT_NOT_FOUND.error(field) from None
    locked = await ChargingPoint.get_or_none(id=point.id, station_id=station.id)
    if locked is None:  # removed while we waited for the lock
        raise POINT_NOT_FOUND.error(field)
    return station, locked


async def lock_point(
    principal: Principal, point_id: str | uuid.UUID, field: str = "pointId"
) -> ChargingPoint:
    """A point of a live station in scope, its station locked until the transaction ends."""
    _, point = await _locked_station_of_point(principal, point_id, field)
    return point


async def _locked_socket(principal: Principal, socket_id: str | uuid.UUID) -> Socket:
    query = Socket.filter(point__station_id__in=_visible_station_ids(principal))
    socket = await rows.require(query, socket_id, message=SOCKET_NOT_FOUND, field="id")
    try:
        await _locked_station_of_point(principal, socket.point_id, "id")  # type: ignore[arg-type]
    except NotFound:
        raise SOCKET_NOT_FOUND.error("id") from None
    locked = await Socket.get_or_none(id=socket.id)
    if locked is None:
        raise SOCKET_NOT_FOUND.error("id")
    return locked


async def get_points(
    *, principal: Principal, point_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ChargingPoint]:
    """Points of visible stations by id, in one statement (dataloaders)."""
    rows = await ChargingPoint.filter(
        id__in=point_ids, station_id__in=_visible_station_ids(principal)
    )
    return {row.id: row for row in rows}


async def points_of(station_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ChargingPoint]]:
    """The points of each station (already known to be visible), by number; one statement."""
    out: dict[uuid.UUID, list[ChargingPoint]] = {sid: [] for sid in station_ids}
    for row in await ChargingPoint.filter(station_id__in=station_ids).order_by("number"):
        out[row.station_id].append(row)  # type: ignore[index]
    return out


async def sockets_of(point_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Socket]]:
    """The sockets of each point (already known to be visible), by number; one statement."""
    out: dict[uuid.UUID, list[Socket]] = {pid: [] for pid in point_ids}
    for row in await Socket.filter(point_id__in=point_ids).order_by("number"):
        out[row.point_id].append(row)  # type: ignore[index]
    return out


# --- points -------------------------------------------------------------------------------


async def add_point(
    *, principal: Principal, station_id: str, number: int | None = None
) -> ChargingPoint:
    """A new point: the given number, or the lowest number not in use (from 1)."""
    station = await stations.lock(principal, station_id, "stationId")
    taken = set(await ChargingPoint.filter(station_id=station.id).values_list("number", flat=True))
    if number is None:
        number = _lowest_free(taken)  # type: ignore[arg-type]
    elif isinstance(number, bool) or not 1 <= number <= MAX_POINT_NUMBER:
        raise POINT_NUMBER.error("number")
    elif number in taken:
        raise POINT_EXISTS.error("number")
    return await ChargingPoint.create(station=station, number=number)


async def remove_point(*, principal: Principal, point_id: str) -> ChargingPoint:
    """Remove a point with its sockets; its pooled EVSE id becomes free again."""
    point = await lock_point(principal, point_id, "id")
    await point.delete()  # sockets cascade; the pool row's point is set to null
    return point


# --- sockets ------------------------------------------------------------------------------


async def add_socket(*, principal: Principal, point_id: str, data: SocketData) -> Socket:
    data = check_socket(data)
    point = await lock_point(principal, point_id)
    taken = set(await Socket.filter(point_id=point.id).values_list("number", flat=True))
    if len(taken) >= MAX_SOCKETS:
        raise TOO_MANY_SOCKETS.error("pointId")
    return await Socket.create(
        point=point,
        number=_lowest_free(taken),  # type: ignore[arg-type]
        type=data.type,
        format=data.format,
        power_type=data.power_type,
        max_power_kw=data.max_power_kw,
        max_voltage=data.max_voltage,
        max_amperage=data.max_amperage,
    )


async def update_socket(*, principal: Principal, socket_id: str, changes: SocketChanges) -> Socket:
    socket = await _locked_socket(principal, socket_id)
    merged = check_socket(
        SocketData(
            type=changes.type or socket.type,
            power_type=changes.power_type or socket.power_type,
            format=changes.format or socket.format,
            max_power_kw=(
                socket.max_power_kw if changes.max_power_kw is None else changes.max_power_kw
            ),
            max_voltage=socket.max_voltage if changes.max_voltage is None else changes.max_voltage,
            max_amperage=(
                socket.max_amperage if changes.max_amperage is None else changes.max_amperage
            ),
        )
    )
    socket.type = merged.type
    socket.power_type = merged.power_type
    socket.format = merged.format
    socket.max_power_kw = merged.max_power_kw
    socket.max_voltage = merged.max_voltage
    socket.max_amperage = merged.max_amperage
    await socket.save()
    return socket


async def remove_socket(*, principal: Principal, socket_id: str) -> Socket:
    socket = await _locked_socket(principal, socket_id)
    await socket.delete()
    return socket
