"""A station's connection: may this websocket connect as the station (admission, security
profile 1), and which server node holds its websocket (presence)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from domain import db
from domain.errors import DomainError
from domain.organisations.models import Organisation
from domain.organisations.service import SLUG_RE
from domain.scope import organisation_rows
from domain.stations.models import ChargingStation, StationState
from domain.stations.service import IDENTIFIER_RE, record_discovered, verify_station_password


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Admission(StrEnum):
    ACCEPTED = "accepted"
    UNAUTHORIZED = "unauthorized"  # wrong or missing password: HTTP 401
    FORBIDDEN = "forbidden"  # no password set, and the organisation requires one
    NOT_FOUND = "not_found"  # no such organisation, or an identifier that cannot be one


@dataclass(frozen=True)
class Admitted:
    outcome: Admission
    station: ChargingStation | None = None


def well_formed(*, organisation_slug: str, identifier: str) -> bool:
    """Whether the websocket's path can name a station at all (checked before anything is
    looked up: a NUL byte, a slash or non-ASCII never reaches the database)."""
    return bool(SLUG_RE.fullmatch(organisation_slug) and IDENTIFIER_RE.fullmatch(identifier))


async def admit(*, organisation_slug: str, identifier: str, password: str | None) -> Admitted:
    """May this websocket connect as this station? An unknown identifier becomes a
    DISCOVERED station (call inside a transaction) that may connect without a password
    and waits for adoption; a known one must present its password."""
    if not well_formed(organisation_slug=organisation_slug, identifier=identifier):
        return Admitted(Admission.NOT_FOUND)
    org = await Organisation.get_or_none(slug=organisation_slug)
    if org is None:
        return Admitted(Admission.NOT_FOUND)
    station = (
        await organisation_rows(ChargingStation, org.id)
        .filter(identifier=identifier)
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
        # Refused unless the organisation allows unauthenticated stations; a discovered
        # station has no password to present until it is adopted.
        if station.state == StationState.DISCOVERED or org.allow_unauthenticated_stations:
            return Admitted(Admission.ACCEPTED, station)
        return Admitted(Admission.FORBIDDEN)
    verified = await verify_station_password(
        organisation_slug=organisation_slug, identifier=identifier, password=password or ""
    )
    if password is None or verified is None:
        return Admitted(Admission.UNAUTHORIZED)
    return Admitted(Admission.ACCEPTED, verified)


async def record_connected(*, station_id: uuid.UUID, node: str, at: datetime) -> None:
    await ChargingStation.filter(id=station_id).update(
        connected_node=node[:64], connected_at=_utc(at), last_seen_at=_utc(at)
    )


async def record_disconnected(*, station_id: uuid.UUID, node: str) -> bool:
    """Offline, unless another node holds the station by now; True when it was ours."""
    updated = await ChargingStation.filter(id=station_id, connected_node=node[:64]).update(
        connected_node=None, connected_at=None
    )
    return bool(updated)


async def reassert_presence(*, station_ids: list[uuid.UUID], node: str) -> int:
    """Stations this node still holds but that were marked offline (it missed its lease)."""
    if not station_ids:
        return 0
    # One array parameter: the query builder would spell out thousands of ids every round.
    return await db.execute(
        "UPDATE charging_station SET connected_node = $2, connected_at = $3"
        " WHERE id = ANY($1::uuid[]) AND connected_node IS NULL",
        station_ids,
        node[:64],
        datetime.now(UTC),
    )


async def nodes_holding_stations() -> list[str]:
    rows = (
        await ChargingStation.filter(connected_node__isnull=False)
        .distinct()
        .values_list("connected_node", flat=True)
    )
    return [str(r) for r in rows]


async def forget_nodes(nodes: list[str]) -> list[uuid.UUID]:
    """Stations of nodes that stopped without saying so are offline; returns them."""
    if not nodes:
        return []
    ids = await ChargingStation.filter(connected_node__in=nodes).values_list("id", flat=True)
    await ChargingStation.filter(id__in=list(ids), connected_node__in=nodes).update(
        connected_node=None, connected_at=None
    )
    return [uuid.UUID(str(i)) for i in ids]
