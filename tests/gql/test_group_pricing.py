"""Pricing of charging groups (seed 003): group pricing, price exceptions, a station's tariff
in and out of scope."""

from __future__ import annotations

import pytest

from domain.groups.models import ChargingGroup
from domain.pricing.models import PriceException
from tests import factories
from tests.gql.tariffs_support import (
    ACCESS_DENIED,
    ADD_EXCEPTION,
    GROUP_PRICING,
    SET_PRICING,
    errors,
    everything,
)

# --- group pricing -----------------------------------------------------------------------------


async def test_set_group_pricing_keeps_what_is_left_out_and_null_inherits(as_admin, world):
    root_tariff = await factories.tariff(world.root, name="Root")
    pine = await factories.tariff(world.root, name="Pine")
    await as_admin(SET_PRICING, group=str(world.root.id), tariff=str(root_tariff.id),
                   policy="OPEN", roaming=True)  # fmt: skip
    data = await as_admin(SET_PRICING, group=str(world.g1.id), tariff=str(pine.id))
    assert data["setGroupPricing"]["pricing"] == {
        "group": {"name": world.g1.name}, "tariff": {"name": "Pine"}, "accessPolicy": None,
        "allowRoaming": None, "effectiveTariff": {"name": "Pine"},
        "effectiveAccessPolicy": "OPEN", "effectiveAllowRoaming": True,
    }  # fmt: skip
    data = await as_admin(SET_PRICING, group=str(world.g1.id), policy="RESTRICTED", roaming=False)
    pricing = data["setGroupPricing"]["pricing"]
    assert (pricing["tariff"], pricing["accessPolicy"], pricing["allowRoaming"]) == (
        {"name": "Pine"}, "RESTRICTED", False
    )  # fmt: skip
    data = await as_admin(SET_PRICING, group=str(world.g1.id), tariff=None, policy=None,
                          roaming=None)  # fmt: skip
    data = await as_admin(GROUP_PRICING, group=str(world.g1a.id))
    assert data["groupPricing"] == {
        "tariff": None, "accessPolicy": None, "allowRoaming": None,
        "effectiveTariff": {"name": "Root"}, "effectiveAccessPolicy": "OPEN",
        "effectiveAllowRoaming": True,
    }  # fmt: skip
    assert (await ChargingGroup.get(id=world.g1.id)).version == 4


async def test_nothing_set_anywhere_is_restricted_zero_and_no_roaming(as_basic, world):
    data = await as_basic(GROUP_PRICING, group=str(world.g1a.id))
    assert data["groupPricing"] == {
        "tariff": None, "accessPolicy": None, "allowRoaming": None, "effectiveTariff": None,
        "effectiveAccessPolicy": "RESTRICTED", "effectiveAllowRoaming": False,
    }  # fmt: skip
    # Out of the basic operator's subtree: like a missing group.
    assert (await as_basic(GROUP_PRICING, group=str(world.g2.id)))["groupPricing"] is None


async def test_set_group_pricing_refuses_what_is_out_of_scope(as_admin, world):
    b_tariff = await factories.tariff(world.root_b, name="B")
    before = await everything()
    data = await as_admin(SET_PRICING, group=str(world.g1.id), tariff=str(b_tariff.id))
    assert errors(data, "setGroupPricing") == [
        {"code": "NOT_FOUND", "field": "tariffId", "message": "Tariff does not exist."}
    ]
    data = await as_admin(SET_PRICING, group=str(world.root_b.id), policy="OPEN")
    assert errors(data, "setGroupPricing") == [
        {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
    ]
    assert await everything() == before


# --- price exceptions --------------------------------------------------------------------------

ONE_TARGET = "Give either a charging group or a charging station, not both."
EXISTS = "The user already has a price exception here. Remove it first."

REMOVE_EXCEPTION = """
mutation($id: ID!) { removePriceException(id: $id) { deletedId errors { code field message } } }
"""
EXCEPTIONS = """
query($user: ID!) {
  priceExceptions(userId: $user) {
    totalCount items { kind group { name } stationIdentifier tariff { name } }
  }
}"""


async def test_admin_adds_lists_and_removes_exceptions(as_admin, as_basic, world):
    user = await factories.charging_user(world.g1)
    vip = await factories.tariff(world.root, name="VIP")
    station = await factories.station(world.g1a, identifier="PINE-1")
    data = await as_admin(ADD_EXCEPTION, input={"userId": str(user.id), "kind": "FREE",
                                                "groupId": str(world.g1.id)})  # fmt: skip
    free = data["addPriceException"]["exception"]
    assert (free["kind"], free["group"], free["tariff"]) == ("FREE", {"name": world.g1.name}, None)
    data = await as_admin(
        ADD_EXCEPTION,
        input={"userId": str(user.id), "kind": "TARIFF", "stationId": str(station.id),
               "tariffId": str(vip.id)},
    )  # fmt: skip
    exc = data["addPriceException"]["exception"]
    assert (exc["stationIdentifier"], exc["tariff"]) == ("PINE-1", {"name": "VIP"})
    listed = (await as_basic(EXCEPTIONS, user=str(user.id)))["priceExceptions"]
    assert listed["totalCount"] == 2
    assert [i["kind"] for i in listed["items"]] == ["FREE", "TARIFF"]
    data = await as_admin(REMOVE_EXCEPTION, id=free["id"])
    assert data["removePriceException"] == {"deletedId": free["id"], "errors": []}
    assert (await as_admin(EXCEPTIONS, user=str(user.id)))["priceExceptions"]["totalCount"] == 1


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"kind": "FREE"},
         ("INVALID_INPUT", "groupId", ONE_TARGET)),
        ({"kind": "FREE", "groupId": "G1", "stationId": "S"},
         ("INVALID_INPUT", "groupId", ONE_TARGET)),
        ({"kind": "TARIFF", "groupId": "G1"},
         ("REQUIRED", "tariffId", "A tariff exception needs a tariff.")),
        ({"kind": "FREE", "groupId": "G1", "tariffId": "T"},
         ("INVALID_INPUT", "tariffId", "A free exception takes no tariff.")),
        ({"kind": "TARIFF", "groupId": "G1", "tariffId": "TB"},
         ("NOT_FOUND", "tariffId", "Tariff does not exist.")),
        ({"kind": "FREE", "groupId": "GB"},
         ("NOT_FOUND", "groupId", "Charging group does not exist.")),
        ({"kind": "FREE", "stationId": "SB"},
         ("NOT_FOUND", "stationId", "Charging station does not exist.")),
        ({"kind": "FREE", "groupId": "G1", "userId": "UB"},
         ("NOT_FOUND", "userId", "Charging user not found.")),
        ({"kind": "FREE", "groupId": "G1", "userId": "nonsense"},
         ("NOT_FOUND", "userId", "Charging user not found.")),
        ({"kind": "FREE", "groupId": "G2"},
         ("ALREADY_EXISTS", "groupId", EXISTS)),
    ],
)  # fmt: skip
async def test_bad_exceptions_are_refused(as_admin, world, extra, error):
    user = await factories.charging_user(world.g1)
    await PriceException.create(user=user, group=world.g2, kind="free")
    ids = {
        "G1": world.g1.id, "G2": world.g2.id, "GB": world.root_b.id,
        "S": (await factories.station(world.g1)).id,
        "SB": (await factories.station(world.root_b)).id,
        "T": (await factories.tariff(world.root)).id,
        "TB": (await factories.tariff(world.root_b)).id,
        "UB": (await factories.charging_user(world.root_b)).id,
    }  # fmt: skip
    values = {k: str(ids.get(v, v)) for k, v in extra.items()}
    before = await everything()
    data = await as_admin(ADD_EXCEPTION, input={"userId": str(user.id), **values})
    code, field, message = error
    assert errors(data, "addPriceException") == [{"code": code, "field": field, "message": message}]
    assert await everything() == before


async def test_exceptions_outside_scope_behave_like_missing(client, as_basic, world):
    from tests.conftest import login

    user = await factories.charging_user(world.g1)
    in_g2 = await factories.charging_user(world.g2)
    inside = await PriceException.create(user=user, group=world.g1, kind="free")
    elsewhere = await PriceException.create(user=user, group=world.g2, kind="free")
    await PriceException.create(user=in_g2, group=world.g1, kind="free")
    # Basic at g1: the exception on g2 and the user in g2 are out of scope.
    listed = (await as_basic(EXCEPTIONS, user=str(user.id)))["priceExceptions"]
    assert [i["group"] for i in listed["items"]] == [{"name": world.g1.name}]
    assert (await as_basic(EXCEPTIONS, user=str(in_g2.id)))["priceExceptions"] is None
    data = await as_basic(REMOVE_EXCEPTION, id=str(inside.id))
    assert data["removePriceException"] == {"deletedId": None, "errors": ACCESS_DENIED}
    as_omega = client.as_token(await login(client, "omega"))
    before = await everything()
    for exc_id in (str(inside.id), str(elsewhere.id), "x"):
        data = await as_omega(REMOVE_EXCEPTION, id=exc_id)
        assert errors(data, "removePriceException") == [
            {"code": "NOT_FOUND", "field": "id", "message": "Price exception does not exist."}
        ]
    assert (await as_omega(EXCEPTIONS, user=str(user.id)))["priceExceptions"] is None
    assert await everything() == before


async def test_a_stations_tariff_outside_the_callers_subtree_shows_no_id(as_admin, as_basic, world):
    """The basic operator at g1 sees the station but not the root's tariff: neither the
    tariff nor its id."""
    root_tariff = await factories.tariff(world.root)
    station = await factories.station(world.g1, tariff=root_tariff)
    query = "query($id: ID!) { chargingStation(id: $id) { tariffId tariff { id } } }"
    seen = await as_basic(query, id=str(station.id))
    assert seen["chargingStation"] == {"tariffId": None, "tariff": None}
    seen = await as_admin(query, id=str(station.id))
    assert seen["chargingStation"] == {
        "tariffId": str(root_tariff.id),
        "tariff": {"id": str(root_tariff.id)},
    }
