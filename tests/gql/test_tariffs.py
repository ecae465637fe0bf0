"""Tariffs, group pricing settings and price exceptions through GraphQL (seeds 000-004)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.groups.models import ChargingGroup
from domain.pricing.models import PriceException, Tariff
from tests import factories
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

FIELDS = """id name pricePerKwh pricePerSession pricePerHour vatRate currency
pricesIncludeVat version group { name }"""
CREATE = (
    """
mutation($input: CreateTariffInput!) {
  createTariff(input: $input) { tariff { %s } errors { code field message } }
}"""
    % FIELDS
)
UPDATE = (
    """
mutation($input: UpdateTariffInput!) {
  updateTariff(input: $input) { tariff { %s } errors { code field message } }
}"""
    % FIELDS
)
DELETE = """
mutation($id: ID!, $version: Int) {
  deleteTariff(id: $id, version: $version) { deletedId errors { code field message } }
}"""
ONE = """query($id: ID!) { tariff(id: $id) { name group { name } } }"""
LIST = """
query($search: String, $sort: TariffSortInput, $page: PageInput) {
  tariffs(search: $search, sort: $sort, page: $page) { totalCount items { name group { name } } }
}"""
SET_PRICING = """
mutation($group: ID!, $tariff: ID, $policy: AccessPolicy, $roaming: Boolean) {
  setGroupPricing(groupId: $group, tariffId: $tariff, accessPolicy: $policy,
                  allowRoaming: $roaming) {
    pricing { group { name } tariff { name } accessPolicy allowRoaming
              effectiveTariff { name } effectiveAccessPolicy effectiveAllowRoaming }
    errors { code field message }
  }
}"""
GROUP_PRICING = """
query($group: ID!) {
  groupPricing(groupId: $group) {
    tariff { name } accessPolicy allowRoaming
    effectiveTariff { name } effectiveAccessPolicy effectiveAllowRoaming
  }
}"""
ACCESS_DENIED = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]
TARIFF_MISSING = [{"code": "NOT_FOUND", "field": "id", "message": "Tariff does not exist."}]


async def tariffs() -> list[tuple[Any, ...]]:
    return sorted(
        (str(t.id), t.name, str(t.group_id), t.price_per_kwh, t.price_per_session,
         t.price_per_hour, t.vat_rate, t.currency, t.prices_include_vat, t.version)
        for t in await Tariff.all()
    )  # fmt: skip


async def pricing_settings() -> list[tuple[Any, ...]]:
    return sorted(
        (str(g.id), str(g.tariff_id), g.access_policy, g.allow_roaming, g.version)
        for g in await ChargingGroup.all()
    )


async def everything() -> tuple[Any, ...]:
    exceptions = sorted(str(e.id) for e in await PriceException.all())
    return await tariffs(), await pricing_settings(), exceptions


def errors(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = data[field]["errors"]
    return result


# --- create ------------------------------------------------------------------------------------


async def test_admin_creates_tariff_with_defaults_in_base_group(as_admin, world):
    data = await as_admin(CREATE, input={"name": "Standard", "pricePerKwh": "0.35"})
    payload = data["createTariff"]
    assert payload["errors"] == []
    tariff = payload["tariff"]
    assert tariff["name"] == "Standard"
    assert tariff["group"] == {"name": world.root.name}
    assert (tariff["pricePerKwh"], tariff["pricePerSession"], tariff["pricePerHour"]) == (
        "0.3500", "0.0000", "0.0000"
    )  # fmt: skip
    # Seed 004: station tariffs exclude VAT, unless told otherwise.
    assert (tariff["currency"], tariff["pricesIncludeVat"], tariff["version"]) == ("EUR", False, 1)


async def test_admin_creates_tariff_with_every_field(as_admin, world):
    data = await as_admin(
        CREATE,
        input={
            "name": "  Pine members  ", "groupId": str(world.g1.id), "pricePerKwh": "0.2999",
            "pricePerSession": "1.5", "pricePerHour": "2", "vatRate": "25.5",
            "currency": "SEK", "pricesIncludeVat": True,
        },
    )  # fmt: skip
    tariff = data["createTariff"]["tariff"]
    assert tariff["name"] == "Pine members"
    assert tariff["group"] == {"name": world.g1.name}
    assert tariff["pricePerKwh"] == "0.2999"
    assert (tariff["vatRate"], tariff["currency"], tariff["pricesIncludeVat"]) == (
        "25.50", "SEK", True
    )  # fmt: skip


@pytest.mark.parametrize("field", ["pricePerKwh", "pricePerSession", "pricePerHour"])
async def test_negative_price_is_refused(as_admin, world, field):
    before = await tariffs()
    data = await as_admin(CREATE, input={"name": "Bad", field: "-0.01"})
    assert errors(data, "createTariff") == [
        {"code": "INVALID_INPUT", "field": field, "message": "Prices cannot be negative."}
    ]
    assert data["createTariff"]["tariff"] is None
    assert await tariffs() == before


CURRENCY = "Currency must be an ISO 4217 code of three upper-case letters, such as EUR."
VAT_RANGE = "VAT rate must be between 0 and 100 %."


@pytest.mark.parametrize(
    ("changes", "code", "field", "message"),
    [
        ({"pricePerKwh": "0.12345"}, "INVALID_INPUT", "pricePerKwh",
         "Prices can have at most 4 decimals."),
        ({"pricePerHour": "100000000"}, "INVALID_INPUT", "pricePerHour",
         "Prices must be less than 100000000."),
        ({"pricePerSession": "NaN"}, "INVALID_INPUT", "pricePerSession", "Give a number."),
        ({"vatRate": "-1"}, "INVALID_INPUT", "vatRate", VAT_RANGE),
        ({"vatRate": "100.01"}, "INVALID_INPUT", "vatRate", VAT_RANGE),
        ({"vatRate": "24.555"}, "INVALID_INPUT", "vatRate",
         "VAT rate can have at most 2 decimals."),
        *[({"currency": bad}, "INVALID_INPUT", "currency", CURRENCY)
          for bad in ("eur", "EURO", "E1R", "", "€")],
        ({"name": "  "}, "REQUIRED", "name", "Name is required."),
        ({"name": "x" * 101}, "TOO_LONG", "name", "Name is longer than 100 characters."),
    ],
)  # fmt: skip
async def test_bad_tariff_input_is_refused_on_create_and_update(
    as_admin, world, changes, code, field, message
):
    tariff = await factories.tariff(world.root, name="Standard")
    before = await tariffs()
    expected = [{"code": code, "field": field, "message": message}]
    data = await as_admin(CREATE, input={"name": "New", **changes})
    assert errors(data, "createTariff") == expected
    data = await as_admin(UPDATE, input={"id": str(tariff.id), **changes})
    assert errors(data, "updateTariff") == expected
    assert await tariffs() == before


@pytest.mark.parametrize("vat", ["0", "100", "24"])
async def test_vat_rate_bounds_are_inclusive(as_admin, world, vat):
    data = await as_admin(CREATE, input={"name": "Edge", "vatRate": vat})
    assert data["createTariff"]["errors"] == []


async def test_owner_group_out_of_scope_is_not_found(as_admin, world):
    before = await tariffs()
    for group in (str(world.root_b.id), "not-an-id", str(uuid.uuid4())):
        data = await as_admin(CREATE, input={"name": "Elsewhere", "groupId": group})
        assert errors(data, "createTariff") == [
            {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
        ]
    assert await tariffs() == before


# --- update, delete, roles ---------------------------------------------------------------------


async def test_admin_updates_tariff_and_stale_version_conflicts(as_admin, world):
    tariff = await factories.tariff(world.root, name="Standard")
    data = await as_admin(
        UPDATE,
        input={"id": str(tariff.id), "pricePerKwh": "0.41", "groupId": str(world.g2.id),
               "pricesIncludeVat": True, "version": 1},
    )  # fmt: skip
    updated = data["updateTariff"]["tariff"]
    assert (updated["name"], updated["pricePerKwh"], updated["version"]) == (
        "Standard", "0.4100", 2
    )  # fmt: skip
    assert (updated["group"], updated["pricesIncludeVat"]) == ({"name": world.g2.name}, True)
    before = await tariffs()
    data = await as_admin(UPDATE, input={"id": str(tariff.id), "name": "Late", "version": 1})
    assert errors(data, "updateTariff") == [
        {
            "code": "CONFLICT",
            "field": "version",
            "message": "Someone else changed this in the meantime. Reload and try again.",
        }
    ]
    assert await tariffs() == before


async def test_basic_operator_cannot_manage_tariffs(as_basic, world):
    tariff = await factories.tariff(world.g1, name="Pine")
    before = await everything()
    data = await as_basic(CREATE, input={"name": "Mine"})
    assert data["createTariff"] == {"tariff": None, "errors": ACCESS_DENIED}
    data = await as_basic(UPDATE, input={"id": str(tariff.id), "pricePerKwh": "0"})
    assert data["updateTariff"] == {"tariff": None, "errors": ACCESS_DENIED}
    data = await as_basic(DELETE, id=str(tariff.id))
    assert data["deleteTariff"] == {"deletedId": None, "errors": ACCESS_DENIED}
    data = await as_basic(SET_PRICING, group=str(world.g1.id), tariff=str(tariff.id))
    assert data["setGroupPricing"] == {"pricing": None, "errors": ACCESS_DENIED}
    user = await factories.charging_user(world.g1)
    data = await as_basic(
        ADD_EXCEPTION, input={"userId": str(user.id), "kind": "FREE", "groupId": str(world.g1.id)}
    )
    assert data["addPriceException"] == {"exception": None, "errors": ACCESS_DENIED}
    assert await everything() == before


@pytest.mark.actors("admin", "basic", "outsider")
async def test_reading_tariffs_follows_scope(as_actor, actor_role, world):
    root = await factories.tariff(world.root, name="Root tariff")
    await factories.tariff(world.g1a, name="Garage tariff")
    await factories.tariff(world.root_b, name="B tariff")
    data = await as_actor(LIST)
    names = sorted(item["name"] for item in data["tariffs"]["items"])
    expected = {
        "admin": ["Garage tariff", "Root tariff"],
        "basic": ["Garage tariff"],
        "outsider": ["B tariff"],
    }[actor_role]
    assert names == expected
    assert data["tariffs"]["totalCount"] == len(expected)
    one = (await as_actor(ONE, id=str(root.id)))["tariff"]
    assert one == ({"name": "Root tariff", "group": {"name": world.root.name}}
                   if actor_role == "admin" else None)  # fmt: skip


async def test_outsider_ids_behave_like_missing(client, world):
    from tests.conftest import login

    as_omega = client.as_token(await login(client, "omega"))
    tariff = await factories.tariff(world.root, name="A only")
    before = await tariffs()
    for tariff_id in (str(tariff.id), str(uuid.uuid4()), "garbage"):
        data = await as_omega(UPDATE, input={"id": tariff_id, "name": "Stolen"})
        assert errors(data, "updateTariff") == TARIFF_MISSING
        data = await as_omega(DELETE, id=tariff_id)
        assert errors(data, "deleteTariff") == TARIFF_MISSING
    assert await tariffs() == before


async def test_delete_unused_tariff(as_admin, world):
    tariff = await factories.tariff(world.root)
    data = await as_admin(DELETE, id=str(tariff.id), version=1)
    assert data["deleteTariff"] == {"deletedId": str(tariff.id), "errors": []}
    assert not await Tariff.exists(id=tariff.id)


async def test_tariff_in_use_cannot_be_deleted(as_admin, world):
    tariff = await factories.tariff(world.root, name="Busy")
    await ChargingGroup.filter(id=world.g1.id).update(tariff_id=tariff.id)
    await factories.station(world.g1a, tariff=tariff)
    await factories.user_group(world.g1, ac_tariff=tariff, dc_tariff=tariff)
    user = await factories.charging_user(world.g1)
    await PriceException.create(user=user, group=world.g2, kind="tariff", tariff=tariff)
    await PriceException.create(user=user, group=world.g1, kind="tariff", tariff=tariff)
    before = await everything()
    data = await as_admin(DELETE, id=str(tariff.id))
    assert errors(data, "deleteTariff") == [
        {
            "code": "NOT_EMPTY",
            "field": "id",
            "message": "The tariff is in use by 1 charging group, 1 charging station, "
            "2 user group fees, 2 price exceptions. Remove it from them first.",
        }
    ]
    assert await everything() == before


# --- list --------------------------------------------------------------------------------------


async def test_list_searches_sorts_and_pages(as_admin, world):
    for name in ("Alpha", "Beta", "Gamma", "alphabet"):
        await factories.tariff(world.g1, name=name)
    data = await as_admin(LIST, search="alpha", sort={"field": "NAME", "direction": "DESC"})
    assert data["tariffs"]["totalCount"] == 2
    assert [i["name"] for i in data["tariffs"]["items"]] == ["alphabet", "Alpha"]
    data = await as_admin(LIST, page={"offset": 1, "limit": 2})
    assert data["tariffs"]["totalCount"] == 4
    assert [i["name"] for i in data["tariffs"]["items"]] == ["alphabet", "Beta"]
    body = await as_admin.raw(LIST, {"page": {"limit": 101}})
    assert body["errors"][0]["message"] == "Limit must be between 1 and 100."


async def test_list_statements_do_not_grow_with_rows(as_admin, world):
    owners = [world.root, world.g1, world.g1a, world.g2]

    async def listed(client: GraphQLClient) -> int:
        with count_sql() as sql:
            data = await client(LIST, page={"limit": 100})
        assert all(item["group"]["name"] for item in data["tariffs"]["items"])
        return sql.count

    for n in range(10):
        await factories.tariff(owners[n % 4])
    ten = await listed(as_admin)
    for n in range(90):
        await factories.tariff(owners[n % 4])
    hundred = await listed(as_admin)
    # Session lookup, count, page, group loader.
    assert ten == 4
    assert hundred == ten


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
ADD_EXCEPTION = """
mutation($input: AddPriceExceptionInput!) {
  addPriceException(input: $input) {
    exception { id kind group { name } stationIdentifier tariff { name } }
    errors { code field message }
  }
}"""
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
