"""price(): one row per rule and per precedence conflict (see domain/pricing/decisions.py
for the rules and their order). Each row builds its own data on top of the world."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from domain.pricing.decisions import PriceReason as PR
from domain.pricing.decisions import PriceResult as P
from domain.pricing.models import ExceptionKind
from domain.users.models import ChargingUser
from tests import factories
from tests.decisions.common import (
    HOUR,
    NOW,
    ROOT_NAME,
    Ask,
    Build,
    applied,
    driver,
    exception,
    fee_group,
    group_tariff,
    site,
)
from tests.factories import World


class PriceRow(NamedTuple):
    build: Build
    result: P
    reason: PR
    tariff: str | None  # the name of the tariff that applies
    explains: str  # a phrase the explanation must contain, as an admin at the root reads it


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


R = PriceRow
FREE_STATION = "is a free-charging station: it ignores all cost settings."
OWN_TARIFF = 'has its own tariff "Station".'
ROOT_TARIFF = f'Tariff "Root" of group {ROOT_NAME}, the nearest group above the station'

PRICE_ROWS: list[PriceRow] = [
    R(p_unknown_station, P.UNKNOWN, PR.STATION_UNKNOWN, None, "The station does not exist."),
    R(p_unknown_point, P.UNKNOWN, PR.POINT_UNKNOWN, None, "has no charging point 3."),
    R(p_free_station, P.FREE, PR.FREE_STATION, None, FREE_STATION),
    R(p_free_station_and_exception_tariff, P.FREE, PR.FREE_STATION, None, FREE_STATION),
    R(p_free_station_and_station_tariff, P.FREE, PR.FREE_STATION, None, FREE_STATION),
    R(p_station_exception_free, P.FREE, PR.EXCEPTION_FREE, None,
      "The user has a free-charging exception on station "),
    R(p_group_exception_tariff, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP",
      'The user has a price exception on group "ACME Pine Mall": tariff "VIP".'),
    R(p_station_exception_beats_group_exception, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP",
      "The user has a price exception on station "),
    R(p_nearer_group_exception_beats_root, P.FREE, PR.EXCEPTION_FREE, None,
      'The user has a free-charging exception on group "ACME Pine Mall".'),
    R(p_exception_on_sibling_group, P.TARIFF, PR.GROUP_TARIFF, "Root", ROOT_TARIFF),
    R(p_exception_of_other_user, P.TARIFF, PR.GROUP_TARIFF, "Root", ROOT_TARIFF),
    R(p_exception_beats_fee, P.FREE, PR.EXCEPTION_FREE, None,
      f"The user has a free-charging exception on group {ROOT_NAME}."),
    R(p_exception_beats_station_tariff, P.TARIFF, PR.EXCEPTION_TARIFF, "VIP",
      f'The user has a price exception on group {ROOT_NAME}: tariff "VIP".'),
    R(p_ac_point_uses_ac_fee, P.TARIFF, PR.USER_GROUP_FEE_AC, "Staff AC",
      'point 1 has no DC socket, so the AC fee applies: tariff "Staff AC".'),
    R(p_dc_point_uses_dc_fee, P.TARIFF, PR.USER_GROUP_FEE_DC, "Staff DC",
      'point 2 has a DC socket, so the DC fee applies: tariff "Staff DC".'),
    R(p_no_point_on_dc_station, P.TARIFF, PR.USER_GROUP_FEE_DC, "Staff DC",
      'has a DC socket, so the DC fee applies: tariff "Staff DC".'),
    R(p_no_point_on_ac_station, P.TARIFF, PR.USER_GROUP_FEE_AC, "Staff AC",
      'has no DC socket, so the AC fee applies: tariff "Staff AC".'),
    R(p_inactive_user_group_fee, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_user_group_not_applied, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_user_group_without_dc_fee, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_station_tariff, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_station_tariff_beats_group_tariff, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_own_group_tariff, P.TARIFF, PR.GROUP_TARIFF, "Garage",
      'Tariff "Garage" of group "Pine Mall garage", the nearest group above'),
    R(p_nearer_group_tariff_beats_root, P.TARIFF, PR.GROUP_TARIFF, "Pine standard",
      'Tariff "Pine standard" of group "ACME Pine Mall", the nearest group above'),
    R(p_root_tariff_inherited, P.TARIFF, PR.GROUP_TARIFF, "Root", ROOT_TARIFF),
    R(p_no_tariff_anywhere, P.ZERO, PR.NO_TARIFF, None,
      "No tariff is set on the station or on any group above it: priced at zero."),
    R(p_unknown_token_skips_user_rules, P.TARIFF, PR.STATION_TARIFF, "Station", OWN_TARIFF),
    R(p_by_user_id, P.FREE, PR.EXCEPTION_FREE, None,
      "The user has a free-charging exception on station "),
    R(p_removed_users_exception, P.TARIFF, PR.GROUP_TARIFF, "Root", ROOT_TARIFF),
]  # fmt: skip
