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
from tortoise.queryset import QuerySet

from domain import db
from domain.errors import CONFLICT, DomainError, ErrorCode, NotFound
from domain.errors import require_text as _require_text
from domain.groups.models import AccessPolicy, ChargingGroup
from domain.inputs import KEEP, Keep
from domain.pagination import Page, PageRequest, paginate
from domain.pricing.models import ExceptionKind, PriceException, Tariff
from domain.principal import Principal
from domain.scope import (
    group_or_base,
    parse_id,
    visible_groups,
    visible_stations,
    visible_tariffs,
    visible_users,
)
from domain.stations.models import ChargingStation, StationState
from domain.users.models import ChargingUser

TARIFF_NOT_FOUND = "Tariff does not exist."
STATION_NOT_FOUND = "Charging station does not exist."  # seed 003
USER_NOT_FOUND = "Charging user not found."  # seed 003
EXCEPTION_NOT_FOUND = "Price exception does not exist."
NEGATIVE_PRICE = "Prices cannot be negative."
PRICE_DECIMALS = "Prices can have at most 4 decimals."
PRICE_TOO_LARGE = "Prices must be less than 100000000."
NOT_A_NUMBER = "Give a number."
VAT_RANGE = "VAT rate must be between 0 and 100 %."
VAT_DECIMALS = "VAT rate can have at most 2 decimals."
BAD_CURRENCY = "Currency must be an ISO 4217 code of three upper-case letters, such as EUR."
ONE_TARGET = "Give either a charging group or a charging station, not both."
TARIFF_REQUIRED = "A tariff exception needs a tariff."
FREE_TAKES_NO_TARIFF = "A free exception takes no tariff."
EXCEPTION_EXISTS = "The user already has a price exception here. Remove it first."

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
        raise DomainError(ErrorCode.INVALID_INPUT, NOT_A_NUMBER, field)
    if value < 0:
        raise DomainError(ErrorCode.INVALID_INPUT, NEGATIVE_PRICE, field)
    if value >= PRICE_LIMIT:
        raise DomainError(ErrorCode.INVALID_INPUT, PRICE_TOO_LARGE, field)
    stored = value.quantize(Decimal("0.0001"))
    if value != stored:
        raise DomainError(ErrorCode.INVALID_INPUT, PRICE_DECIMALS, field)
    return stored


def check_vat_rate(value: Decimal) -> Decimal:
    if not value.is_finite() or not 0 <= value <= 100:
        raise DomainError(ErrorCode.INVALID_INPUT, VAT_RANGE, "vatRate")
    stored = value.quantize(Decimal("0.01"))
    if value != stored:
        raise DomainError(ErrorCode.INVALID_INPUT, VAT_DECIMALS, "vatRate")
    return stored


def check_currency(value: str) -> str:
    code = value.strip()
    if not CURRENCY_RE.match(code):
        raise DomainError(ErrorCode.INVALID_INPUT, BAD_CURRENCY, "currency")
    return code


async def get_tariff(*, principal: Principal, tariff_id: str | uuid.UUID) -> Tariff | None:
    tid = parse_id(tariff_id)
    if tid is None:
        return None
    return await visible_tariffs(principal).get_or_none(id=tid)


async def require_tariff(principal: Principal, tariff_id: str | uuid.UUID, field: str) -> Tariff:
    """A tariff the principal sees, else NotFound (missing, malformed and out of scope alike)."""
    tariff = await get_tariff(principal=principal, tariff_id=tariff_id)
    if tariff is None:
        raise NotFound(TARIFF_NOT_FOUND, field)
    return tariff


async def list_tariffs(
    *, principal: Principal, filter: TariffFilter, page: PageRequest
) -> Page[Tariff]:
    query = visible_tariffs(principal)
    if filter.search and filter.search.strip():
        term = filter.search.strip()
        query = query.filter(Q(name__icontains=term) | Q(currency__iexact=term))
    field = filter.sort.value
    if filter.sort == TariffSort.NAME:  # case-insensitive, as people read names
        query, field = query.annotate(name_key=Lower("name")), "name_key"
    return await paginate(query, page, [f"-{field}" if filter.descending else field, "id"])


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


async def create_tariff(*, principal: Principal, data: TariffData) -> Tariff:
    """A new tariff owned by the given group (default: the principal's base group)."""
    if data.name is None:
        raise DomainError(ErrorCode.REQUIRED, "Name is required.", "name")
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
    await tariff.save()
    return tariff


def _check_version(row: Tariff | ChargingGroup, version: int | None) -> None:
    if version is not None and version != row.version:
        raise DomainError(ErrorCode.CONFLICT, CONFLICT, "version")


async def update_tariff(
    *, principal: Principal, tariff_id: str, data: TariffData, version: int | None = None
) -> Tariff:
    found = await require_tariff(principal, tariff_id, "id")
    tariff = await Tariff.select_for_update().get(id=found.id)
    _check_version(tariff, version)
    _apply(tariff, data)
    if data.group_id is not None:
        tariff.group = await group_or_base(principal, data.group_id, "groupId")
    tariff.version += 1
    await tariff.save()
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
    found = await require_tariff(principal, tariff_id, "id")
    # The row lock makes a concurrent assignment wait for us (its foreign key check locks it).
    tariff = await Tariff.select_for_update().get(id=found.id)
    _check_version(tariff, version)
    (uses,) = await db.fetch(USES_SQL, tariff.id)
    in_use = [
        f"{uses[key]} {labels[0] if uses[key] == 1 else labels[1]}"
        for key, labels in USE_LABELS.items()
        if uses[key]
    ]
    if in_use:
        raise DomainError(
            ErrorCode.NOT_EMPTY,
            f"The tariff is in use by {', '.join(in_use)}. Remove it from them first.",
            "id",
        )
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
    rows = await ChargingGroup.filter(
        organisation_id=organisation_id, id__in=[i for i in ids if i is not None]
    ).select_related("tariff")
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
    gid = parse_id(group_id)
    group = None if gid is None else await visible_groups(principal).get_or_none(id=gid)
    if group is None:
        return None
    return await _pricing_of(group)


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
    _check_version(group, version)
    if tariff_id is None:
        group.tariff = None
    elif not isinstance(tariff_id, Keep):
        group.tariff = await require_tariff(principal, tariff_id, "tariffId")
    if not isinstance(access_policy, Keep):
        group.access_policy = access_policy  # type: ignore[assignment]
    if not isinstance(allow_roaming, Keep):
        group.allow_roaming = allow_roaming
    group.version += 1
    await group.save()
    return await _pricing_of(group)


# --- users' price exceptions (seed 002's customer exceptions) -----------------------------


def visible_exceptions(principal: Principal) -> QuerySet[PriceException]:
    """Exceptions of visible users whose group or live station the principal also sees."""
    if not principal.base_path or principal.organisation_id is None:
        return PriceException.filter(id__in=[])
    base = principal.base_path
    return PriceException.filter(
        Q(group__path__startswith=base)
        | Q(station__group__path__startswith=base, station__state=StationState.ACTIVE),
        user__organisation_id=principal.organisation_id,
        user__removed_at=None,
        user__group__path__startswith=base,
    )


async def _require_user(principal: Principal, user_id: str | uuid.UUID, field: str) -> uuid.UUID:
    uid = parse_id(user_id)
    if uid is None or not await visible_users(principal).filter(id=uid).exists():
        raise NotFound(USER_NOT_FOUND, field)
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
        raise DomainError(ErrorCode.INVALID_INPUT, ONE_TARGET, "groupId")
    if group_id is not None:
        return await group_or_base(principal, group_id, "groupId"), None
    sid = parse_id(station_id)
    station = None if sid is None else await visible_stations(principal).get_or_none(id=sid)
    if station is None:
        raise NotFound(STATION_NOT_FOUND, "stationId")
    return None, station


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
            raise DomainError(ErrorCode.REQUIRED, TARIFF_REQUIRED, "tariffId")
        tariff = await require_tariff(principal, tariff_id, "tariffId")
    elif tariff_id is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, FREE_TAKES_NO_TARIFF, "tariffId")
    # One exception per user and place: lock the user so two adds cannot both pass the check.
    await ChargingUser.select_for_update().filter(id=uid).first()
    if await PriceException.filter(
        user_id=uid,
        group_id=group.id if group else None,
        station_id=station.id if station else None,
    ).exists():
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, EXCEPTION_EXISTS, "groupId" if group else "stationId"
        )
    row = await PriceException.create(
        user_id=uid, group=group, station=station, kind=kind, tariff=tariff
    )
    row.group, row.station, row.tariff = group, station, tariff
    return row


async def remove_exception(*, principal: Principal, exception_id: str) -> None:
    eid = parse_id(exception_id)
    row = None if eid is None else await visible_exceptions(principal).get_or_none(id=eid)
    if row is None:
        raise NotFound(EXCEPTION_NOT_FOUND, "id")
    await row.delete()
