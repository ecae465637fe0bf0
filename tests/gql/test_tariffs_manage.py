"""Tariffs (seed 003): create, update, delete, who may, and the list."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.groups.models import ChargingGroup
from domain.pricing.models import PriceException, Tariff
from tests import factories
from tests.gql.tariffs_support import (
    ACCESS_DENIED,
    ADD_EXCEPTION,
    CREATE,
    DELETE,
    LIST,
    ONE,
    SET_PRICING,
    TARIFF_MISSING,
    UPDATE,
    errors,
    everything,
    tariffs,
)
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

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


# --- names ---------------------------------------------------------------------------------

NAME_TAKEN = [
    {
        "code": "ALREADY_EXISTS",
        "field": "name",
        "message": "The group already owns a tariff with this name (in any case).",
    }
]


async def test_tariff_names_are_unique_per_owning_group_in_any_case(as_admin, world):
    await factories.tariff(world.root, name="Standard AC")
    other = await factories.tariff(world.root, name="Night")
    in_g1 = await factories.tariff(world.g1, name="standard ac")
    before = await everything()
    for name in ("Standard AC", "STANDARD ac", " standard AC "):
        data = await as_admin(CREATE, input={"name": name})
        assert data["createTariff"] == {"tariff": None, "errors": NAME_TAKEN}
        data = await as_admin(UPDATE, input={"id": str(other.id), "name": name})
        assert data["updateTariff"] == {"tariff": None, "errors": NAME_TAKEN}
    # Given to the group that has one of that name: refused as well.
    data = await as_admin(UPDATE, input={"id": str(in_g1.id), "groupId": str(world.root.id)})
    assert data["updateTariff"] == {"tariff": None, "errors": NAME_TAKEN}
    assert await everything() == before
    # Another group may have it, and a tariff may change its own name's case.
    data = await as_admin(CREATE, input={"name": "Standard AC", "groupId": str(world.g2.id)})
    assert data["createTariff"]["errors"] == []
    data = await as_admin(UPDATE, input={"id": str(in_g1.id), "name": "Standard AC"})
    assert data["updateTariff"]["errors"] == []


async def test_concurrent_creates_of_one_tariff_name_give_one_tariff(as_admin, world):
    names = ["Standard AC", "standard ac", "STANDARD AC"]
    results = await asyncio.gather(*(as_admin(CREATE, input={"name": n}) for n in names))
    errors = sorted((r["createTariff"]["errors"] for r in results), key=len)
    assert errors == [[], NAME_TAKEN, NAME_TAKEN]
    assert await Tariff.filter(name__iexact="standard ac").count() == 1
