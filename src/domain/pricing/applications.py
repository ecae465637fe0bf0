"""Applying a user group, with its fees, to stations chosen by filters (seed 000).

Two steps. `preview` changes nothing: it lists every matching station (visible, ACTIVE) and
the change that would be made to it. `apply` evaluates the same filter again inside the
caller's transaction and refuses unless the operator typed the number of stations it would
modify now, so a selection that changed between preview and confirmation is caught. Each
applied change is written to the management history. A refused confirmation changes nothing
and is not recorded: the refusal, with the count as it is now, is the answer the operator
gets, and the history is of what was done to stations. Callers own the transaction.

A station is DC when any socket of its points is DC, otherwise AC (also with no sockets,
as the price decision treats it); the group's DC fee holds at DC stations, its AC fee at AC
stations.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.expressions import Q

from domain import rows
from domain.errors import (
    GROUP_NOT_FOUND,
    NO_STATIONS,
    NOT_APPLIED,
    NOTHING_TO_APPLY,
    STATION_NOT_FOUND,
    TYPE_THE_COUNT,
    USER_GROUP_NOT_FOUND,
    DomainError,
    ErrorCode,
)
from domain.history import service as history
from domain.history.models import ManagementRecord
from domain.pricing.models import Tariff, UserGroupApplication
from domain.principal import Principal
from domain.scope import in_subtree, parse_id, visible_groups, visible_stations, visible_user_groups
from domain.stations.models import ChargingStation, PowerType, Socket
from domain.users.models import UserGroup

APPLY_ACTION = "user_group.apply"
REMOVE_ACTION = "user_group.remove"


class StationPower(Enum):
    AC = "ac"
    DC = "dc"


class ChangeKind(Enum):
    APPLY = "apply"
    NO_CHANGE = "no_change"


@dataclass(frozen=True)
class StationFilter:
    group_id: str | None = None
    search: str | None = None
    power_type: StationPower | None = None
    station_ids: list[str] | None = None

    def as_details(self) -> dict[str, Any]:
        return {
            "group_id": self.group_id,
            "search": self.search,
            "power_type": self.power_type.value if self.power_type else None,
            "station_ids": self.station_ids,
        }


@dataclass(frozen=True)
class Fee:
    """A group fee as it is now (the tariff applied at AC or DC stations)."""

    tariff_id: uuid.UUID
    name: str
    price_per_kwh: Decimal
    price_per_session: Decimal
    price_per_hour: Decimal
    currency: str

    @classmethod
    def of(cls, row: Tariff) -> Fee:
        return cls(
            row.id,
            row.name,
            row.price_per_kwh,
            row.price_per_session,
            row.price_per_hour,
            row.currency,
        )

    def prices(self) -> str:
        parts = [f"{_money(self.price_per_kwh)} {self.currency}/kWh"]
        if self.price_per_session:
            parts.append(f"{_money(self.price_per_session)} {self.currency}/session")
        if self.price_per_hour:
            parts.append(f"{_money(self.price_per_hour)} {self.currency}/h")
        return " + ".join(parts)

    def as_details(self) -> dict[str, Any]:
        return {
            "tariff_id": str(self.tariff_id),
            "name": self.name,
            "price_per_kwh": str(self.price_per_kwh),
            "price_per_session": str(self.price_per_session),
            "price_per_hour": str(self.price_per_hour),
            "currency": self.currency,
        }


def _money(value: Decimal) -> str:
    """At least two decimals, more only when the price has them (0.2000 -> 0.20)."""
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:.{places}f}"


@dataclass(frozen=True)
class StationChange:
    station_id: uuid.UUID
    name: str
    identifier: str
    power_type: StationPower
    kind: ChangeKind
    fee: Fee | None
    description: str


@dataclass(frozen=True)
class Plan:
    user_group: UserGroup
    ac_fee: Fee | None
    dc_fee: Fee | None
    stations: list[StationChange]

    @property
    def to_change(self) -> list[StationChange]:
        return [s for s in self.stations if s.kind == ChangeKind.APPLY]

    @property
    def confirmation(self) -> str:
        return TYPE_THE_COUNT.format(count=len(self.to_change))


@dataclass(frozen=True)
class Applied:
    plan: Plan
    record: ManagementRecord


@dataclass(frozen=True)
class Removed:
    station_ids: list[uuid.UUID]
    record: ManagementRecord


# --- selecting the stations ----------------------------------------------------------------


async def _user_group(principal: Principal, user_group_id: str, *, lock: bool) -> UserGroup:
    query = visible_user_groups(principal)
    if lock:
        # Applications of one user group change one at a time (no racing inserts).
        query = query.select_for_update()
    return await rows.require(
        query, user_group_id, message=USER_GROUP_NOT_FOUND, field="userGroupId"
    )


async def _station_ids(principal: Principal, ids: list[str], field: str) -> list[uuid.UUID]:
    """The given ids, each of which must be a visible active station."""
    parsed = [parse_id(i) for i in ids]
    wanted = {p for p in parsed if p is not None}
    found = set(
        await visible_stations(principal).filter(id__in=wanted).values_list("id", flat=True)
    )
    if None in parsed or found != wanted:
        raise STATION_NOT_FOUND.error(field)
    return sorted(wanted)


async def select_stations(
    principal: Principal, selection: StationFilter
) -> list[tuple[ChargingStation, StationPower]]:
    """Visible active stations matching every given criterion, by name."""
    query = visible_stations(principal)
    if selection.group_id is not None:
        groups = visible_groups(principal)
        group = await rows.require(
            groups, selection.group_id, message=GROUP_NOT_FOUND, field="filter.groupId"
        )
        query = in_subtree(query, group)
    if selection.search and selection.search.strip():
        term = selection.search.strip()
        query = query.filter(Q(name__icontains=term) | Q(identifier__icontains=term))
    if selection.station_ids is not None:
        ids = await _station_ids(principal, selection.station_ids, "filter.stationIds")
        query = query.filter(id__in=ids)
    stations = await query.order_by("name", "identifier", "id")
    dc = await _dc_station_ids([s.id for s in stations])
    typed = [(s, StationPower.DC if s.id in dc else StationPower.AC) for s in stations]
    if selection.power_type is not None:
        typed = [(s, p) for s, p in typed if p == selection.power_type]
    return typed


async def _dc_station_ids(station_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    if not station_ids:
        return set()
    rows = await Socket.filter(
        point__station_id__in=station_ids, power_type=PowerType.DC
    ).values_list("point__station_id", flat=True)
    return set(rows)  # type: ignore[arg-type]


async def _fees(user_group: UserGroup) -> tuple[Fee | None, Fee | None]:
    ids = [t for t in (user_group.ac_tariff_id, user_group.dc_tariff_id) if t is not None]
    tariffs: dict[object, Fee] = (
        {t.id: Fee.of(t) for t in await Tariff.filter(id__in=ids)} if ids else {}
    )
    return tariffs.get(user_group.ac_tariff_id), tariffs.get(user_group.dc_tariff_id)


async def _applied_at(user_group: UserGroup, station_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Those of the stations the group is applied to, sorted."""
    if not station_ids:
        return []
    rows = await UserGroupApplication.filter(
        user_group_id=user_group.id, station_id__in=station_ids
    ).values_list("station_id", flat=True)
    return sorted(rows)  # type: ignore[arg-type]


def _describe(user_group: UserGroup, power: StationPower, fee: Fee | None) -> str:
    kind = power.value.upper()
    if fee is None:
        return f"apply '{user_group.name}' with no {kind} fee (the station's own price applies)"
    return f"apply '{user_group.name}' with {kind} fee '{fee.name}' ({fee.prices()})"


async def _plan(principal: Principal, user_group: UserGroup, selection: StationFilter) -> Plan:
    typed = await select_stations(principal, selection)
    ac_fee, dc_fee = await _fees(user_group)
    applied = set(await _applied_at(user_group, [s.id for s, _ in typed]))
    changes = []
    for station, power in typed:
        fee = dc_fee if power == StationPower.DC else ac_fee
        if station.id in applied:
            kind, description = ChangeKind.NO_CHANGE, "already applied — no change"
        else:
            kind, description = ChangeKind.APPLY, _describe(user_group, power, fee)
        changes.append(
            StationChange(
                station.id, station.name, station.identifier, power, kind, fee, description
            )
        )
    return Plan(user_group=user_group, ac_fee=ac_fee, dc_fee=dc_fee, stations=changes)


# --- the two steps, and removal -------------------------------------------------------------


async def preview(*, principal: Principal, user_group_id: str, selection: StationFilter) -> Plan:
    """What `apply` would do now; changes nothing."""
    user_group = await _user_group(principal, user_group_id, lock=False)
    return await _plan(principal, user_group, selection)


async def apply(
    *,
    principal: Principal,
    user_group_id: str,
    selection: StationFilter,
    confirm_station_count: int,
) -> Applied:
    """Apply the group to the stations it is not yet applied to, if the count still matches."""
    user_group = await _user_group(principal, user_group_id, lock=True)
    plan = await _plan(principal, user_group, selection)
    to_change = plan.to_change
    if not to_change:
        raise NOTHING_TO_APPLY.error("filter")
    if confirm_station_count != len(to_change):
        raise DomainError(ErrorCode.INVALID_INPUT, plan.confirmation, "confirmStationCount")
    await UserGroupApplication.bulk_create(
        [UserGroupApplication(user_group=user_group, station_id=s.station_id) for s in to_change],
        batch_size=500,
    )
    record = await history.record(
        principal=principal,
        action=APPLY_ACTION,
        summary=_apply_summary(plan, len(to_change)),
        details={
            "user_group": {"id": str(user_group.id), "name": user_group.name},
            "fees": {
                "ac": plan.ac_fee.as_details() if plan.ac_fee else None,
                "dc": plan.dc_fee.as_details() if plan.dc_fee else None,
            },
            "filter": selection.as_details(),
            "unchanged_station_ids": [
                str(s.station_id) for s in plan.stations if s.kind == ChangeKind.NO_CHANGE
            ],
        },
        station_ids=[s.station_id for s in to_change],
    )
    return Applied(plan=plan, record=record)


def _plural(count: int) -> str:
    return f"{count} charging station{'' if count == 1 else 's'}"


def _apply_summary(plan: Plan, count: int) -> str:
    fees = "; ".join(
        f"{kind} fee '{fee.name}' ({fee.prices()})" if fee else f"no {kind} fee"
        for kind, fee in (("AC", plan.ac_fee), ("DC", plan.dc_fee))
    )
    return f"Applied user group '{plan.user_group.name}' to {_plural(count)} ({fees})."


async def remove(*, principal: Principal, user_group_id: str, station_ids: list[str]) -> Removed:
    """Stop applying the group at the given stations (where it is applied)."""
    user_group = await _user_group(principal, user_group_id, lock=True)
    if not station_ids:
        raise NO_STATIONS.error("stationIds")
    ids = await _station_ids(principal, station_ids, "stationIds")
    applied = await _applied_at(user_group, ids)
    if not applied:
        raise NOT_APPLIED.error("stationIds")
    await UserGroupApplication.filter(user_group_id=user_group.id, station_id__in=applied).delete()
    record = await history.record(
        principal=principal,
        action=REMOVE_ACTION,
        summary=f"Removed user group '{user_group.name}' from {_plural(len(applied))}.",
        details={
            "user_group": {"id": str(user_group.id), "name": user_group.name},
            "requested_station_ids": [str(i) for i in ids],
        },
        station_ids=applied,
    )
    return Removed(station_ids=applied, record=record)
