"""RFID tokens of charging users (seed 003): add, edit (never the id), delete."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from domain.users.models import ChargingUser, Token
from tests import factories
from tests.conftest import login
from tests.gql.charging_users_support import ACCESS_DENIED, CREATE, snapshot
from tests.gqlclient import GraphQLClient

TOKEN = "id uid name status validFrom validTo"
ADD = (
    """
mutation($input: AddTokenInput!) {
  addToken(input: $input) { token { %s } errors { code field message } }
}"""
    % TOKEN
)
UPDATE = (
    """
mutation($input: UpdateTokenInput!) {
  updateToken(input: $input) { token { %s } errors { code field message } }
}"""
    % TOKEN
)
DELETE = """
mutation($id: ID!) { deleteToken(id: $id) { deletedId errors { code field message } } }"""
USER_TOKENS = """query($id: ID!) { chargingUser(id: $id) { tokenCount tokens { uid } } }"""
EXISTS = [{"code": "ALREADY_EXISTS", "field": "uid", "message": "Token already exists."}]
ENDS_EARLY = [
    {
        "code": "INVALID_INPUT",
        "field": "validTo",
        "message": "Token validity ends before it starts.",
    }
]
TOKEN_MISSING = [{"code": "NOT_FOUND", "field": "id", "message": "Token not found."}]
USER_MISSING = [{"code": "NOT_FOUND", "field": "userId", "message": "Charging user not found."}]


async def add(client: GraphQLClient, user: ChargingUser, **fields: Any) -> dict[str, Any]:
    data = await client(ADD, input={"userId": str(user.id), "uid": "04A2B3C4", **fields})
    return dict(data["addToken"])


async def update(client: GraphQLClient, token: Token, **fields: Any) -> dict[str, Any]:
    data = await client(UPDATE, input={"id": str(token.id), **fields})
    return dict(data["updateToken"])


# --- add ------------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_both_roles_add_tokens_in_scope(as_actor, actor_role, world):
    user = await factories.charging_user(world.g1a)
    before = await snapshot()
    payload = await add(
        as_actor, user, name=" Work ", status="INACTIVE",
        validFrom="2024-01-01T00:00:00Z", validTo="2024-12-31T23:59:59Z",
    )  # fmt: skip
    if actor_role == "outsider":
        assert payload == {"token": None, "errors": USER_MISSING}
        assert await snapshot() == before
        return
    token = payload["token"]
    assert payload["errors"] == []
    assert {k: token[k] for k in ("uid", "name", "status", "validFrom", "validTo")} == {
        "uid": "04A2B3C4", "name": "Work", "status": "INACTIVE",
        "validFrom": "2024-01-01T00:00:00+00:00", "validTo": "2024-12-31T23:59:59+00:00",
    }  # fmt: skip
    assert (await as_actor(USER_TOKENS, id=str(user.id)))["chargingUser"] == {
        "tokenCount": 1, "tokens": [{"uid": "04A2B3C4"}]
    }  # fmt: skip


async def test_basic_operator_cannot_add_tokens_outside_scope(as_basic, world):
    user = await factories.charging_user(world.g2)
    before = await snapshot()
    assert (await add(as_basic, user))["errors"] == USER_MISSING
    assert await snapshot() == before


async def test_defaults_active_and_valid_indefinitely(as_admin, world):
    user = await factories.charging_user(world.g1)
    token = (await add(as_admin, user))["token"]
    assert (token["status"], token["validFrom"], token["validTo"]) == ("ACTIVE", None, None)


@pytest.mark.parametrize("uid", ["04a2b3c4", "04A2B3C4", " 04a2B3c4 "])
async def test_duplicate_token_id_in_any_case_is_refused(as_admin, world, uid):
    owner = await factories.charging_user(world.g2)
    await factories.token(owner, "04A2B3C4")
    user = await factories.charging_user(world.g1)
    before = await snapshot()
    assert await add(as_admin, user, uid=uid) == {"token": None, "errors": EXISTS}
    assert await add(as_admin, owner, uid=uid) == {"token": None, "errors": EXISTS}
    assert await snapshot() == before


async def test_token_ids_are_unique_per_organisation_only(as_admin, world):
    other_org_user = await factories.charging_user(world.root_b)
    await factories.token(other_org_user, "04A2B3C4")
    user = await factories.charging_user(world.g1)
    assert (await add(as_admin, user))["errors"] == []


async def test_concurrent_adds_of_one_id_give_one_token_and_the_message(as_admin, world):
    users = [await factories.charging_user(world.g1) for _ in range(4)]
    results = await asyncio.gather(
        *(
            add(as_admin, u, uid=uid)
            for u, uid in zip(users, ["abc1", "ABC1", "Abc1", "aBC1"], strict=True)
        )
    )
    assert sorted(len(r["errors"]) for r in results) == [0, 1, 1, 1]
    assert all(r["errors"] == EXISTS for r in results if r["errors"])
    assert await Token.filter(uid_key="ABC1").count() == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"uid": ""}, ("REQUIRED", "uid", "Token id is required.")),
        ({"uid": "   "}, ("REQUIRED", "uid", "Token id is required.")),
        ({"uid": "x" * 37}, ("TOO_LONG", "uid", "Token id is longer than 36 characters.")),
        ({"uid": "AB CD"},
         ("INVALID_INPUT", "uid", "Token id may contain only printable characters and no spaces.")),
        ({"uid": "AB\u00e9CD"},
         ("INVALID_INPUT", "uid", "Token id may contain only printable characters and no spaces.")),
        # A control character no field may hold is refused at the edge, before the domain.
        ({"uid": "AB\u0007CD"},
         ("INVALID_INPUT", "uid", "Text must not contain control characters.")),
        ({"name": "x" * 101}, ("TOO_LONG", "name", "Token name is longer than 100 characters.")),
        ({"validFrom": "2024-02-01T00:00:00Z", "validTo": "2024-01-31T23:59:59Z"},
         ("INVALID_INPUT", "validTo", "Token validity ends before it starts.")),
    ],
)  # fmt: skip
async def test_bad_token_input_is_refused(as_admin, world, fields, expected):
    user = await factories.charging_user(world.g1)
    before = await snapshot()
    payload = await add(as_admin, user, **fields)
    assert payload == {
        "token": None,
        "errors": [dict(zip(("code", "field", "message"), expected, strict=True))],
    }
    assert await snapshot() == before


async def test_longest_id_and_a_one_day_window_are_fine(as_admin, world):
    user = await factories.charging_user(world.g1)
    payload = await add(
        as_admin, user, uid="A" * 36, validFrom="2024-01-01T00:00:00Z",
        validTo="2024-01-01T00:00:00Z",
    )  # fmt: skip
    assert payload["errors"] == []


async def test_first_tokens_of_a_new_user_are_checked_the_same_way(as_admin, world):
    before = await snapshot()
    data = await as_admin(
        CREATE,
        input={"email": "scrooge@duckburg.com", "tokens": [{"uid": "aa11"}, {"uid": "AA11"}]},
    )
    assert data["createChargingUser"] == {
        "user": None,
        "errors": [{"code": "ALREADY_EXISTS", "field": "tokens[1].uid",
                    "message": "Token already exists."}],
    }  # fmt: skip
    data = await as_admin(
        CREATE,
        input={"email": "scrooge@duckburg.com",
               "tokens": [{"uid": "bb22", "validFrom": "2024-02-01T00:00:00Z",
                           "validTo": "2024-01-01T00:00:00Z"}]},
    )  # fmt: skip
    assert data["createChargingUser"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "tokens[0].validTo",
         "message": "Token validity ends before it starts."}
    ]  # fmt: skip
    assert await snapshot() == before  # the user was not created either


# --- edit -----------------------------------------------------------------------------------


async def test_token_id_cannot_be_edited_the_input_has_no_such_field(as_admin, world):
    query = """query($n: String!) { __type(name: $n) { inputFields { name } } }"""
    data = await as_admin(query, n="UpdateTokenInput")
    assert {f["name"] for f in data["__type"]["inputFields"]} == {
        "id", "name", "status", "validFrom", "validTo"
    }  # fmt: skip
    token = await factories.token(await factories.charging_user(world.g1), "T1")
    body = await as_admin.raw(UPDATE, {"input": {"id": str(token.id), "uid": "T2"}})
    assert body["errors"]
    assert (await Token.get(id=token.id)).uid == "T1"


@pytest.mark.actors("admin", "basic", "outsider")
async def test_both_roles_edit_tokens_in_scope(as_actor, actor_role, world):
    token = await factories.token(await factories.charging_user(world.g1), "T1", name="Home")
    before = await snapshot()
    payload = await update(
        as_actor, token, name="Car", status="BLOCKED", validFrom="2024-01-01T00:00:00Z"
    )
    if actor_role == "outsider":
        assert payload == {"token": None, "errors": TOKEN_MISSING}
        assert await snapshot() == before
        return
    assert payload["errors"] == []
    assert {k: payload["token"][k] for k in ("uid", "name", "status", "validFrom")} == {
        "uid": "T1", "name": "Car", "status": "BLOCKED", "validFrom": "2024-01-01T00:00:00+00:00"
    }  # fmt: skip


async def test_validity_edits_keep_left_out_values_and_null_means_indefinitely(as_admin, world):
    from datetime import UTC, datetime

    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    token = await factories.token(
        await factories.charging_user(world.g1), "T1", valid_from=start, valid_to=end
    )
    payload = await update(as_admin, token, name="Renamed")
    assert (payload["token"]["validFrom"], payload["token"]["validTo"]) == (
        "2024-01-01T00:00:00+00:00", "2024-06-01T00:00:00+00:00"
    )  # fmt: skip
    payload = await update(as_admin, token, validTo=None)
    assert (payload["token"]["validFrom"], payload["token"]["validTo"]) == (
        "2024-01-01T00:00:00+00:00", None
    )  # fmt: skip
    before = await snapshot()
    # Only the end is given, and it is before the start that is kept.
    assert (await update(as_admin, token, validTo="2023-12-31T00:00:00Z"))["errors"] == ENDS_EARLY
    assert (await update(as_admin, token, validFrom="2030-01-01T00:00:00Z", validTo=
            "2029-01-01T00:00:00Z"))["errors"] == ENDS_EARLY  # fmt: skip
    assert (await update(as_admin, token, name="x" * 101))["errors"][0]["code"] == "TOO_LONG"
    assert await snapshot() == before


async def test_tokens_outside_scope_or_deleted_are_not_found(as_basic, world):
    birch = await factories.token(await factories.charging_user(world.g2), "B1")
    pine = await factories.token(await factories.charging_user(world.g1), "P1")
    pine.deleted_at = pine.created_at
    await pine.save()
    before = await snapshot()
    for token in (birch, pine):
        assert (await update(as_basic, token, name="x"))["errors"] == TOKEN_MISSING
    assert await snapshot() == before


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_deleting_a_token_is_admin_only(as_actor, actor_role, world):
    user = await factories.charging_user(world.g1)
    token = await factories.token(user, "DEL1")
    await factories.token(user, "KEEP1")
    before = await snapshot()
    data = await as_actor(DELETE, id=str(token.id))
    if actor_role != "admin":
        expected = ACCESS_DENIED if actor_role == "basic" else TOKEN_MISSING
        assert data["deleteToken"] == {"deletedId": None, "errors": expected}
        assert await snapshot() == before
        return
    assert data["deleteToken"] == {"deletedId": str(token.id), "errors": []}
    assert (await Token.get(id=token.id)).deleted_at is not None
    assert (await as_actor(USER_TOKENS, id=str(user.id)))["chargingUser"] == {
        "tokenCount": 1, "tokens": [{"uid": "KEEP1"}]
    }  # fmt: skip
    again = await as_actor(DELETE, id=str(token.id))
    assert again["deleteToken"]["errors"] == TOKEN_MISSING
    # The id is free again.
    assert (await add(as_actor, user, uid="del1"))["errors"] == []


async def test_outsider_cannot_touch_tokens_by_id(client, world):
    outsider = client.as_token(await login(client, "omega"))
    token = await factories.token(await factories.charging_user(world.root), "A1")
    before = await snapshot()
    assert (await update(outsider, token, status="BLOCKED"))["errors"] == TOKEN_MISSING
    data = await outsider(DELETE, id="not-an-id")
    assert data["deleteToken"]["errors"] == TOKEN_MISSING
    assert await snapshot() == before
