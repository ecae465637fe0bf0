"""The two decisions, table-driven: one row per rule and per precedence conflict.

Each row builds its own data (tests/factories.py) on top of the world and asks one question;
the answer's status (or price result), reason code and explanation are checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.groups.models import AccessPolicy, ChargingGroup
from domain.pricing.decisions import (
    AuthorizationReason as AR,
)
from domain.pricing.decisions import (
    AuthorizationStatus as AS,
)
from domain.pricing.decisions import (
    PriceReason as PR,
)
from domain.pricing.decisions import (
    PriceResult as P,
)
from domain.pricing.decisions import authorize, price
from domain.pricing.models import ExceptionKind, PriceException, Tariff, UserGroupApplication
from domain.stations.models import ChargingStation, StationState
from domain.users.models import ChargingUser, Token, UserGroup
from tests import factories
from tests.factories import World
from tests.sqlcount import count_sql

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
OPEN, RESTRICTED = AccessPolicy.OPEN, AccessPolicy.RESTRICTED


@dataclass
class Ask:
    """One question: this token (or user) at this station and point, at NOW."""

    station_id: object
    token_uid: str = "NO-SUCH-TAG"
    point_number: int | None = None
    user_id: object = None
    at: datetime = NOW


Build = Callable[[World], Awaitable[Ask]]


# --- builders --------------------------------------------------------------------------------


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


# --- authorize rows --------------------------------------------------------------------------


async def a_unknown_station(w: World) -> Ask:
    token = await driver(w)
    return Ask(uuid.uuid4(), token.uid)


async def a_station_of_other_org(w: World) -> Ask:
    token = await driver(w)
    return Ask((await factories.station(w.root_b, access_policy=OPEN)).id, token.uid)


async def a_discovered_station(w: World) -> Ask:
    st = await factories.station(None, w.org.id, state=StationState.DISCOVERED)
    return Ask(st.id, (await driver(w)).uid)


async def a_orphan_station(w: World) -> Ask:
    st = await factories.station(None, w.org.id, state=StationState.ORPHAN, access_policy=OPEN)
    return Ask(st.id, (await driver(w)).uid)


async def a_disabled_station(w: World) -> Ask:
    return Ask((await open_site(w, disabled=True)).id, (await driver(w)).uid)


async def a_disabled_station_unknown_token(w: World) -> Ask:
    return Ask((await open_site(w, disabled=True)).id, "NOBODY")


async def a_unknown_token(w: World) -> Ask:
    await driver(w, uid="KNOWN-1")
    return Ask((await open_site(w)).id, "KNOWN-2")


async def a_token_of_other_org(w: World) -> Ask:
    user_b = await factories.charging_user(w.root_b)
    await factories.token(user_b, "ONLY-IN-B")
    return Ask((await open_site(w)).id, "ONLY-IN-B")


async def a_deleted_token(w: World) -> Ask:
    token = await driver(w)
    await Token.filter(id=token.id).update(deleted_at=NOW - HOUR)
    return Ask((await open_site(w)).id, token.uid)


async def a_removed_user(w: World) -> Ask:
    token = await driver(w)
    await ChargingUser.filter(id=token.user_id).update(removed_at=NOW - HOUR)
    return Ask((await open_site(w)).id, token.uid)


async def a_lower_case_uid(w: World) -> Ask:
    await driver(w, uid="AB12CD")
    return Ask((await open_site(w)).id, "ab12cd")


async def a_blocked(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, status="blocked")).uid)


async def a_blocked_and_expired(w: World) -> Ask:
    token = await driver(w, status="blocked", valid_to=NOW - HOUR)
    return Ask((await open_site(w)).id, token.uid)


async def a_blocked_and_unknown_point(w: World) -> Ask:
    token = await driver(w, status="blocked")
    return Ask((await open_site(w)).id, token.uid, point_number=9)


async def a_expired(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, valid_to=NOW - HOUR)).uid)


async def a_valid_until_now(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, valid_to=NOW)).uid)


async def a_not_yet_valid(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, valid_from=NOW + HOUR)).uid)


async def a_inside_window(w: World) -> Ask:
    token = await driver(w, valid_from=NOW - HOUR, valid_to=NOW + HOUR)
    return Ask((await open_site(w)).id, token.uid)


async def a_expired_and_inactive(w: World) -> Ask:
    token = await driver(w, status="inactive", valid_to=NOW - HOUR)
    return Ask((await open_site(w)).id, token.uid)


async def a_inactive_token(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, status="inactive")).uid)


async def a_inactive_token_inactive_user(w: World) -> Ask:
    token = await driver(w, status="inactive", active=False)
    return Ask((await open_site(w)).id, token.uid)


async def a_inactive_user(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w, active=False)).uid)


async def a_inactive_user_inactive_group(w: World) -> Ask:
    group = await factories.user_group(w.g1, active=False)
    token = await driver(w, active=False, member_of=group)
    return Ask((await open_site(w)).id, token.uid)


async def a_inactive_user_group(w: World) -> Ask:
    group = await factories.user_group(w.g1, active=False)
    return Ask((await open_site(w)).id, (await driver(w, member_of=group)).uid)


async def a_inactive_user_group_with_right(w: World) -> Ask:
    group = await factories.user_group(w.g1, active=False)
    token = await driver(w, member_of=group)
    st = await site(w)
    await factories.access_right(await token.user, station=st)
    return Ask(st.id, token.uid)


async def a_unknown_point(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w)).uid, point_number=2)


async def a_known_point(w: World) -> Ask:
    return Ask((await open_site(w)).id, (await driver(w)).uid, point_number=1)


async def a_unknown_point_no_right(w: World) -> Ask:
    return Ask((await site(w)).id, (await driver(w)).uid, point_number=5)


async def a_station_open(w: World) -> Ask:
    await policy(w.root, RESTRICTED)
    return Ask((await open_site(w)).id, (await driver(w)).uid)


async def a_root_open_inherited(w: World) -> Ask:
    await policy(w.root, OPEN)
    return Ask((await site(w)).id, (await driver(w)).uid)


async def a_nearer_restricted_beats_root_open(w: World) -> Ask:
    await policy(w.root, OPEN)
    await policy(w.g1, RESTRICTED)
    return Ask((await site(w)).id, (await driver(w)).uid)


async def a_nearer_open_beats_root_restricted(w: World) -> Ask:
    await policy(w.root, RESTRICTED)
    await policy(w.g1a, OPEN)
    return Ask((await site(w)).id, (await driver(w)).uid)


async def a_station_restricted_beats_group_open(w: World) -> Ask:
    await policy(w.g1, OPEN)
    return Ask((await site(w, access_policy=RESTRICTED)).id, (await driver(w)).uid)


async def a_no_policy_anywhere(w: World) -> Ask:
    return Ask((await site(w)).id, (await driver(w)).uid)


async def a_station_right(w: World) -> Ask:
    token, st = await driver(w), await site(w)
    await factories.access_right(await token.user, station=st)
    return Ask(st.id, token.uid)


async def a_group_right_above(w: World) -> Ask:
    await policy(w.root, RESTRICTED)
    token, st = await driver(w), await site(w)
    await factories.access_right(await token.user, group=w.g1)
    return Ask(st.id, token.uid)


async def a_right_on_sibling_group(w: World) -> Ask:
    token, st = await driver(w), await site(w)
    await factories.access_right(await token.user, group=w.g2)
    return Ask(st.id, token.uid)


async def a_right_on_other_station(w: World) -> Ask:
    token, st, other = await driver(w), await site(w), await site(w)
    await factories.access_right(await token.user, station=other)
    return Ask(st.id, token.uid)


async def a_right_on_group_below_station(w: World) -> Ask:
    """A right on a group below the station's group does not reach up to it."""
    token, st = await driver(w), await site(w, w.g1)
    await factories.access_right(await token.user, group=w.g1a)
    return Ask(st.id, token.uid)


async def a_user_group_applied(w: World) -> Ask:
    group = await factories.user_group(w.g1)
    token, st = await driver(w, member_of=group), await site(w)
    await applied(group, st)
    return Ask(st.id, token.uid)


async def a_user_group_applied_elsewhere(w: World) -> Ask:
    group = await factories.user_group(w.g1)
    token, st = await driver(w, member_of=group), await site(w)
    await applied(group, await site(w))
    return Ask(st.id, token.uid)


AUTHORIZE_ROWS: list[tuple[Build, AS, AR]] = [
    (a_unknown_station, AS.NOT_ALLOWED, AR.STATION_UNKNOWN),
    (a_station_of_other_org, AS.NOT_ALLOWED, AR.STATION_UNKNOWN),
    (a_discovered_station, AS.NOT_ALLOWED, AR.STATION_NOT_ACTIVE),
    (a_orphan_station, AS.NOT_ALLOWED, AR.STATION_NOT_ACTIVE),
    (a_disabled_station, AS.NOT_ALLOWED, AR.STATION_DISABLED),
    (a_disabled_station_unknown_token, AS.NOT_ALLOWED, AR.STATION_DISABLED),
    (a_unknown_token, AS.INVALID, AR.TOKEN_UNKNOWN),
    (a_token_of_other_org, AS.INVALID, AR.TOKEN_UNKNOWN),
    (a_deleted_token, AS.INVALID, AR.TOKEN_UNKNOWN),
    (a_removed_user, AS.INVALID, AR.TOKEN_UNKNOWN),
    (a_lower_case_uid, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_blocked, AS.BLOCKED, AR.TOKEN_BLOCKED),
    (a_blocked_and_expired, AS.BLOCKED, AR.TOKEN_BLOCKED),
    (a_blocked_and_unknown_point, AS.BLOCKED, AR.TOKEN_BLOCKED),
    (a_expired, AS.EXPIRED, AR.TOKEN_EXPIRED),
    (a_valid_until_now, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_not_yet_valid, AS.EXPIRED, AR.TOKEN_NOT_YET_VALID),
    (a_inside_window, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_expired_and_inactive, AS.EXPIRED, AR.TOKEN_EXPIRED),
    (a_inactive_token, AS.INVALID, AR.TOKEN_INACTIVE),
    (a_inactive_token_inactive_user, AS.INVALID, AR.TOKEN_INACTIVE),
    (a_inactive_user, AS.NOT_ALLOWED, AR.USER_INACTIVE),
    (a_inactive_user_inactive_group, AS.NOT_ALLOWED, AR.USER_INACTIVE),
    (a_inactive_user_group, AS.NOT_ALLOWED, AR.USER_GROUP_INACTIVE),
    (a_inactive_user_group_with_right, AS.NOT_ALLOWED, AR.USER_GROUP_INACTIVE),
    (a_unknown_point, AS.NOT_ALLOWED, AR.POINT_UNKNOWN),
    (a_known_point, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_unknown_point_no_right, AS.NOT_ALLOWED, AR.POINT_UNKNOWN),
    (a_station_open, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_root_open_inherited, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_nearer_restricted_beats_root_open, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_nearer_open_beats_root_restricted, AS.ACCEPTED, AR.OPEN_ACCESS),
    (a_station_restricted_beats_group_open, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_no_policy_anywhere, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_station_right, AS.ACCEPTED, AR.STATION_ACCESS_RIGHT),
    (a_group_right_above, AS.ACCEPTED, AR.GROUP_ACCESS_RIGHT),
    (a_right_on_sibling_group, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_right_on_other_station, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_right_on_group_below_station, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
    (a_user_group_applied, AS.ACCEPTED, AR.USER_GROUP_APPLIED),
    (a_user_group_applied_elsewhere, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT),
]


@pytest.mark.parametrize(
    ("build", "status", "reason"), AUTHORIZE_ROWS, ids=[r[0].__name__[2:] for r in AUTHORIZE_ROWS]
)
async def test_authorize(world: World, build: Build, status: AS, reason: AR) -> None:
    ask = await build(world)
    decided = await authorize(
        organisation_id=world.org.id,
        token_uid=ask.token_uid,
        station_id=ask.station_id,  # type: ignore[arg-type]
        point_number=ask.point_number,
        at=ask.at,
    )
    assert (decided.status, decided.reason) == (status, reason), decided.explanation
    assert decided.explanation.strip()


# --- price rows ------------------------------------------------------------------------------


async def p_unknown_station(w: World) -> Ask:
    return Ask(uuid.uuid4(), (await driver(w)).uid)


async def p_unknown_point(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    return Ask((await site(w)).id, (await driver(w)).uid, point_number=3)


async def p_free_station(w: World) -> Ask:
    return Ask((await site(w, free_charging=True)).id, (await driver(w)).uid)


async def p_free_station_and_exception_tariff(w: World) -> Ask:
    token, st = await driver(w), await site(w, free_charging=True)
    await exception(token, ExceptionKind.TARIFF, await factories.tariff(w.root), station=st)
    return Ask(st.id, token.uid)


async def p_free_station_and_station_tariff(w: World) -> Ask:
    st = await site(w, free_charging=True, tariff=await factories.tariff(w.root))
    return Ask(st.id, (await driver(w)).uid)


async def p_station_exception_free(w: World) -> Ask:
    token, st = await driver(w), await site(w, tariff=await factories.tariff(w.root))
    await exception(token, ExceptionKind.FREE, station=st)
    return Ask(st.id, token.uid)


async def p_group_exception_tariff(w: World) -> Ask:
    await group_tariff(w.g1, "Pine standard")
    token, st = await driver(w), await site(w)
    vip = await factories.tariff(w.root, name="VIP")
    await exception(token, ExceptionKind.TARIFF, vip, group=w.g1)
    return Ask(st.id, token.uid)


async def p_station_exception_beats_group_exception(w: World) -> Ask:
    token, st = await driver(w), await site(w)
    await exception(token, ExceptionKind.FREE, group=w.g1a)
    vip = await factories.tariff(w.root, name="VIP")
    await exception(token, ExceptionKind.TARIFF, vip, station=st)
    return Ask(st.id, token.uid)


async def p_nearer_group_exception_beats_root(w: World) -> Ask:
    token, st = await driver(w), await site(w)
    await exception(token, ExceptionKind.TARIFF, await factories.tariff(w.root), group=w.root)
    await exception(token, ExceptionKind.FREE, group=w.g1)
    return Ask(st.id, token.uid)


async def p_exception_on_sibling_group(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    token, st = await driver(w), await site(w)
    await exception(token, ExceptionKind.FREE, group=w.g2)
    return Ask(st.id, token.uid)


async def p_exception_of_other_user(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    token, other, st = await driver(w), await driver(w), await site(w)
    await exception(other, ExceptionKind.FREE, station=st)
    return Ask(st.id, token.uid)


async def p_exception_beats_fee(w: World) -> Ask:
    group = await fee_group(w)
    token, st = await driver(w, member_of=group), await site(w)
    await applied(group, st)
    await exception(token, ExceptionKind.FREE, group=w.root)
    return Ask(st.id, token.uid)


async def p_exception_beats_station_tariff(w: World) -> Ask:
    token, st = await driver(w), await site(w, tariff=await factories.tariff(w.root))
    vip = await factories.tariff(w.root, name="VIP")
    await exception(token, ExceptionKind.TARIFF, vip, group=w.root)
    return Ask(st.id, token.uid)


async def p_ac_point_uses_ac_fee(w: World) -> Ask:
    group = await fee_group(w)
    token = await driver(w, member_of=group)
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    await applied(group, st)
    return Ask(st.id, token.uid, point_number=1)


async def p_dc_point_uses_dc_fee(w: World) -> Ask:
    group = await fee_group(w)
    token, st = await driver(w, member_of=group), await site(w)
    await factories.point(st, 2, power_type="dc")
    await applied(group, st)
    return Ask(st.id, token.uid, point_number=2)


async def p_no_point_on_dc_station(w: World) -> Ask:
    group = await fee_group(w)
    token, st = await driver(w, member_of=group), await site(w)
    await factories.point(st, 2, power_type="dc")
    await applied(group, st)
    return Ask(st.id, token.uid)


async def p_no_point_on_ac_station(w: World) -> Ask:
    group = await fee_group(w)
    token, st = await driver(w, member_of=group), await site(w)
    await applied(group, st)
    return Ask(st.id, token.uid)


async def p_inactive_user_group_fee(w: World) -> Ask:
    group = await fee_group(w, active=False)
    token = await driver(w, member_of=group)
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    await applied(group, st)
    return Ask(st.id, token.uid, point_number=1)


async def p_user_group_not_applied(w: World) -> Ask:
    group = await fee_group(w)
    token = await driver(w, member_of=group)
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    await applied(group, await site(w))
    return Ask(st.id, token.uid, point_number=1)


async def p_user_group_without_dc_fee(w: World) -> Ask:
    group = await factories.user_group(w.g1, ac_tariff=await factories.tariff(w.root))
    token = await driver(w, member_of=group)
    st = await factories.station(
        w.g1a, points=1, power_type="dc", tariff=await factories.tariff(w.root, name="Station")
    )
    await applied(group, st)
    return Ask(st.id, token.uid, point_number=1)


async def p_station_tariff(w: World) -> Ask:
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    return Ask(st.id, (await driver(w)).uid)


async def p_station_tariff_beats_group_tariff(w: World) -> Ask:
    await group_tariff(w.g1a, "Garage")
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    return Ask(st.id, (await driver(w)).uid)


async def p_own_group_tariff(w: World) -> Ask:
    await group_tariff(w.g1a, "Garage")
    return Ask((await site(w)).id, (await driver(w)).uid)


async def p_nearer_group_tariff_beats_root(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    await group_tariff(w.g1, "Pine standard")
    return Ask((await site(w)).id, (await driver(w)).uid)


async def p_root_tariff_inherited(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    await group_tariff(w.g2, "Birch")  # another branch: not above the station
    return Ask((await site(w)).id, (await driver(w)).uid)


async def p_no_tariff_anywhere(w: World) -> Ask:
    await group_tariff(w.g2, "Birch")
    return Ask((await site(w)).id, (await driver(w)).uid)


async def p_unknown_token_skips_user_rules(w: World) -> Ask:
    st = await site(w, tariff=await factories.tariff(w.root, name="Station"))
    return Ask(st.id, "NOT-A-TAG")


async def p_by_user_id(w: World) -> Ask:
    token, st = await driver(w), await site(w)
    await exception(token, ExceptionKind.FREE, station=st)
    return Ask(st.id, token_uid="", user_id=token.user_id)


async def p_removed_users_exception(w: World) -> Ask:
    await group_tariff(w.root, "Root")
    token, st = await driver(w), await site(w)
    await exception(token, ExceptionKind.FREE, station=st)
    await ChargingUser.filter(id=token.user_id).update(removed_at=NOW - HOUR)
    return Ask(st.id, token.uid)


PRICE_ROWS: list[tuple[Build, P, PR, str | None]] = [
    (p_unknown_station, P.UNKNOWN, PR.STATION_UNKNOWN, None),
    (p_unknown_point, P.UNKNOWN, PR.POINT_UNKNOWN, None),
    (p_free_station, P.FREE, PR.FREE_STATION, None),
    (p_free_station_and_exception_tariff, P.FREE, PR.FREE_STATION, None),
    (p_free_station_and_station_tariff, P.FREE, PR.FREE_STATION, None),
    (p_station_exception_free, P.FREE, PR.EXCEPTION_FREE, None),
    (p_group_exception_tariff, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP"),
    (p_station_exception_beats_group_exception, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP"),
    (p_nearer_group_exception_beats_root, P.FREE, PR.EXCEPTION_FREE, None),
    (p_exception_on_sibling_group, P.TARIFF, PR.GROUP_TARIFF, "Root"),
    (p_exception_of_other_user, P.TARIFF, PR.GROUP_TARIFF, "Root"),
    (p_exception_beats_fee, P.FREE, PR.EXCEPTION_FREE, None),
    (p_exception_beats_station_tariff, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP"),
    (p_ac_point_uses_ac_fee, P.TARIFF, PR.USER_GROUP_FEE_AC, "Staff AC"),
    (p_dc_point_uses_dc_fee, P.TARIFF, PR.USER_GROUP_FEE_DC, "Staff DC"),
    (p_no_point_on_dc_station, P.TARIFF, PR.USER_GROUP_FEE_DC, "Staff DC"),
    (p_no_point_on_ac_station, P.TARIFF, PR.USER_GROUP_FEE_AC, "Staff AC"),
    (p_inactive_user_group_fee, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_user_group_not_applied, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_user_group_without_dc_fee, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_station_tariff, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_station_tariff_beats_group_tariff, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_own_group_tariff, P.TARIFF, PR.GROUP_TARIFF, "Garage"),
    (p_nearer_group_tariff_beats_root, P.TARIFF, PR.GROUP_TARIFF, "Pine standard"),
    (p_root_tariff_inherited, P.TARIFF, PR.GROUP_TARIFF, "Root"),
    (p_no_tariff_anywhere, P.ZERO, PR.NO_TARIFF, None),
    (p_unknown_token_skips_user_rules, P.TARIFF, PR.STATION_TARIFF, "Station"),
    (p_by_user_id, P.FREE, PR.EXCEPTION_FREE, None),
    (p_removed_users_exception, P.TARIFF, PR.GROUP_TARIFF, "Root"),
]


async def ask_price(world: World, ask: Ask):  # type: ignore[no-untyped-def]
    return await price(
        organisation_id=world.org.id,
        station_id=ask.station_id,  # type: ignore[arg-type]
        point_number=ask.point_number,
        at=ask.at,
        user_id=ask.user_id,  # type: ignore[arg-type]
        token_uid=None if ask.user_id else ask.token_uid,
    )


@pytest.mark.parametrize(
    ("build", "result", "reason", "tariff"), PRICE_ROWS, ids=[r[0].__name__[2:] for r in PRICE_ROWS]
)
async def test_price(world: World, build: Build, result: P, reason: PR, tariff: str | None) -> None:
    decided = await ask_price(world, await build(world))
    assert (decided.result, decided.reason) == (result, reason), decided.explanation
    assert (decided.tariff.name if decided.tariff else None) == tariff
    assert decided.explanation.strip()


# --- what the decisions carry, and what they cost --------------------------------------------


async def test_authorization_carries_expiry_user_and_user_group(world: World) -> None:
    group = await factories.user_group(world.g1)
    token = await driver(world, valid_to=NOW + HOUR, member_of=group)
    st = await open_site(world)
    decided = await authorize(
        organisation_id=world.org.id, token_uid=token.uid, station_id=st.id, at=NOW
    )
    assert decided.status == AS.ACCEPTED
    assert decided.expires_at == NOW + HOUR
    assert (decided.user_id, decided.user_group_id) == (token.user_id, group.id)


async def test_price_snapshot_carries_the_tariffs_prices(world: World) -> None:
    tariff = await factories.tariff(
        world.root, name="Fast", per_kwh="0.4500", per_session="1.5", per_hour="2.25",
        vat_rate="25.5", currency="SEK", prices_include_vat=True,
    )  # fmt: skip
    st = await site(world, tariff=tariff)
    decided = await ask_price(world, Ask(st.id, "ANY"))
    snap = decided.tariff
    assert snap is not None
    assert (snap.tariff_id, snap.name, snap.currency, snap.prices_include_vat) == (
        tariff.id, "Fast", "SEK", True
    )  # fmt: skip
    assert (snap.price_per_kwh, snap.price_per_session, snap.price_per_hour, snap.vat_rate) == (
        Decimal("0.45"), Decimal("1.5"), Decimal("2.25"), Decimal("25.5")
    )  # fmt: skip


async def deep_station(world: World, depth: int) -> ChargingStation:
    group = world.g1a
    for _ in range(depth):
        group = await factories.group(group)
    return await factories.station(group, points=1)


@pytest.mark.parametrize("depth", [0, 6])
async def test_decisions_cost_a_few_statements_whatever_the_depth(world: World, depth: int) -> None:
    """The ancestors come in one statement from the path, so depth does not add statements."""
    group = await factories.user_group(world.g1, ac_tariff=await factories.tariff(world.root))
    token = await driver(world, member_of=group)
    st = await deep_station(world, depth)
    await applied(group, st)
    with count_sql() as auth_sql:
        decided = await authorize(
            organisation_id=world.org.id, token_uid=token.uid, station_id=st.id,
            point_number=1, at=NOW,
        )  # fmt: skip
    assert decided.reason == AR.USER_GROUP_APPLIED
    # Station, token, point, ancestors, access rights, user group application.
    assert auth_sql.count == 6, auth_sql.report()
    with count_sql() as price_sql:
        priced = await ask_price(world, Ask(st.id, token.uid, point_number=1))
    assert priced.reason == PR.USER_GROUP_FEE_AC
    # Station, point's power type, ancestors, user (fees joined), exceptions, application.
    assert price_sql.count == 6, price_sql.report()
