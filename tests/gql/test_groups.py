"""Charging groups (seed 003): create, rename, move, delete, list with search, sort, counts."""

import asyncio

import pytest

from domain.groups.models import ChargingGroup
from tests import factories

CREATE = """
mutation($name: String!, $parent: ID) {
  createChargingGroup(input: {name: $name, parentId: $parent}) {
    group { id name parent { id name } depth }
    errors { code field message }
  }
}
"""
UPDATE = """
mutation($input: UpdateChargingGroupInput!) {
  updateChargingGroup(input: $input) {
    group { id name version parent { name } }
    errors { code field message }
  }
}
"""
DELETE = """
mutation($id: ID!) { deleteChargingGroup(id: $id) { deletedId errors { code field message } } }
"""
LIST = """
query($search: String, $sort: ChargingGroupSort, $page: PageInput) {
  chargingGroups(search: $search, sort: $sort, page: $page) {
    totalCount items { name stationCount }
  }
}
"""


async def snapshot() -> list[tuple]:
    return sorted(
        (str(g.id), g.name, g.path, str(g.parent_id), g.version) for g in await ChargingGroup.all()
    )


async def test_admin_creates_group_under_base_group_by_default(as_admin, world):
    data = await as_admin(CREATE, name="ACME Oak Mall")
    payload = data["createChargingGroup"]
    assert payload["errors"] == []
    assert payload["group"]["name"] == "ACME Oak Mall"
    assert payload["group"]["parent"]["name"] == "ACME Shopping Malls"
    assert payload["group"]["depth"] == 1


async def test_basic_operator_must_give_parent(as_basic, world):
    before = await snapshot()
    data = await as_basic(CREATE, name="Orphan")
    assert data["createChargingGroup"] == {
        "group": None,
        "errors": [
            {
                "code": "REQUIRED",
                "field": "parentId",
                "message": "Adding a new group failed. Parent group is required.",
            }
        ],
    }
    assert await snapshot() == before


async def test_basic_operator_creates_group_inside_own_subtree(as_basic, world):
    data = await as_basic(CREATE, name="Pine level 2", parent=str(world.g1a.id))
    assert data["createChargingGroup"]["group"]["parent"]["name"] == "Pine Mall garage"


async def test_basic_operator_cannot_create_outside_subtree(as_basic, world):
    before = await snapshot()
    data = await as_basic(CREATE, name="Sneaky", parent=str(world.g2.id))
    assert data["createChargingGroup"]["errors"] == [
        {"code": "NOT_FOUND", "field": "parentId", "message": "Charging group does not exist."}
    ]
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("", "REQUIRED", "Name is required."),
        ("   ", "REQUIRED", "Name is required."),
        ("x" * 101, "TOO_LONG", "Name is longer than 100 characters."),
    ],
)
async def test_bad_names_are_refused(as_admin, world, name, code, message):
    before = await snapshot()
    data = await as_admin(CREATE, name=name)
    assert data["createChargingGroup"]["errors"] == [
        {"code": code, "field": "name", "message": message}
    ]
    assert await snapshot() == before


async def test_rename_bumps_version_and_stale_version_conflicts(as_admin, world):
    data = await as_admin(UPDATE, input={"id": str(world.g1.id), "name": "Pine", "version": 1})
    assert data["updateChargingGroup"]["group"] == {
        "id": str(world.g1.id),
        "name": "Pine",
        "version": 2,
        "parent": {"name": "ACME Shopping Malls"},
    }
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(world.g1.id), "name": "Late", "version": 1})
    assert data["updateChargingGroup"]["errors"][0]["code"] == "CONFLICT"
    assert await snapshot() == before


async def test_move_group_moves_its_subtree(as_admin, world):
    data = await as_admin(UPDATE, input={"id": str(world.g1.id), "parentId": str(world.g2.id)})
    assert data["updateChargingGroup"]["group"]["parent"] == {"name": "ACME Birch Mall"}
    g1a = await ChargingGroup.get(id=world.g1a.id)
    assert g1a.path == f"{world.g2.path}{world.g1.id}/{world.g1a.id}/"
    # The basic operator based at g1 still sees g1a, now below g2.
    assert g1a.path.startswith((await ChargingGroup.get(id=world.g1.id)).path)


async def test_group_cannot_move_into_its_own_subtree(as_admin, world):
    before = await snapshot()
    for target in (world.g1a.id, world.g1.id):
        data = await as_admin(UPDATE, input={"id": str(world.g1.id), "parentId": str(target)})
        errors = data["updateChargingGroup"]["errors"]
        if target == world.g1.id:
            # Its own id as parent: also its own subtree.
            assert errors[0]["code"] == "INVALID_MOVE"
        else:
            assert errors == [
                {
                    "code": "INVALID_MOVE",
                    "field": "parentId",
                    "message": "A group cannot be moved into its own subtree.",
                }
            ]
    assert await snapshot() == before


async def test_root_and_own_base_group_cannot_move(as_admin, as_basic, world):
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(world.root.id), "parentId": str(world.g2.id)})
    assert data["updateChargingGroup"]["errors"][0]["code"] == "INVALID_MOVE"
    data = await as_basic(UPDATE, input={"id": str(world.g1.id), "parentId": str(world.g1a.id)})
    assert data["updateChargingGroup"]["errors"][0]["code"] == "INVALID_MOVE"
    assert await snapshot() == before


async def test_delete_empty_group(as_admin, world):
    leaf = await factories.group(world.g2, "Temporary")
    data = await as_admin(DELETE, id=str(leaf.id))
    assert data["deleteChargingGroup"] == {"deletedId": str(leaf.id), "errors": []}
    assert not await ChargingGroup.filter(id=leaf.id).exists()


async def test_group_with_subgroups_or_stations_is_not_deleted(as_admin, world):
    await factories.station(world.g2)
    before = await snapshot()
    data = await as_admin(DELETE, id=str(world.g1.id))
    assert data["deleteChargingGroup"]["errors"] == [
        {
            "code": "NOT_EMPTY",
            "field": "id",
            "message": "The group has subgroups. Move them under some other group first.",
        }
    ]
    data = await as_admin(DELETE, id=str(world.g2.id))
    assert data["deleteChargingGroup"]["errors"][0]["message"] == (
        "The group has charging stations."
    )
    data = await as_admin(DELETE, id=str(world.root.id))
    assert data["deleteChargingGroup"]["errors"][0]["code"] == "INVALID_STATE"
    assert await snapshot() == before


async def test_base_group_of_an_operator_is_not_deleted(as_admin, world):
    lonely = await factories.group(world.g2, "Lonely")
    await factories.operator(lonely, "basic")
    data = await as_admin(DELETE, id=str(lonely.id))
    assert data["deleteChargingGroup"]["errors"][0]["message"] == (
        "The group is the base group of an operator."
    )


async def test_list_counts_stations_in_subtree_and_searches_and_sorts(as_admin, world):
    for group in (world.g1, world.g1a, world.g1a, world.g2):
        await factories.station(group)
    data = await as_admin(LIST)
    assert data["chargingGroups"] == {
        "totalCount": 4,
        "items": [
            {"name": "ACME Birch Mall", "stationCount": 1},
            {"name": "ACME Pine Mall", "stationCount": 3},
            {"name": "ACME Shopping Malls", "stationCount": 4},
            {"name": "Pine Mall garage", "stationCount": 2},
        ],
    }
    data = await as_admin(LIST, search="pine", sort={"field": "NAME", "direction": "DESC"})
    assert [i["name"] for i in data["chargingGroups"]["items"]] == [
        "Pine Mall garage",
        "ACME Pine Mall",
    ]
    data = await as_admin(LIST, page={"offset": 1, "limit": 2})
    assert data["chargingGroups"]["totalCount"] == 4
    assert [i["name"] for i in data["chargingGroups"]["items"]] == [
        "ACME Pine Mall",
        "ACME Shopping Malls",
    ]


@pytest.mark.actors("admin", "basic", "outsider")
async def test_list_shows_only_the_actors_subtree(as_actor, actor_role, world):
    data = await as_actor(LIST)
    names = sorted(i["name"] for i in data["chargingGroups"]["items"])
    assert (
        names
        == {
            "admin": [
                "ACME Birch Mall",
                "ACME Pine Mall",
                "ACME Shopping Malls",
                "Pine Mall garage",
            ],
            "basic": ["ACME Pine Mall", "Pine Mall garage"],
            "outsider": ["Other Org"],
        }[actor_role]
    )


async def test_parent_outside_scope_is_null(as_basic, world):
    data = await as_basic(
        "query($id: ID!) { chargingGroup(id: $id) { name parent { name } } }", id=str(world.g1.id)
    )
    assert data["chargingGroup"] == {"name": "ACME Pine Mall", "parent": None}


async def test_bad_page_size_is_a_clear_error(as_admin, world):
    body = await as_admin.raw(LIST, {"page": {"limit": 1000}})
    assert body["errors"][0]["message"] == "Limit must be between 1 and 100."
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def name_taken(field: str = "name") -> list[dict]:
    return [
        {
            "code": "ALREADY_EXISTS",
            "field": field,
            "message": "The parent group already has a subgroup with this name (in any case).",
        }
    ]


async def test_sibling_groups_have_different_names_in_any_case(as_admin, world):
    await factories.group(world.root, "North")
    before = await snapshot()
    for name in ("North", "north", " NORTH "):
        data = await as_admin(CREATE, name=name)
        assert data["createChargingGroup"] == {"group": None, "errors": name_taken()}
        # Renaming a sibling to it is refused too.
        data = await as_admin(UPDATE, input={"id": str(world.g2.id), "name": name})
        assert data["updateChargingGroup"] == {"group": None, "errors": name_taken()}
    assert await snapshot() == before
    # Under another parent the name is free, and a group may change its own name's case.
    data = await as_admin(CREATE, name="North", parent=str(world.g1.id))
    below_g1 = data["createChargingGroup"]["group"]["id"]
    assert data["createChargingGroup"]["errors"] == []
    data = await as_admin(UPDATE, input={"id": below_g1, "name": "NORTH"})
    assert data["updateChargingGroup"]["errors"] == []


async def test_moving_a_group_next_to_a_namesake_is_refused(as_admin, world):
    await factories.group(world.root, "North")
    moving = await factories.group(world.g1, "north")
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(moving.id), "parentId": str(world.root.id)})
    assert data["updateChargingGroup"] == {"group": None, "errors": name_taken("parentId")}
    input = {"id": str(moving.id), "parentId": str(world.root.id), "name": "NORTH"}
    data = await as_admin(UPDATE, input=input)
    assert data["updateChargingGroup"] == {"group": None, "errors": name_taken()}
    assert await snapshot() == before
    input = {"id": str(moving.id), "parentId": str(world.root.id), "name": "North 2"}
    data = await as_admin(UPDATE, input=input)
    assert data["updateChargingGroup"]["errors"] == []


async def test_concurrent_creates_of_one_name_give_one_group(as_admin, world):
    names = ["North", "NORTH", "north", "North"]
    results = await asyncio.gather(*(as_admin(CREATE, name=name) for name in names))
    errors = sorted((r["createChargingGroup"]["errors"] for r in results), key=len)
    assert errors == [[], name_taken(), name_taken(), name_taken()]
    assert await ChargingGroup.filter(name__iexact="north").count() == 1
