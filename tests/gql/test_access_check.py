"""accessCheck: would token X be accepted at station Y, and at what price? (read-only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.groups.models import AccessPolicy, ChargingGroup
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

CHECK = """
query($token: String!, $station: ID!, $point: Int, $at: DateTime) {
  accessCheck(tokenUid: $token, stationId: $station, pointNumber: $point, at: $at) {
    authorization { status reason explanation expiresAt }
    price { result reason explanation
            tariff { name pricePerKwh pricePerSession pricePerHour vatRate currency
                     pricesIncludeVat } }
  }
}"""
SET_PRICING = """
mutation($group: ID!, $tariff: ID, $policy: AccessPolicy) {
  setGroupPricing(groupId: $group, tariffId: $tariff, accessPolicy: $policy) {
    errors { code message }
  }
}"""


async def check(client: GraphQLClient, token: str, station: object, **extra: Any) -> Any:
    data = await client(CHECK, token=token, station=str(station), **extra)
    return data["accessCheck"]


def summary(result: dict[str, Any]) -> tuple[Any, ...]:
    """Status, reasons and tariff name; explanations must say something."""
    auth, price = result["authorization"], result["price"]
    assert auth["explanation"] and price["explanation"]
    return auth["status"], auth["reason"], price["reason"], (price["tariff"] or {}).get("name")


async def set_pricing(client: GraphQLClient, group: ChargingGroup, **values: Any) -> None:
    data = await client(SET_PRICING, group=str(group.id), **values)
    assert data["setGroupPricing"]["errors"] == []


async def test_group_pricing_inheritance_through_access_check(as_admin, world):
    user = await factories.charging_user(world.g1)
    await factories.token(user, "PINE-TAG")
    station = await factories.station(world.g1a, points=1)
    root = await factories.tariff(world.root, name="Root", per_kwh="0.30")
    pine = await factories.tariff(world.root, name="Pine", per_kwh="0.25")

    # Nothing set anywhere: restricted by default, priced at zero.
    assert summary(await check(as_admin, "PINE-TAG", station.id)) == (
        "NOT_ALLOWED", "NO_ACCESS_RIGHT", "NO_TARIFF", None
    )  # fmt: skip
    # The root's tariff and policy reach the station two levels below.
    await set_pricing(as_admin, world.root, tariff=str(root.id), policy="OPEN")
    assert summary(await check(as_admin, "pine-tag", station.id)) == (
        "ACCEPTED", "OPEN_ACCESS", "GROUP_TARIFF", "Root"
    )  # fmt: skip
    # A nearer group overrides the root.
    await set_pricing(as_admin, world.g1, tariff=str(pine.id), policy="RESTRICTED")
    assert summary(await check(as_admin, "PINE-TAG", station.id)) == (
        "NOT_ALLOWED", "NO_ACCESS_RIGHT", "GROUP_TARIFF", "Pine"
    )  # fmt: skip
    # Back to inheriting from the root.
    await set_pricing(as_admin, world.g1, tariff=None, policy=None)
    result = await check(as_admin, "PINE-TAG", station.id, point=1)
    assert summary(result) == ("ACCEPTED", "OPEN_ACCESS", "GROUP_TARIFF", "Root")
    assert result["price"]["result"] == "TARIFF"
    assert result["price"]["tariff"] == {
        "name": "Root", "pricePerKwh": "0.3000", "pricePerSession": "0.0000",
        "pricePerHour": "0.0000", "vatRate": "24.00", "currency": "EUR",
        "pricesIncludeVat": False,
    }  # fmt: skip


async def test_station_override_and_user_exception_show_in_the_check(as_admin, world):
    await set_pricing(as_admin, world.root, policy="OPEN")
    own = await factories.tariff(world.root, name="Own")
    station = await factories.station(world.g1a, points=1, tariff=own)
    user = await factories.charging_user(world.g1)
    await factories.token(user, "VIP-TAG")
    assert summary(await check(as_admin, "VIP-TAG", station.id)) == (
        "ACCEPTED", "OPEN_ACCESS", "STATION_TARIFF", "Own"
    )  # fmt: skip
    data = await as_admin(
        """mutation($u: ID!, $g: ID!) { addPriceException(input: {userId: $u, kind: FREE,
           groupId: $g}) { errors { message } } }""",
        u=str(user.id), g=str(world.g1.id),
    )  # fmt: skip
    assert data["addPriceException"]["errors"] == []
    result = await check(as_admin, "VIP-TAG", station.id)
    assert summary(result) == ("ACCEPTED", "OPEN_ACCESS", "EXCEPTION_FREE", None)
    assert result["price"]["result"] == "FREE"


async def test_at_and_expiry(as_admin, world):
    await ChargingGroup.filter(id=world.root.id).update(access_policy=AccessPolicy.OPEN)
    valid_to = datetime(2030, 1, 1, tzinfo=UTC)
    user = await factories.charging_user(world.g1)
    await factories.token(user, "DATED", valid_to=valid_to)
    station = await factories.station(world.g1, points=2)
    result = await check(as_admin, "DATED", station.id, point=2)
    assert result["authorization"]["status"] == "ACCEPTED"
    assert result["authorization"]["expiresAt"] == "2030-01-01T00:00:00+00:00"
    later = (valid_to + timedelta(seconds=1)).isoformat()
    result = await check(as_admin, "DATED", station.id, at=later)
    assert result["authorization"]["status"] == "EXPIRED"
    assert result["authorization"]["reason"] == "TOKEN_EXPIRED"
    result = await check(as_admin, "DATED", station.id, point=3)
    assert summary(result) == ("NOT_ALLOWED", "POINT_UNKNOWN", "POINT_UNKNOWN", None)


@pytest.mark.actors("admin", "basic", "outsider")
async def test_access_check_as_each_actor(as_actor, actor_role, world):
    """Admin sees every station of A; basic only g1's subtree; the outsider none of A's."""
    await ChargingGroup.filter(id=world.root.id).update(access_policy=AccessPolicy.OPEN)
    user = await factories.charging_user(world.g1)
    await factories.token(user, "A-TAG")
    in_g1a = await factories.station(world.g1a, points=1)
    in_g2 = await factories.station(world.g2, points=1)
    b_user = await factories.charging_user(world.root_b)
    await factories.token(b_user, "B-TAG")
    in_b = await factories.station(world.root_b, points=1, access_policy=AccessPolicy.OPEN)

    visible = {
        "admin": {"g1a": True, "g2": True, "b": False},
        "basic": {"g1a": True, "g2": False, "b": False},
        "outsider": {"g1a": False, "g2": False, "b": True},
    }[actor_role]
    for key, station, token in (("g1a", in_g1a, "A-TAG"), ("g2", in_g2, "A-TAG"),
                                ("b", in_b, "B-TAG")):  # fmt: skip
        result = await check(as_actor, token, station.id)
        if visible[key]:
            assert result["authorization"]["status"] == "ACCEPTED", result
        else:
            assert result is None
    # Tokens are looked up in the operator's own organisation only.
    own_station = in_b if actor_role == "outsider" else in_g1a
    other_token = "A-TAG" if actor_role == "outsider" else "B-TAG"
    result = await check(as_actor, other_token, own_station.id)
    assert (result["authorization"]["status"], result["authorization"]["reason"]) == (
        "INVALID", "TOKEN_UNKNOWN"
    )  # fmt: skip
    assert result["authorization"]["expiresAt"] is None
    # Malformed ids answer like missing stations.
    assert await check(as_actor, "A-TAG", "not-an-id") is None


async def test_access_check_needs_a_login(client, world):
    station = await factories.station(world.g1, points=1)
    body = await client.raw(CHECK, {"token": "X", "station": str(station.id)})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["data"] == {"accessCheck": None}


async def test_access_check_costs_a_fixed_number_of_statements(as_basic, world):
    user = await factories.charging_user(world.g1)
    await factories.token(user, "COUNTED")
    station = await factories.station(world.g1a, points=1)
    with count_sql() as sql:
        result = await check(as_basic, "COUNTED", station.id, point=1)
    assert result["authorization"]["reason"] == "NO_ACCESS_RIGHT"
    # Session, visibility; authorize: station, token, point, ancestors, rights;
    # price: station, power type, ancestors, user, exceptions.
    assert sql.count == 13, sql.report()


async def test_groups_above_the_operators_base_group_stay_unnamed(client, as_admin, world):
    """The basic operator at g1 sees the decision, but not the name of the root group."""
    user = await factories.charging_user(world.g1)
    await factories.token(user, "ROOT-RIGHT")
    await factories.access_right(user, group=world.root)
    station = await factories.station(world.g1a, points=1)
    await set_pricing(as_admin, world.root, policy="RESTRICTED")
    as_basic = client.as_token(await login(client, "beta"))
    admin_view = await check(as_admin, "ROOT-RIGHT", station.id)
    basic_view = await check(as_basic, "ROOT-RIGHT", station.id)
    assert admin_view["authorization"]["status"] == basic_view["authorization"]["status"]
    assert '"ACME Shopping Malls"' in admin_view["authorization"]["explanation"]
    assert "ACME Shopping Malls" not in basic_view["authorization"]["explanation"]
    assert "above your base group" in basic_view["authorization"]["explanation"]
