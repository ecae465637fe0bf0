"""Tariffs, a charging group's pricing and access settings, and users' price exceptions.

Callers own the transaction. Setting anything here is admin only (the `pricing.manage`
action on the GraphQL root field); reading follows the principal's scope.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from tortoise.expressions import Q
from tortoise.functions import Lower

from domain import db, rows
from domain.errors import (
    BAD_CURRENCY,
    EXCEPTION_EXISTS,
    EXCEPTION_NOT_FOUND,
    FREE_TAKES_NO_TARIFF,
    NAME_REQUIRED,
    NEGATIVE_PRICE,
    NOT_A_NUMBER,
    ONE_TARGET,
    PRICE_DECIMALS,
    PRICE_TOO_LARGE,
    STATION_NOT_FOUND,
    TARIFF_IN_USE,
    TARIFF_NAME_EXISTS,
    TARIFF_NOT_FOUND,
    TARIFF_REQUIRED,
    USER_NOT_FOUND,
    VAT_DECIMALS,
    VAT_RANGE,
)
from domain.errors import require_text as _require_text
from domain.groups.models import AccessPolicy, ChargingGroup
from domain.inputs import KEEP, Keep
from domain.pagination import Page, PageRequest, paginate
from domain.pricing.models import ExceptionKind, PriceException, Tariff
from domain.principal import Principal
from domain.scope import (
    group_or_base,
    organisation_rows,
    parse_id,
    visible_exceptions,
    visible_groups,
    visible_stations,
    visible_tariffs,
    visible_users,
)
from domain.stations.models import ChargingStation
from domain.users.models import ChargingUser

NAME_MAX = 100
PRICE_LIMIT = Decimal(10) ** 8  # DECIMAL(12, 4)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class TariffSort(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    PRICE_PER_KWH = "price_per_kwh"


@dataclass(frozen=True)
class TariffFilter:
    search: str | None = None
    sort: TariffSort = TariffSort.NAME
    descending: bool = False


@dataclass(frozen=True)
class TariffData:
    """A tariff's editable fields; None leaves a field as it is (or at its default)."""

    name: str | None = None
    group_id: str | None = None
    price_per_kwh: Decimal | None = None
    price_per_session: Decimal | None = None
    price_per_hour: Decimal | None = None
    vat_rate: Decimal | None = None
    currency: str | None = None
    prices_include_vat: bool | None = None


# --- tariffs -------------------------------------------------------------------------------


def check_price(value: Decimal, field: str) -> Decimal:
    """A price: a finite number, not negative, below the column's limit, at most 4 decimals."""
    if not value.is_finite():
        raise NOT_A_NUMBER.error(field)
    if value < 0:
        raise NEGATIVE_PRICE.error(field)
    if value >= PRICE_LIMIT:
        raise PRICE_TOO_LARGE.error(field)
    stored = value.quantize(Decimal("0.0001"))
    if value != stored:
        raise PRICE_DECIMALS.error(field)
    return stored


def check_vat_rate(value: Decimal) -> Decimal:
    if not value.is_finite() or not 0 <= value <= 100:
        raise VAT_RANGE.error("vatRate")
    stored = value.quantize(Decimal("0.01"))
    if value != stored:
        raise VAT_DECIMALS.error("vatRate")
    return stored


def check_currency(value: str) -> str:
    code = value.strip()
    if not CURRENCY_RE.match(code):
        raise BAD_CURRENCY.error("currency")
    return code


async def get_tariff(*, principal: Principal, tariff_id: str | uuid.UUID) -> Tariff | None:
    return await rows.find(visible_tariffs(principal), tariff_id)


async def require_tariff(principal: Principal, tariff_id: str | uuid.UUID, field: str) -> Tariff:
    """A tariff the principal sees, else NotFound (missing, malformed and out of scope alike)."""
    query = visible_tariffs(principal)
    return await rows.require(query, tariff_id, message=TARIFF_NOT_FOUND, field=field)


async def list_tariffs(
    *, principal: Principal, filter: TariffFilter, page: PageRequest
) -> Page[Tariff]:
    query = visible_tariffs(principal)
    if filter.search and filter.search.strip():
        term = filter.search.strip()
        query = query.filter(Q(name__icontains=term) | Q(currency__iexact=term))
    sort: TariffSort | list[str] = filter.sort
    if filter.sort == TariffSort.NAME:  # case-insensitive, as people read names
        query, sort = query.annotate(name_key=Lower("name")), ["name_key"]
    return await rows.sorted_page(query, page, sort, descending=filter.descending)


def _apply(tariff: Tariff, data: TariffData) -> None:
    """Check and copy the given fields onto the tariff (nothing is written yet)."""
    if data.name is not None:
        tariff.name = _require_text(data.name, "name", max_length=NAME_MAX, label="Name")
    for attr, field_name in (
        ("price_per_kwh", "pricePerKwh"),
        ("price_per_session", "pricePerSession"),
        ("price_per_hour", "pricePerHour"),
    ):
        value = getattr(data, attr)
        if value is not None:
            setattr(tariff, attr, check_price(value, field_name))
    if data.vat_rate is not None:
        tariff.vat_rate = check_vat_rate(data.vat_rate)
    if data.currency is not None:
        tariff.currency = check_currency(data.currency)
    if data.prices_include_vat is not None:
        tariff.prices_include_vat = data.prices_include_vat


async def _name_free(tariff: Tariff) -> None:
    """Tariffs owned by one group have different names in any case (the unique index
    `uq_tariff_group_name`); checked under a lock on the group and the lower-cased name, so
    concurrent creates wait for each other and the loser gets TARIFF_NAME_EXISTS."""
    key = tariff.name.lower()
    await db.advisory_lock(f"tariff-name:{tariff.group_id}:{key}")
    taken = (
        await organisation_rows(Tariff, tariff.organisation_id)
        .filter(group_id=tariff.group_id)
        .exclude(id=tariff.id)
        .annotate(name_key=Lower("name"))
        .filter(name_key=key)
        .exists()
    )
    if taken:
        raise TARIFF_NAME_EXISTS.error("name")


async def create_tariff(*, principal: Principal, data: TariffData) -> Tariff:
    """A new tariff owned by the given group (default: the principal's base group)."""
    if data.name is None:
        raise NAME_REQUIRED.error("name")
    tariff = Tariff(
        id=uuid.uuid4(),
        organisation_id=principal.organisation_id,
        price_per_kwh=Decimal("0.0000"),
        price_per_session=Decimal("0.0000"),
        price_per_hour=Decimal("0.0000"),
        vat_rate=Decimal("0.00"),
        currency="EUR",
        prices_include_vat=False,  # seed 004: station tariffs exclude VAT
    )
    _apply(tariff, data)
    tariff.group = await group_or_base(principal, data.group_id, "groupId")
    await _name_free(tariff)
    await tariff.save()
    return tariff


async def update_tariff(
    *, principal: Principal, tariff_id: str, data: TariffData, version: int | None = None
) -> Tariff:
    query = visible_tariffs(principal)
    tariff = await rows.lock(query, tariff_id, message=TARIFF_NOT_FOUND, field="id")
    rows.check_version(tariff, version)
    _apply(tariff, data)
    if data.group_id is not None:
        tariff.group = await group_or_base(principal, data.group_id, "groupId")
    if data.name is not None or data.group_id is not None:
        await _name_free(tariff)
    await rows.bump(tariff)
    return tariff


USES_SQL = """
SELECT
  (SELECT count(*) FROM charging_group WHERE tariff_id = $1) AS groups,
  (SELECT count(*) FROM charging_station WHERE tariff_id = $1) AS stations,
  (SELECT count(*) FILTER (WHERE ac_tariff_id = $1) + count(*) FILTER (WHERE dc_tariff_id = $1)
   FROM user_group) AS fees,
  (SELECT count(*) FROM price_exception WHERE tariff_id = $1) AS exceptions
"""
USE_LABELS = {
    "groups": ("charging group", "charging groups"),
    "stations": ("charging station", "charging stations"),
    "fees": ("user group fee", "user group fees"),
    "exceptions": ("price exception", "price exceptions"),
}


async def delete_tariff(
    *, principal: Principal, tariff_id: str, version: int | None = None
) -> None:
    """Delete a tariff nothing uses; otherwise say what still uses it."""
    # The row lock makes a concurrent assignment wait for us (its foreign key check locks it).
    query = visible_tariffs(principal)
    tariff = await rows.lock(query, tariff_id, message=TARIFF_NOT_FOUND, field="id")
    rows.check_version(tariff, version)
    (uses,) = await db.fetch(USES_SQL, tariff.id)
    in_use = [
        f"{uses[key]} {labels[0] if uses[key] == 1 else labels[1]}"
        for key, labels in USE_LABELS.items()
        if uses[key]
    ]
    if in_use:
        raise TARIFF_IN_USE.error("id", uses=", ".join(in_use))
    await tariff.delete()


# --- a charging group's pricing and access settings ---------------------------------------


@dataclass(frozen=True)
class GroupPricing:
    """A group's own settings (None: inherited) and the effective ones."""

    group: ChargingGroup
    tariff: Tariff | None
    access_policy: AccessPolicy | None
    allow_roaming: bool | None
    effective_tariff: Tariff | None
    effective_access_policy: AccessPolicy
    effective_allow_roaming: bool


async def ancestors_of(organisation_id: object, path: str) -> list[ChargingGroup]:
    """The groups on a materialised path, nearest first, with their tariffs, in one statement."""
    ids = [parse_id(part) for part in path.strip("/").split("/") if part]
    rows = (
        await organisation_rows(ChargingGroup, organisation_id)
        .filter(id__in=[i for i in ids if i is not None])
        .select_related("tariff")
    )
    return sorted(rows, key=lambda g: len(g.path), reverse=True)


def nearest(groups: list[ChargingGroup], attr: str) -> ChargingGroup | None:
    """The nearest group (of `groups`, nearest first) that sets `attr`."""
    return next((g for g in groups if getattr(g, attr) is not None), None)


def effective_policy(own: AccessPolicy | None, chain: list[ChargingGroup]) -> AccessPolicy:
    """The own policy, else the nearest group's that sets one, else RESTRICTED (deny)."""
    if own is not None:
        return own
    source = nearest(chain, "access_policy")
    return source.access_policy if source else AccessPolicy.RESTRICTED


async def group_pricing(*, principal: Principal, group_id: str) -> GroupPricing | None:
    group = await rows.find(visible_groups(principal), group_id)
    return None if group is None else await _pricing_of(group)


async def _pricing_of(group: ChargingGroup) -> GroupPricing:
    chain = await ancestors_of(group.organisation_id, group.path)
    own = chain[0] if chain and chain[0].id == group.id else group
    tariff_group = nearest(chain, "tariff_id")
    roaming_group = nearest(chain, "allow_roaming")
    return GroupPricing(
        group=own,
        tariff=own.tariff if own.tariff_id is not None else None,
        access_policy=own.access_policy,
        allow_roaming=own.allow_roaming,
        effective_tariff=tariff_group.tariff if tariff_group else None,
        # Deny by default: with no policy anywhere above, only access rights let anyone in.
        effective_access_policy=effective_policy(None, chain),
        effective_allow_roaming=bool(roaming_group.allow_roaming) if roaming_group else False,
    )


async def set_group_pricing(
    *,
    principal: Principal,
    group_id: str,
    tariff_id: str | Keep | None = KEEP,
    access_policy: AccessPolicy | Keep | None = KEEP,
    allow_roaming: bool | Keep | None = KEEP,
    version: int | None = None,
) -> GroupPricing:
    """Set a group's tariff, access policy and roaming flag; None inherits from above."""
    found = await group_or_base(principal, group_id, "groupId")
    group = await ChargingGroup.select_for_update().get(id=found.id)
    rows.check_version(group, version)
    if tariff_id is None:
        group.tariff = None
    elif not isinstance(tariff_id, Keep):
        group.tariff = await require_tariff(principal, tariff_id, "tariffId")
    if not isinstance(access_policy, Keep):
        group.access_policy = access_policy  # type: ignore[assignment]
    if not isinstance(allow_roaming, Keep):
        group.allow_roaming = allow_roaming
    await rows.bump(group)
    return await _pricing_of(group)


# --- users' price exceptions (seed 002's customer exceptions) -----------------------------


async def _require_user(principal: Principal, user_id: str | uuid.UUID, field: str) -> uuid.UUID:
    uid = parse_id(user_id)
    if uid is None or not await visible_users(principal).filter(id=uid).exists():
        raise USER_NOT_FOUND.error(field)
    return uid


async def list_exceptions(
    *, principal: Principal, user_id: str, page: PageRequest
) -> Page[PriceException] | None:
    """A user's exceptions (None when the user is not visible); targets and tariffs joined in."""
    uid = parse_id(user_id)
    if uid is None or not await visible_users(principal).filter(id=uid).exists():
        return None
    query = visible_exceptions(principal).filter(user_id=uid)
    return await paginate(
        query.select_related("group", "station", "tariff"), page, ["created_at", "id"]
    )


async def _target(
    principal: Principal, group_id: str | None, station_id: str | None
) -> tuple[ChargingGroup | None, ChargingStation | None]:
    if (group_id is None) == (station_id is None):
        raise ONE_TARGET.error("groupId")
    if group_id is not None:
        return await group_or_base(principal, group_id, "groupId"), None
    query = visible_stations(principal)
    return None, await rows.require(query, station_id, message=STATION_NOT_FOUND, field="stationId")


async def add_exception(
    *,
    principal: Principal,
    user_id: str,
    kind: ExceptionKind,
    group_id: str | None = None,
    station_id: str | None = None,
    tariff_id: str | None = None,
) -> PriceException:
    """The user charges free, or at the tariff, on the group's subtree or at the station."""
    uid = await _require_user(principal, user_id, "userId")
    group, station = await _target(principal, group_id, station_id)
    tariff = None
    if kind == ExceptionKind.TARIFF:
        if tariff_id is None:
            raise TARIFF_REQUIRED.error("tariffId")
        tariff = await require_tariff(principal, tariff_id, "tariffId")
    elif tariff_id is not None:
        raise FREE_TAKES_NO_TARIFF.error("tariffId")
    # One exception per user and place: lock the user so two adds cannot both pass the check.
    await ChargingUser.select_for_update().filter(id=uid).first()
    if await PriceException.filter(
        user_id=uid,
        group_id=group.id if group else None,
        station_id=station.id if station else None,
    ).exists():
        raise EXCEPTION_EXISTS.error("groupId" if group else "stationId")
    row = await PriceException.create(
        user_id=uid, group=group, station=station, kind=kind, tariff=tariff
    )
    row.group, row.station, row.tariff = group, station, tariff
    return row


async def remove_exception(*, principal: Principal, exception_id: str) -> None:
    query = visible_exceptions(principal)
    row = await rows.require(query, exception_id, message=EXCEPTION_NOT_FOUND, field="id")
    await row.delete()
