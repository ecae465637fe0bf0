"""Charging user groups (seed 003): members, active flag, fees, delete only when empty."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from domain.users.models import ChargingUser, UserGroup
from tests import factories
from tests.conftest import login
from tests.gql.charging_users_support import ACCESS_DENIED, snapshot
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

FIELDS = """id name active version group { name } memberCount members { email }
acTariff { name } dcTariff { name }"""
CREATE = (
    """
mutation($input: CreateChargingUserGroupInput!) {
  createChargingUserGroup(input: $input) { userGroup { %s } errors { code field message } }
}"""
    % FIELDS
)
UPDATE = (
    """
mutation($input: UpdateChargingUserGroupInput!) {
  updateChargingUserGroup(input: $input) { userGroup { %s } errors { code field message } }
}"""
    % FIELDS
)
DELETE = """
mutation($id: ID!, $version: Int) {
  deleteChargingUserGroup(id: $id, version: $version) { deletedId errors { code field message } }
}"""
FEES = """
mutation($id: ID!, $ac: ID, $dc: ID) {
  setUserGroupFees(id: $id, acTariffId: $ac, dcTariffId: $dc) {
    userGroup { acTariff { name } dcTariff { name } version } errors { code field message }
  }
}"""
FEES_AC_ONLY = """
mutation($id: ID!, $ac: ID) {
  setUserGroupFees(id: $id, acTariffId: $ac) {
    userGroup { acTariff { name } dcTariff { name } } errors { code field message }
  }
}"""
ONE = """query($id: ID!) { chargingUserGroup(id: $id) { name memberCount } }"""
LIST = """
query($search: String, $sort: ChargingUserGroupSort, $page: PageInput) {
  chargingUserGroups(search: $search, sort: $sort, page: $page) {
    totalCount items { name memberCount }
  }
}"""
GROUP_MISSING = [
    {"code": "NOT_FOUND", "field": "id", "message": "Charging user group does not exist."}
]
HAS_MEMBERS = [
    {"code": "NOT_EMPTY", "field": "id",
     "message": "The charging user group has members. Remove them first."}
]  # fmt: skip


async def create(client: GraphQLClient, **fields: Any) -> dict[str, Any]:
    data = await client(CREATE, input={"name": "Company managers", **fields})
    return dict(data["createChargingUserGroup"])


async def update(client: GraphQLClient, group: UserGroup, **fields: Any) -> dict[str, Any]:
    data = await client(UPDATE, input={"id": str(group.id), **fields})
    return dict(data["updateChargingUserGroup"])


# --- create ---------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_only_admins_create_user_groups(as_actor, actor_role, world):
    before = await snapshot()
    payload = await create(as_actor, name=" Company managers ")
    if actor_role == "basic":
        assert payload == {"userGroup": None, "errors": ACCESS_DENIED}
        assert await snapshot() == before
        return
    group = payload["userGroup"]
    base = world.root if actor_role == "admin" else world.root_b
    assert (group["name"], group["active"], group["version"], group["group"]) == (
        "Company managers", True, 1, {"name": base.name}
    )  # fmt: skip
    assert (group["memberCount"], group["members"], group["acTariff"]) == (0, [], None)


async def test_members_move_out_of_their_previous_group(as_admin, world):
    old = await factories.user_group(world.root, name="Old")
    donald = await factories.charging_user(world.g1, email="donald@x.com", member_of=old)
    daisy = await factories.charging_user(world.g2, email="daisy@x.com")
    payload = await create(
        as_admin, groupId=str(world.g1.id), active=False,
        memberIds=[str(donald.id), str(daisy.id), str(daisy.id)],
    )  # fmt: skip
    group = payload["userGroup"]
    assert (group["group"], group["active"], group["memberCount"]) == (
        {"name": world.g1.name}, False, 2
    )  # fmt: skip
    assert group["members"] == [{"email": "daisy@x.com"}, {"email": "donald@x.com"}]
    moved = await ChargingUser.get(id=donald.id)
    assert (str(moved.user_group_id), moved.version) == (group["id"], 2)
    assert (await ChargingUser.get(id=daisy.id)).version == 2
    assert (await as_admin(ONE, id=str(old.id)))["chargingUserGroup"]["memberCount"] == 0


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("", "REQUIRED", "Name is required."),
        ("  ", "REQUIRED", "Name is required."),
        ("x" * 101, "TOO_LONG", "Name is longer than 100 characters."),
    ],
)
async def test_bad_names_are_refused(as_admin, world, name, code, message):
    group = await factories.user_group(world.root, name="Guests")
    before = await snapshot()
    assert (await create(as_admin, name=name))["errors"] == [
        {"code": code, "field": "name", "message": message}
    ]
    assert (await update(as_admin, group, name=name))["errors"] == [
        {"code": code, "field": "name", "message": message}
    ]
    assert await snapshot() == before


async def test_outsider_cannot_use_another_organisations_groups_or_users(client, world):
    outsider = client.as_token(await login(client, "omega"))
    user = await factories.charging_user(world.g1)
    before = await snapshot()
    assert (await create(outsider, groupId=str(world.g1.id)))["errors"] == [
        {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
    ]
    for member in (str(user.id), "junk", str(uuid.uuid4())):
        assert (await create(outsider, memberIds=[member]))["errors"] == [
            {"code": "NOT_FOUND", "field": "memberIds", "message": "Charging user not found."}
        ]
    assert await snapshot() == before


# --- edit -----------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_only_admins_in_scope_edit_user_groups(as_actor, actor_role, world):
    group = await factories.user_group(world.g1, name="Guests")
    before = await snapshot()
    payload = await update(as_actor, group, name="Visitors", active=False, version=1)
    if actor_role == "admin":
        assert payload["errors"] == []
        assert {k: payload["userGroup"][k] for k in ("name", "active", "version")} == {
            "name": "Visitors", "active": False, "version": 2
        }  # fmt: skip
        return
    expected = ACCESS_DENIED if actor_role == "basic" else GROUP_MISSING
    assert payload == {"userGroup": None, "errors": expected}
    assert await snapshot() == before


async def test_member_list_replaces_members(as_admin, world):
    group = await factories.user_group(world.root, name="Guests")
    stays = await factories.charging_user(world.g1, email="stays@x.com", member_of=group)
    leaves = await factories.charging_user(world.g1, email="leaves@x.com", member_of=group)
    joins = await factories.charging_user(world.g2, email="joins@x.com")
    payload = await update(as_admin, group, memberIds=[str(stays.id), str(joins.id)])
    assert payload["userGroup"]["members"] == [{"email": "joins@x.com"}, {"email": "stays@x.com"}]
    assert (await ChargingUser.get(id=leaves.id)).user_group_id is None
    assert (await ChargingUser.get(id=leaves.id)).version == 2
    assert (await ChargingUser.get(id=stays.id)).version == 1  # unchanged
    payload = await update(as_admin, group, memberIds=[])
    assert payload["userGroup"]["memberCount"] == 0


async def test_admin_below_root_keeps_members_outside_scope(client, world):
    pine_admin = await factories.operator(world.g1, "admin")
    as_pine = client.as_token(await login(client, pine_admin.username))
    group = await factories.user_group(world.g1, name="Mixed")
    await factories.charging_user(world.g1, email="pine@x.com", member_of=group)
    birch = await factories.charging_user(world.g2, email="birch@x.com", member_of=group)
    payload = await update(as_pine, group, memberIds=[])
    assert (payload["userGroup"]["members"], payload["userGroup"]["memberCount"]) == ([], 0)
    assert str((await ChargingUser.get(id=birch.id)).user_group_id) == str(group.id)
    before = await snapshot()
    assert (await as_pine(DELETE, id=str(group.id)))["deleteChargingUserGroup"]["errors"] == (
        HAS_MEMBERS
    )
    assert await snapshot() == before


async def test_owner_group_moves_only_within_scope(as_admin, world):
    group = await factories.user_group(world.root)
    payload = await update(as_admin, group, groupId=str(world.g2.id))
    assert payload["userGroup"]["group"] == {"name": world.g2.name}
    before = await snapshot()
    for owner in (str(world.root_b.id), "junk"):
        assert (await update(as_admin, group, groupId=owner))["errors"] == [
            {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
        ]
    assert await snapshot() == before


async def test_stale_version_conflicts(as_admin, world):
    group = await factories.user_group(world.root)
    await update(as_admin, group, name="First")
    before = await snapshot()
    payload = await update(as_admin, group, name="Late", version=1)
    assert [e["code"] for e in payload["errors"]] == ["CONFLICT"]
    data = await as_admin(DELETE, id=str(group.id), version=1)
    assert [e["code"] for e in data["deleteChargingUserGroup"]["errors"]] == ["CONFLICT"]
    assert await snapshot() == before


# --- fees -----------------------------------------------------------------------------------


async def test_admin_sets_and_clears_group_fees(as_admin, world):
    group = await factories.user_group(world.root)
    ac = await factories.tariff(world.root, name="AC fee")
    dc = await factories.tariff(world.g1, name="DC fee")
    data = await as_admin(FEES, id=str(group.id), ac=str(ac.id), dc=str(dc.id))
    assert data["setUserGroupFees"] == {
        "userGroup": {"acTariff": {"name": "AC fee"}, "dcTariff": {"name": "DC fee"},
                      "version": 2},
        "errors": [],
    }  # fmt: skip
    data = await as_admin(FEES_AC_ONLY, id=str(group.id), ac=None)  # DC left out: kept
    assert data["setUserGroupFees"]["userGroup"] == {
        "acTariff": None,
        "dcTariff": {"name": "DC fee"},
    }


@pytest.mark.actors("admin", "basic", "outsider")
async def test_fees_need_pricing_manage_and_tariffs_in_scope(as_actor, actor_role, world):
    group = await factories.user_group(world.g1)
    other = await factories.tariff(world.root_b, name="B tariff")
    before = await snapshot()
    data = await as_actor(FEES, id=str(group.id), ac=str(other.id))
    expected = {
        "admin": [
            {"code": "NOT_FOUND", "field": "acTariffId", "message": "Tariff does not exist."}
        ],
        "basic": ACCESS_DENIED,
        "outsider": GROUP_MISSING,
    }[actor_role]
    assert data["setUserGroupFees"] == {"userGroup": None, "errors": expected}
    assert await snapshot() == before


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_only_admins_delete_empty_groups(as_actor, actor_role, world):
    group = await factories.user_group(world.g1)
    before = await snapshot()
    data = await as_actor(DELETE, id=str(group.id))
    if actor_role == "admin":
        assert data["deleteChargingUserGroup"] == {"deletedId": str(group.id), "errors": []}
        assert not await UserGroup.filter(id=group.id).exists()
        return
    expected = ACCESS_DENIED if actor_role == "basic" else GROUP_MISSING
    assert data["deleteChargingUserGroup"] == {"deletedId": None, "errors": expected}
    assert await snapshot() == before


async def test_group_with_members_is_not_deleted_but_removed_users_do_not_count(as_admin, world):
    group = await factories.user_group(world.root)
    member = await factories.charging_user(world.g1, member_of=group)
    before = await snapshot()
    data = await as_admin(DELETE, id=str(group.id))
    assert data["deleteChargingUserGroup"] == {"deletedId": None, "errors": HAS_MEMBERS}
    assert await snapshot() == before
    await ChargingUser.filter(id=member.id).update(removed_at=member.created_at)
    data = await as_admin(DELETE, id=str(group.id))
    assert data["deleteChargingUserGroup"]["errors"] == []
    assert (await ChargingUser.get(id=member.id)).user_group_id is None


# --- look up and list -----------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_reading_follows_scope(as_actor, actor_role, world):
    root_group = await factories.user_group(world.root, name="Root drivers")
    pine_group = await factories.user_group(world.g1a, name="Garage drivers")
    await factories.user_group(world.root_b, name="B drivers")
    await factories.charging_user(world.g1, member_of=pine_group)
    await factories.charging_user(world.g2, member_of=pine_group)
    data = await as_actor(LIST)
    assert data["chargingUserGroups"]["items"] == {
        "admin": [{"name": "Garage drivers", "memberCount": 2},
                  {"name": "Root drivers", "memberCount": 0}],
        # Counts only the members the operator can see.
        "basic": [{"name": "Garage drivers", "memberCount": 1}],
        "outsider": [{"name": "B drivers", "memberCount": 0}],
    }[actor_role]  # fmt: skip
    found = [(await as_actor(ONE, id=str(g.id)))["chargingUserGroup"] for g in (root_group,
             pine_group)]  # fmt: skip
    assert [f and f["name"] for f in found] == {
        "admin": ["Root drivers", "Garage drivers"],
        "basic": [None, "Garage drivers"],
        "outsider": [None, None],
    }[actor_role]


async def test_search_sort_and_paginate(as_admin, world):
    for name in ("Subcontractors", "Guests", "Company managers", "Senior company workers"):
        await factories.user_group(world.root, name=name)

    async def names(**variables: Any) -> tuple[int, list[str]]:
        result = (await as_admin(LIST, **variables))["chargingUserGroups"]
        return result["totalCount"], [i["name"] for i in result["items"]]

    assert await names(search="COMPANY") == (2, ["Company managers", "Senior company workers"])
    assert await names(sort={"field": "NAME", "direction": "DESC"}, page={"limit": 2}) == (
        4, ["Subcontractors", "Senior company workers"]
    )  # fmt: skip
    assert await names(sort={"field": "CREATED_AT"}, page={"offset": 3, "limit": 2}) == (
        4, ["Senior company workers"]
    )  # fmt: skip


ROWS = """
{ chargingUserGroups(page: {limit: 100}) {
    totalCount items { name group { name } memberCount members { email } acTariff { name } }
} }"""
# Session lookup, count, page, group loader, member-count, members and tariff loaders.
USER_GROUP_LIST_STATEMENTS = 7


async def test_user_group_list_statements_do_not_grow_with_rows(as_admin, world):
    owners = [world.root, world.g1, world.g1a, world.g2]
    fee = await factories.tariff(world.root, name="Fee")

    async def add_groups(start: int, stop: int) -> None:
        for n in range(start, stop):
            group = await factories.user_group(owners[n % 4], ac_tariff=fee if n % 2 else None)
            for _ in range(n % 3):
                await factories.charging_user(owners[n % 4], member_of=group)

    await add_groups(0, 10)
    with count_sql() as ten:
        data = await as_admin(ROWS)
    assert data["chargingUserGroups"]["totalCount"] == 10
    await add_groups(10, 100)
    with count_sql() as hundred:
        data = await as_admin(ROWS)
    items = data["chargingUserGroups"]["items"]
    assert len(items) == 100
    assert sum(i["memberCount"] for i in items) == sum(len(i["members"]) for i in items) == 99
    assert sum(i["acTariff"] is not None for i in items) == 50
    assert ten.count == USER_GROUP_LIST_STATEMENTS, ten.report()
    assert hundred.count == ten.count, hundred.report()
