"""Charging users (seed 003), the mutations: create, update, remove; as admin, basic and
outsider."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.users.models import AccessRight, ChargingUser, Token
from tests import factories
from tests.conftest import login
from tests.gql.charging_users_support import (
    ACCESS_DENIED,
    LIST,
    ONE,
    REMOVE,
    UPDATE,
    USER_MISSING,
    create,
    errors,
    not_found,
    snapshot,
)

# --- create ---------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_create_defaults_to_the_operators_base_group(as_actor, actor_role, world):
    payload = await create(as_actor, firstName=" Scrooge ", lastName="McDuck")
    assert payload["errors"] == []
    user = payload["user"]
    base = {"admin": world.root, "basic": world.g1, "outsider": world.root_b}[actor_role]
    assert (user["name"], user["email"], user["active"], user["version"]) == (
        "Scrooge McDuck", "scrooge@duckburg.com", True, 1
    )  # fmt: skip
    assert (user["group"], user["userGroup"], user["tokens"]) == ({"name": base.name}, None, [])
    row = await ChargingUser.get(id=user["id"])
    assert (row.organisation_id, row.email_key) == (base.organisation_id, "scrooge@duckburg.com")


async def test_create_with_every_field_and_first_tokens(as_admin, world):
    station = await factories.station(world.g2, identifier="EV-BIRCH-1")
    guests = await factories.user_group(world.root, name="Guests")
    payload = await create(
        as_admin,
        email="Scrooge@Duckburg.com",
        groupId=str(world.g1.id),
        userGroupId=str(guests.id),
        accessGroupIds=[str(world.g1a.id), str(world.g1a.id)],
        accessStationIds=[str(station.id)],
        active=False,
        tokens=[
            {"uid": "12345678", "name": "Scrooge's home charger",
             "validFrom": "2018-04-13T00:00:00+00:00"},
            {"uid": "abcd", "status": "BLOCKED"},
        ],
    )  # fmt: skip
    assert payload["errors"] == []
    user = payload["user"]
    assert (user["email"], user["active"], user["group"], user["userGroup"]) == (
        "Scrooge@Duckburg.com", False, {"name": world.g1.name}, {"name": "Guests"}
    )  # fmt: skip
    assert user["accessGroups"] == [{"name": world.g1a.name}]
    assert user["accessStations"] == [{"identifier": "EV-BIRCH-1"}]
    assert user["tokenCount"] == 2
    assert user["tokens"] == [
        {"uid": "12345678", "name": "Scrooge's home charger", "status": "ACTIVE",
         "validFrom": "2018-04-13T00:00:00+00:00", "validTo": None},
        {"uid": "abcd", "name": "", "status": "BLOCKED", "validFrom": None, "validTo": None},
    ]  # fmt: skip
    assert await Token.filter(uid_key="ABCD").count() == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"email": ""}, ("REQUIRED", "email", "E-mail address is required.")),
        ({"email": "scrooge"}, ("INVALID_EMAIL", "email", "Invalid e-mail address.")),
        ({"email": "a b@duckburg.com"}, ("INVALID_EMAIL", "email", "Invalid e-mail address.")),
        ({"email": "x" * 250 + "@d.com"}, ("INVALID_EMAIL", "email", "Invalid e-mail address.")),
        ({"firstName": "x" * 101},
         ("TOO_LONG", "firstName", "First name is longer than 100 characters.")),
        ({"lastName": "x" * 101},
         ("TOO_LONG", "lastName", "Last name is longer than 100 characters.")),
    ],
)  # fmt: skip
async def test_bad_input_is_refused_and_changes_nothing(as_admin, world, fields, expected):
    before = await snapshot()
    payload = await create(as_admin, **fields)
    assert payload == {
        "user": None,
        "errors": [dict(zip(("code", "field", "message"), expected, strict=True))],
    }
    assert await snapshot() == before


async def test_hundred_character_names_are_fine(as_admin, world):
    payload = await create(as_admin, firstName="x" * 100, lastName="y" * 100)
    assert payload["errors"] == []


async def test_email_is_unique_in_the_organisation_in_any_case(as_admin, client, world):
    await factories.charging_user(world.g2, email="scrooge@duckburg.com")
    before = await snapshot()
    payload = await create(as_admin, email="SCROOGE@duckburg.COM")
    assert payload["errors"] == [
        {"code": "ALREADY_EXISTS", "field": "email",
         "message": "A charging user with this e-mail already exists."}
    ]  # fmt: skip
    assert await snapshot() == before
    # Another organisation may have a user with the same address.
    outsider = client.as_token(await login(client, "omega"))
    assert (await create(outsider))["errors"] == []


async def test_concurrent_creates_with_one_email_give_one_user(as_admin, world):
    emails = ["race@duckburg.com", "RACE@duckburg.com", "Race@Duckburg.com"]
    results = await asyncio.gather(*(create(as_admin, email=e) for e in emails))
    assert sorted(len(r["errors"]) for r in results) == [0, 1, 1]
    assert await ChargingUser.filter(email_key="race@duckburg.com").count() == 1


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("groupId", "Charging group does not exist."),
        ("accessGroupIds", "Charging group does not exist."),
        ("accessStationIds", "Charging station does not exist."),
    ],
)
async def test_references_outside_the_basic_operators_scope_are_not_found(
    as_basic, world, field, message
):
    station = await factories.station(world.g2)
    outside = str(station.id) if field == "accessStationIds" else str(world.g2.id)
    before = await snapshot()
    for value in (outside, "not-an-id", str(uuid.uuid4())):
        given = value if field == "groupId" else [value]
        payload = await create(as_basic, **{field: given})
        assert payload["errors"] == not_found(field, message)
    assert await snapshot() == before


async def test_outsider_cannot_place_users_in_another_organisation(client, world):
    outsider = client.as_token(await login(client, "omega"))
    station = await factories.station(world.g1)
    before = await snapshot()
    for fields, field in (
        ({"groupId": str(world.g1.id)}, "groupId"),
        ({"accessGroupIds": [str(world.root.id)]}, "accessGroupIds"),
        ({"accessStationIds": [str(station.id)]}, "accessStationIds"),
    ):
        payload = await create(outsider, **fields)
        assert [e["field"] for e in payload["errors"]] == [field]
        assert payload["errors"][0]["code"] == "NOT_FOUND"
    assert await snapshot() == before


async def test_basic_operator_cannot_choose_a_user_group(as_basic, world):
    pine = await factories.user_group(world.g1, name="Pine regulars")
    before = await snapshot()
    payload = await create(as_basic, userGroupId=str(pine.id))
    assert payload["errors"] == [
        {"code": "ACCESS_DENIED", "field": "userGroupId", "message": "Access denied."}
    ]
    assert await snapshot() == before


async def test_user_group_outside_scope_is_not_found(as_admin, world):
    other = await factories.user_group(world.root_b)
    before = await snapshot()
    payload = await create(as_admin, userGroupId=str(other.id))
    assert payload["errors"] == not_found("userGroupId", "Charging user group does not exist.")
    assert await snapshot() == before


# --- update ---------------------------------------------------------------------------------


async def test_email_cannot_be_edited_the_input_has_no_such_field(as_admin, world):
    query = """query($n: String!) { __type(name: $n) { inputFields { name } } }"""
    data = await as_admin(query, n="UpdateChargingUserInput")
    names = {f["name"] for f in data["__type"]["inputFields"]}
    assert "email" not in names
    assert {"id", "firstName", "lastName", "groupId", "userGroupId", "version"} <= names
    user = await factories.charging_user(world.g1)
    body = await as_admin.raw(UPDATE, {"input": {"id": str(user.id), "email": "new@x.com"}})
    assert body["errors"] and "email" in body["errors"][0]["message"]
    assert (await ChargingUser.get(id=user.id)).email == user.email


async def test_update_every_editable_field_and_version(as_admin, world):
    station = await factories.station(world.g1, identifier="EV-PINE-1")
    guests = await factories.user_group(world.root, name="Guests")
    user = await factories.charging_user(world.g1, first_name="Donald", last_name="Duck")
    await factories.access_right(user, group=world.g2)
    data = await as_admin(
        UPDATE,
        input={"id": str(user.id), "version": 1, "firstName": "Don", "lastName": " Duck ",
               "groupId": str(world.g1a.id), "userGroupId": str(guests.id), "active": False,
               "accessGroupIds": [str(world.g1.id)], "accessStationIds": [str(station.id)]},
    )  # fmt: skip
    payload = data["updateChargingUser"]
    assert payload["errors"] == []
    updated = payload["user"]
    assert (updated["name"], updated["version"], updated["active"]) == ("Don Duck", 2, False)
    assert (updated["group"], updated["userGroup"]) == (
        {"name": world.g1a.name}, {"name": "Guests"}
    )  # fmt: skip
    assert updated["accessGroups"] == [{"name": world.g1.name}]  # g2 replaced
    assert updated["accessStations"] == [{"identifier": "EV-PINE-1"}]
    # Left-out fields stay; null user group leaves the group; empty lists clear rights.
    data = await as_admin(
        UPDATE,
        input={"id": str(user.id), "userGroupId": None, "accessGroupIds": [],
               "accessStationIds": []},
    )  # fmt: skip
    updated = data["updateChargingUser"]["user"]
    assert (updated["name"], updated["userGroup"], updated["version"]) == ("Don Duck", None, 3)
    assert (updated["accessGroups"], updated["accessStations"]) == ([], [])


async def test_stale_version_conflicts_and_changes_nothing(as_admin, world):
    user = await factories.charging_user(world.g1)
    await as_admin(UPDATE, input={"id": str(user.id), "firstName": "First"})
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(user.id), "firstName": "Late", "version": 1})
    assert errors(data, "updateChargingUser") == [
        {"code": "CONFLICT", "field": "version",
         "message": "Someone else changed this in the meantime. Reload and try again."}
    ]  # fmt: skip
    assert await snapshot() == before


async def test_rights_outside_the_operators_scope_survive_a_replace(as_basic, world):
    pine, birch = await factories.station(world.g1), await factories.station(world.g2)
    user = await factories.charging_user(world.g1)
    await factories.access_right(user, station=pine)
    await factories.access_right(user, station=birch)  # given by an admin
    await factories.access_right(user, group=world.g2)
    data = await as_basic(
        UPDATE, input={"id": str(user.id), "accessStationIds": [], "accessGroupIds": []}
    )
    assert data["updateChargingUser"]["user"]["accessStations"] == []
    kept = sorted((str(r.group_id), str(r.station_id)) for r in await AccessRight.all())
    assert kept == sorted([("None", str(birch.id)), (str(world.g2.id), "None")])


async def test_basic_operator_cannot_change_the_user_group(as_basic, world):
    pine = await factories.user_group(world.g1, name="Pine regulars")
    other = await factories.user_group(world.g1, name="Pine others")
    user = await factories.charging_user(world.g1, member_of=pine)
    before = await snapshot()
    for value in (None, str(other.id)):
        data = await as_basic(UPDATE, input={"id": str(user.id), "userGroupId": value})
        assert errors(data, "updateChargingUser") == [
            {"code": "ACCESS_DENIED", "field": "userGroupId", "message": "Access denied."}
        ]
    assert await snapshot() == before
    # Sending the group the user is already in is no change, so it is fine.
    data = await as_basic(UPDATE, input={"id": str(user.id), "userGroupId": str(pine.id)})
    assert data["updateChargingUser"]["user"]["userGroup"] == {"name": "Pine regulars"}
    assert (await snapshot())[3] == before[3]


@pytest.mark.actors("admin", "basic", "outsider")
async def test_who_may_edit_a_user_in_g1(as_actor, actor_role, world):
    user = await factories.charging_user(world.g1, first_name="Donald")
    before = await snapshot()
    data = await as_actor(UPDATE, input={"id": str(user.id), "firstName": "Daisy"})
    payload = data["updateChargingUser"]
    if actor_role == "outsider":
        assert payload == {"user": None, "errors": USER_MISSING}
        assert await snapshot() == before
    else:
        assert payload["user"]["firstName"] == "Daisy"


@pytest.mark.actors("admin", "basic", "outsider")
async def test_who_may_edit_a_user_outside_g1(as_actor, actor_role, world):
    user = await factories.charging_user(world.g2, first_name="Gyro")
    before = await snapshot()
    data = await as_actor(UPDATE, input={"id": str(user.id), "firstName": "Gearloose"})
    payload = data["updateChargingUser"]
    if actor_role == "admin":
        assert payload["user"]["firstName"] == "Gearloose"
    else:
        assert payload == {"user": None, "errors": USER_MISSING}
        assert await snapshot() == before


async def test_basic_operator_cannot_move_a_user_out_of_scope(as_basic, world):
    user = await factories.charging_user(world.g1)
    before = await snapshot()
    data = await as_basic(UPDATE, input={"id": str(user.id), "groupId": str(world.g2.id)})
    assert errors(data, "updateChargingUser") == not_found(
        "groupId", "Charging group does not exist."
    )
    assert await snapshot() == before


# --- remove ---------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_removing_a_user_is_admin_only(as_actor, actor_role, world):
    user = await factories.charging_user(world.g1, email="donald@duckburg.com")
    token = await factories.token(user, "CARD-1")
    before = await snapshot()
    data = await as_actor(REMOVE, id=str(user.id))
    payload = data["removeChargingUser"]
    if actor_role != "admin":
        expected = ACCESS_DENIED if actor_role == "basic" else USER_MISSING
        assert payload == {"deletedId": None, "errors": expected}
        assert await snapshot() == before
        return
    assert payload == {"deletedId": str(user.id), "errors": []}
    row = await ChargingUser.get(id=user.id)  # the row (and its history) stays
    assert row.removed_at is not None
    assert (await Token.get(id=token.id)).deleted_at is not None
    assert (await as_actor(ONE, id=str(user.id)))["chargingUser"] is None
    assert (await as_actor(LIST))["chargingUsers"]["totalCount"] == 0
    again = await as_actor(REMOVE, id=str(user.id))
    assert again["removeChargingUser"]["errors"] == USER_MISSING
    # Its e-mail address and token id can be given to someone else.
    payload = await create(as_actor, email="DONALD@duckburg.com", tokens=[{"uid": "card-1"}])
    assert payload["errors"] == []


async def test_remove_with_stale_version_conflicts(as_admin, world):
    user = await factories.charging_user(world.g1)
    await as_admin(UPDATE, input={"id": str(user.id), "active": False})
    before = await snapshot()
    data = await as_admin(REMOVE, id=str(user.id), version=1)
    assert data["removeChargingUser"]["errors"][0]["code"] == "CONFLICT"
    assert await snapshot() == before
