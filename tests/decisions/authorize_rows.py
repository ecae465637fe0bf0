"""authorize(): one row per rule and per precedence conflict (see domain/pricing/decisions.py
for the rules and their order). Each row builds its own data on top of the world."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from domain.pricing.decisions import AuthorizationReason as AR
from domain.pricing.decisions import AuthorizationStatus as AS
from domain.stations.models import StationState
from domain.users.models import ChargingUser, Token
from tests import factories
from tests.decisions.common import (
    HOUR,
    NOW,
    OPEN,
    RESTRICTED,
    ROOT_NAME,
    Ask,
    Build,
    applied,
    driver,
    open_site,
    policy,
    site,
)
from tests.factories import World


class AuthorizeRow(NamedTuple):
    build: Build
    status: AS
    reason: AR
    explains: str  # a phrase the explanation must contain, as an admin at the root reads it


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


R = AuthorizeRow
NO_RIGHT = "and the user has no access right here."
OWN_OPEN = "is open to every valid token (the station's own policy)."
UNKNOWN_HERE = "is not known in this organisation."

AUTHORIZE_ROWS: list[AuthorizeRow] = [
    R(a_unknown_station, AS.NOT_ALLOWED, AR.STATION_UNKNOWN, "The station does not exist."),
    R(a_station_of_other_org, AS.NOT_ALLOWED, AR.STATION_UNKNOWN, "The station does not exist."),
    R(a_discovered_station, AS.NOT_ALLOWED, AR.STATION_NOT_ACTIVE, "is discovered, not in use"),
    R(a_orphan_station, AS.NOT_ALLOWED, AR.STATION_NOT_ACTIVE, "is orphan, not in use"),
    R(a_disabled_station, AS.NOT_ALLOWED, AR.STATION_DISABLED, "is disabled: no charging"),
    R(a_disabled_station_unknown_token, AS.NOT_ALLOWED, AR.STATION_DISABLED, "is disabled"),
    R(a_unknown_token, AS.INVALID, AR.TOKEN_UNKNOWN, f"Token KNOWN-2 {UNKNOWN_HERE}"),
    R(a_token_of_other_org, AS.INVALID, AR.TOKEN_UNKNOWN, f"Token ONLY-IN-B {UNKNOWN_HERE}"),
    R(a_deleted_token, AS.INVALID, AR.TOKEN_UNKNOWN, UNKNOWN_HERE),
    R(a_removed_user, AS.INVALID, AR.TOKEN_UNKNOWN, UNKNOWN_HERE),
    R(a_lower_case_uid, AS.ACCEPTED, AR.OPEN_ACCESS, OWN_OPEN),
    R(a_blocked, AS.BLOCKED, AR.TOKEN_BLOCKED, "is blocked."),
    R(a_blocked_and_expired, AS.BLOCKED, AR.TOKEN_BLOCKED, "is blocked."),
    R(a_blocked_and_unknown_point, AS.BLOCKED, AR.TOKEN_BLOCKED, "is blocked."),
    R(a_expired, AS.EXPIRED, AR.TOKEN_EXPIRED, "expired at 2025-06-01T11:00:00+00:00."),
    R(a_valid_until_now, AS.ACCEPTED, AR.OPEN_ACCESS, OWN_OPEN),
    R(a_not_yet_valid, AS.EXPIRED, AR.TOKEN_NOT_YET_VALID, "valid only from 2025-06-01T13:00"),
    R(a_inside_window, AS.ACCEPTED, AR.OPEN_ACCESS, OWN_OPEN),
    R(a_expired_and_inactive, AS.EXPIRED, AR.TOKEN_EXPIRED, "expired at 2025-06-01T11:00"),
    R(a_inactive_token, AS.INVALID, AR.TOKEN_INACTIVE, "is inactive."),
    R(a_inactive_token_inactive_user, AS.INVALID, AR.TOKEN_INACTIVE, "is inactive."),
    R(a_inactive_user, AS.NOT_ALLOWED, AR.USER_INACTIVE, "@example.com: inactive."),
    R(a_inactive_user_inactive_group, AS.NOT_ALLOWED, AR.USER_INACTIVE, "@example.com: inactive."),
    R(a_inactive_user_group, AS.NOT_ALLOWED, AR.USER_GROUP_INACTIVE, "user group is inactive."),
    R(a_inactive_user_group_with_right, AS.NOT_ALLOWED, AR.USER_GROUP_INACTIVE, "is inactive."),
    R(a_unknown_point, AS.NOT_ALLOWED, AR.POINT_UNKNOWN, "has no charging point 2."),
    R(a_known_point, AS.ACCEPTED, AR.OPEN_ACCESS, OWN_OPEN),
    R(a_unknown_point_no_right, AS.NOT_ALLOWED, AR.POINT_UNKNOWN, "has no charging point 5."),
    R(a_station_open, AS.ACCEPTED, AR.OPEN_ACCESS, OWN_OPEN),
    R(a_root_open_inherited, AS.ACCEPTED, AR.OPEN_ACCESS,
      f'open to every valid token (the policy of group {ROOT_NAME}, the nearest group above'),
    R(a_nearer_restricted_beats_root_open, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT,
      'is restricted (the policy of group "ACME Pine Mall", the nearest group above'),
    R(a_nearer_open_beats_root_restricted, AS.ACCEPTED, AR.OPEN_ACCESS,
      'open to every valid token (the policy of group "Pine Mall garage"'),
    R(a_station_restricted_beats_group_open, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT,
      f"is restricted (the station's own policy) {NO_RIGHT}"),
    R(a_no_policy_anywhere, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT,
      f"(no access policy is set above it: restricted by default) {NO_RIGHT}"),
    R(a_station_right, AS.ACCEPTED, AR.STATION_ACCESS_RIGHT,
      "the user has an access right on the station."),
    R(a_group_right_above, AS.ACCEPTED, AR.GROUP_ACCESS_RIGHT,
      'the user has an access right on group "ACME Pine Mall".'),
    R(a_right_on_sibling_group, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT, NO_RIGHT),
    R(a_right_on_other_station, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT, NO_RIGHT),
    R(a_right_on_group_below_station, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT, NO_RIGHT),
    R(a_user_group_applied, AS.ACCEPTED, AR.USER_GROUP_APPLIED, "is applied to it."),
    R(a_user_group_applied_elsewhere, AS.NOT_ALLOWED, AR.NO_ACCESS_RIGHT, NO_RIGHT),
]  # fmt: skip
