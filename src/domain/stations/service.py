"""Charging stations: create, edit, delete (orphan), list; discovered stations and adoption;
the OCPP password. Callers own the transaction.

Identifiers are unique within an organisation among stations that are not orphans, in any
case: `DEPOT-01` and `depot-01` cannot both be live (the partial unique index
`uq_station_identifier_key` on the lower-cased identifier). Every path that gives a station
a live identifier (create, adopt, record_discovered) first takes a transaction-scoped
advisory lock on the organisation and the lower-cased identifier and then checks, so
concurrent attempts wait for each other and the loser gets the seed's message instead of
an integrity error. OCPP admission still looks stations up by their exact identifier: a
station connecting as `depot-01` while `DEPOT-01` is live is refused (not found) rather
than admitted as `DEPOT-01` or recorded as a second, discovered station.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from tortoise.expressions import Case, Q, When
from tortoise.functions import Lower
from tortoise.queryset import QuerySet

from domain import db, rows
from domain.errors import (
    COORDINATES_PAIR,
    INVALID_IDENTIFIER,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    NOT_A_NUMBER,
    STATION_EXISTS,
    STATION_NOT_FOUND,
    TARIFF_NOT_FOUND,
    TEXT_TOO_LONG,
    DomainError,
    ErrorCode,
    require_text,
)
from domain.groups.models import AccessPolicy
from domain.inputs import KEEP, Keep
from domain.operators.passwords import (
    hash_secret,
    is_fast_secret,
    verify_password_off_loop,
    verify_secret,
)
from domain.pagination import Page, PageRequest, paginate
from domain.pricing.models import Tariff
from domain.principal import Principal
from domain.scope import (
    discovered_stations,
    group_or_base,
    in_subtree,
    organisation_rows,
    parse_id,
    visible_groups,
    visible_stations,
    visible_tariffs,
)
from domain.stations.models import ChargingStation, StationState

# Seed 003's messages.
# Ours.

IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NAME_MAX = 100
ADDRESS_MAX = 300
OWNER_ACCOUNT_MAX = 100
COORDINATE_STEP = Decimal("0.000001")  # DECIMAL(9, 6)


class StationSort(Enum):
    NAME = "name"
    IDENTIFIER = "identifier"
    FIRMWARE = "firmware_version"
    CREATED = "created_at"
    STATUS = "online"  # offline before online (ascending)


@dataclass(frozen=True)
class StationFilter:
    search: str | None = None
    group_id: str | None = None  # stations in this group's subtree
    online: bool | None = None  # True: connected now; False: not connected; None: both
    sort: StationSort = StationSort.NAME
    descending: bool = False


@dataclass(frozen=True)
class StationChanges:
    """A station's editable settings. None (or KEEP) leaves a setting as it is; for the
    settings that can be cleared (coordinates, access policy, tariff) None clears it."""

    name: str | None = None
    group_id: str | None = None
    address: str | None = None
    latitude: Decimal | Keep | None = KEEP
    longitude: Decimal | Keep | None = KEEP
    owner_account: str | None = None
    allow_roaming: bool | None = None
    free_charging: bool | None = None
    disabled: bool | None = None
    access_policy: AccessPolicy | Keep | None = KEEP  # None: inherit from the groups above
    tariff_id: str | Keep | None = KEEP  # None: no station tariff (the groups' apply)
    version: int | None = None


# --- checks -----------------------------------------------------------------------------


def check_identifier(identifier: str, field: str = "identifier") -> str:
    """Letters, digits, `-` and `_`, 1 to 64 characters (surrounding blanks are dropped)."""
    value = (identifier or "").strip()
    if not IDENTIFIER_RE.fullmatch(value):
        raise INVALID_IDENTIFIER.error(field)
    return value


def _coordinate(value: Decimal | None, limit: int, message: str, field: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise NOT_A_NUMBER.error(field) from None
    if not number.is_finite():
        raise NOT_A_NUMBER.error(field)
    if not -limit <= number <= limit:
        raise DomainError(ErrorCode.INVALID_INPUT, message, field)
    return number.quantize(COORDINATE_STEP, rounding=ROUND_HALF_UP)


def _optional_text(value: str, field: str, *, max_length: int, label: str) -> str:
    text = value.strip()
    if len(text) > max_length:
        raise TEXT_TOO_LONG.error(field, label=label, max_length=max_length)
    return text


async def _lock_identifier(organisation_id: object, identifier: str) -> None:
    """Serialise every attempt to give `identifier` a live station (until the transaction
    ends)."""
    await db.advisory_lock(f"station:{organisation_id}:{identifier.lower()}")


async def _identifier_taken(
    organisation_id: object, identifier: str, *, exclude: uuid.UUID | None = None
) -> bool:
    query = (
        organisation_rows(ChargingStation, organisation_id)
        .exclude(state=StationState.ORPHAN)
        .annotate(identifier_key=Lower("identifier"))
        .filter(identifier_key=identifier.lower())
    )
    if exclude is not None:
        query = query.exclude(id=exclude)
    return await query.exists()


# --- reading ------------------------------------------------------------------------------


async def get(*, principal: Principal, station_id: str | uuid.UUID) -> ChargingStation | None:
    """A live station in scope; None when missing, orphaned, discovered or out of scope."""
    return await rows.find(visible_stations(principal), station_id)


async def require(
    principal: Principal, station_id: str | uuid.UUID, field: str = "id"
) -> ChargingStation:
    query = visible_stations(principal)
    return await rows.require(query, station_id, message=STATION_NOT_FOUND, field=field)


async def lock(
    principal: Principal, station_id: str | uuid.UUID, field: str = "id"
) -> ChargingStation:
    """A live station in scope, locked for update until the transaction ends."""
    query = visible_stations(principal)
    station = await rows.lock(query, station_id, message=STATION_NOT_FOUND, field=field)
    if station.state != StationState.ACTIVE:  # orphaned while we looked
        raise STATION_NOT_FOUND.error(field)
    return station


async def get_many(
    *, principal: Principal, station_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ChargingStation]:
    """Visible stations by id, in one statement (dataloaders)."""
    rows = await visible_stations(principal).filter(id__in=station_ids)
    return {row.id: row for row in rows}


async def tariffs_by_id(
    *, principal: Principal, tariff_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Tariff]:
    """Visible tariffs by id, in one statement (the station's tariff, for dataloaders)."""
    rows = await visible_tariffs(principal).filter(id__in=tariff_ids)
    return {row.id: row for row in rows}


def _search(query: QuerySet[ChargingStation], search: str | None) -> QuerySet[ChargingStation]:
    if search and search.strip():
        text = search.strip()
        query = query.filter(Q(name__icontains=text) | Q(identifier__icontains=text))
    return query


async def list_stations(
    *, principal: Principal, filter: StationFilter, page: PageRequest
) -> Page[ChargingStation]:
    query = _search(visible_stations(principal), filter.search)
    if filter.group_id is not None:
        # A group out of scope filters like a missing one: nothing.
        query = in_subtree(query, await rows.find(visible_groups(principal), filter.group_id))
    if filter.online is not None:
        query = query.filter(connected_node__isnull=not filter.online)
    if filter.sort == StationSort.STATUS:
        query = query.annotate(
            online=Case(When(connected_node__isnull=False, then="1"), default="0")
        )
    then = ("id",) if filter.sort == StationSort.NAME else ("name", "id")
    return await rows.sorted_page(query, page, filter.sort, descending=filter.descending, then=then)


async def list_discovered(
    *, principal: Principal, search: str | None, page: PageRequest
) -> Page[ChargingStation]:
    """Stations that connected with an identifier nobody created, newest first."""
    query = _search(discovered_stations(principal), search)
    return await paginate(query, page, ["-created_at", "id"])


# --- writing ------------------------------------------------------------------------------


async def create(
    *, principal: Principal, name: str, identifier: str, group_id: str | None = None
) -> ChargingStation:
    name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    identifier = check_identifier(identifier)
    group = await group_or_base(principal, group_id, "groupId")
    await _lock_identifier(principal.organisation_id, identifier)
    if await _identifier_taken(principal.organisation_id, identifier):
        raise STATION_EXISTS.error("identifier")
    return await ChargingStation.create(
        organisation_id=principal.organisation_id,
        group=group,
        state=StationState.ACTIVE,
        name=name,
        identifier=identifier,
    )


async def update(
    *, principal: Principal, station_id: str, changes: StationChanges
) -> ChargingStation:
    """Edit a station's settings; its identifier is never editable."""
    station = await lock(principal, station_id)
    rows.check_version(station, changes.version)
    c = changes
    if c.name is not None:
        station.name = require_text(c.name, "name", max_length=NAME_MAX, label="Name")
    if c.group_id is not None and parse_id(c.group_id) != station.group_id:
        station.group = await group_or_base(principal, c.group_id, "groupId")
    if c.address is not None:
        station.address = _optional_text(
            c.address, "address", max_length=ADDRESS_MAX, label="Address"
        )
    if c.owner_account is not None:
        station.owner_account = _optional_text(
            c.owner_account, "ownerAccount", max_length=OWNER_ACCOUNT_MAX, label="Owner account"
        )
    _apply_coordinates(station, c)
    for attr in ("allow_roaming", "free_charging", "disabled"):
        value = getattr(c, attr)
        if value is not None:
            setattr(station, attr, bool(value))
    if not isinstance(c.access_policy, Keep):
        station.access_policy = c.access_policy  # type: ignore[assignment]  # nullable column
    if not isinstance(c.tariff_id, Keep):
        if c.tariff_id is None:
            station.tariff = None
        else:
            station.tariff = await rows.require(
                visible_tariffs(principal), c.tariff_id, message=TARIFF_NOT_FOUND, field="tariffId"
            )
    await rows.bump(station)
    return station


def _apply_coordinates(station: ChargingStation, c: StationChanges) -> None:
    latitude = station.latitude
    longitude = station.longitude
    if not isinstance(c.latitude, Keep):
        latitude = _coordinate(c.latitude, 90, LATITUDE_RANGE, "latitude")
    if not isinstance(c.longitude, Keep):
        longitude = _coordinate(c.longitude, 180, LONGITUDE_RANGE, "longitude")
    if (latitude is None) != (longitude is None):
        field = "latitude" if latitude is None else "longitude"
        raise COORDINATES_PAIR.error(field)
    station.latitude, station.longitude = latitude, longitude


async def delete(
    *, principal: Principal, station_id: str, version: int | None = None
) -> ChargingStation:
    """The station becomes an orphan: out of its group and every list, its rows and history
    kept, its identifier free for a new station. Its points give their EVSE ids back to the
    pool, and its OCPP password stops working."""
    station = await lock(principal, station_id)
    rows.check_version(station, version)
    await db.execute(
        "UPDATE evse_id SET point_id = NULL"
        " WHERE point_id IN (SELECT id FROM charging_point WHERE station_id = $1)",
        station.id,
    )
    await db.execute("UPDATE charging_point SET evse_id = NULL WHERE station_id = $1", station.id)
    station.state = StationState.ORPHAN
    station.group = None
    station.deleted_at = datetime.now(UTC)
    station.ocpp_password_hash = None
    await rows.bump(station)
    return station


async def record_discovered(*, organisation_id: uuid.UUID, identifier: str) -> ChargingStation:
    """A station connected with `identifier`: the live station that has it, or a new
    DISCOVERED station (no group) awaiting adoption. Idempotent. Call it inside a
    transaction (the advisory lock lasts until it ends). Raises DomainError for an
    identifier that is not valid, or that a live station has in another case."""
    identifier = check_identifier(identifier)
    await _lock_identifier(organisation_id, identifier)
    existing = (
        await organisation_rows(ChargingStation, organisation_id)
        .filter(identifier=identifier)
        .exclude(state=StationState.ORPHAN)
        .first()
    )
    if existing is not None:
        return existing
    if await _identifier_taken(organisation_id, identifier):
        # Live under another case: not this station, and not a new one either.
        raise STATION_EXISTS.error("identifier")
    return await ChargingStation.create(
        organisation_id=organisation_id,
        group=None,
        state=StationState.DISCOVERED,
        name=identifier,
        identifier=identifier,
    )


async def adopt(
    *,
    principal: Principal,
    station_id: str,
    group_id: str | None = None,
    name: str | None = None,
) -> ChargingStation:
    """Put a discovered station into a visible group (default: the base group) as ACTIVE."""
    query = discovered_stations(principal)
    found = await rows.require(query, station_id, message=STATION_NOT_FOUND, field="id")
    new_name = (
        found.name
        if name is None
        else require_text(name, "name", max_length=NAME_MAX, label="Name")
    )
    group = await group_or_base(principal, group_id, "groupId")
    await _lock_identifier(found.organisation_id, found.identifier)
    station = await ChargingStation.select_for_update().get(id=found.id)
    if station.state != StationState.DISCOVERED:
        raise STATION_NOT_FOUND.error("id")
    if await _identifier_taken(station.organisation_id, station.identifier, exclude=station.id):
        raise STATION_EXISTS.error("id")
    station.state = StationState.ACTIVE
    station.group = group
    station.name = new_name
    await rows.bump(station)
    return station


# --- OCPP password (security profile 1: HTTP Basic) ---------------------------------------


async def set_password(*, principal: Principal, station_id: str) -> tuple[ChargingStation, str]:
    """Generate a new OCPP password (the old one stops working); only its hash is stored.
    Returns the station and the clear password, to be shown once."""
    station = await lock(principal, station_id)
    password = secrets.token_urlsafe(24)
    station.ocpp_password_hash = hash_secret(password)
    await station.save(update_fields=["ocpp_password_hash", "updated_at"])
    return station, password


async def verify_station_password(
    *, organisation_slug: str, identifier: str, password: str
) -> ChargingStation | None:
    """The live station whose OCPP password this is, or None (unknown organisation or
    station, no password set, wrong password). Costs one hash either way."""
    station = (
        await ChargingStation.filter(organisation__slug=organisation_slug, identifier=identifier)
        .exclude(state=StationState.ORPHAN)
        .first()
    )
    stored = station.ocpp_password_hash if station else None
    if is_fast_secret(stored):
        verified = verify_secret(str(stored), password)
    else:  # argon2 (set before station passwords were generated secrets): off the loop
        verified = await verify_password_off_loop(stored, password)
    return station if verified and station is not None else None
