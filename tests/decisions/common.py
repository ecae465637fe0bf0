"""What a row asks, and the builders the rows share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.groups.models import AccessPolicy, ChargingGroup
from domain.pricing.models import ExceptionKind, PriceException, Tariff, UserGroupApplication
from domain.stations.models import ChargingStation
from domain.users.models import Token, UserGroup
from tests import factories
from tests.factories import World

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
OPEN, RESTRICTED = AccessPolicy.OPEN, AccessPolicy.RESTRICTED
# The world's root group: named in explanations, hidden from operators based below it.
ROOT_NAME = '"ACME Shopping Malls"'


@dataclass
class Ask:
    """One question: this token (or user) at this station and point, at NOW."""

    station_id: object
    token_uid: str = "NO-SUCH-TAG"
    point_number: int | None = None
    user_id: object = None
    at: datetime = NOW


Build = Callable[[World], Awaitable[Ask]]


def row_id(row: tuple[Build, ...]) -> str:
    """A row's test id: its builder's name without the a_ / p_ prefix."""
    return row[0].__name__[2:]


async def policy(group: ChargingGroup, value: AccessPolicy | None) -> None:
    await ChargingGroup.filter(id=group.id).update(access_policy=value)


async def group_tariff(group: ChargingGroup, name: str) -> Tariff:
    tariff = await factories.tariff(group, name=name)
    await ChargingGroup.filter(id=group.id).update(tariff_id=tariff.id)
    return tariff


async def driver(
    w: World,
    *,
    uid: str | None = None,
    status: str = "active",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    active: bool = True,
    member_of: UserGroup | None = None,
) -> Token:
    user = await factories.charging_user(w.g1, active=active, member_of=member_of)
    return await factories.token(user, uid, status=status, valid_from=valid_from, valid_to=valid_to)


async def site(w: World, group: ChargingGroup | None = None, **fields: object) -> ChargingStation:
    """A station in g1a (by default) with one AC point."""
    return await factories.station(group or w.g1a, points=1, **fields)


async def open_site(w: World, **fields: object) -> ChargingStation:
    return await site(w, access_policy=OPEN, **fields)


async def exception(
    token: Token, kind: ExceptionKind, tariff: Tariff | None = None, **target: object
) -> None:
    await PriceException.create(user_id=token.user_id, kind=kind, tariff=tariff, **target)


async def fee_group(w: World, *, active: bool = True) -> UserGroup:
    return await factories.user_group(
        w.g1,
        active=active,
        ac_tariff=await factories.tariff(w.root, name="Staff AC"),
        dc_tariff=await factories.tariff(w.root, name="Staff DC"),
    )


async def applied(group: UserGroup, station: ChargingStation) -> None:
    await UserGroupApplication.create(user_group=group, station=station)
