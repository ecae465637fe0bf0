"""SQL statements per GraphQL request do not grow with the rows returned (dataloaders).

Counted against the real server by listening to Tortoise's SQL logger (tests/sqlcount.py).
"""

from __future__ import annotations

from typing import Any

from domain.groups.models import ChargingGroup
from tests import factories
from tests.gqlclient import GraphQLClient
from tests.sqlcount import SQLCounter, count_sql

OPERATORS = """
{ operators(page: {limit: 100}) { totalCount items { username baseGroup { name } } } }
"""
GROUPS = """
{ chargingGroups(page: {limit: 100}) { totalCount items { name stationCount parent { name } } } }
"""
ONE_GROUP = """query($id: ID!) { chargingGroup(id: $id) { id name } }"""
ME = """{ me { id username } }"""

# Session lookup (operator and base group joined in), count, page, base-group loader.
OPERATOR_LIST_STATEMENTS = 4
# Session lookup, count, page, parent loader, station-count loader.
GROUP_LIST_STATEMENTS = 5
# Session lookup, the row.
ONE_OBJECT_STATEMENTS = 2


async def run(client: GraphQLClient, query: str, **variables: Any) -> tuple[dict, SQLCounter]:
    with count_sql() as sql:
        data = await client(query, **variables)
    return data, sql


async def more_groups(world: factories.World, count: int) -> list[ChargingGroup]:
    """`count` groups hung under the existing tree in turn, so parents differ."""
    parents = [world.root, world.g1, world.g1a, world.g2]
    made = []
    for n in range(count):
        made.append(await factories.group(parents[n % len(parents)]))
        parents.append(made[-1])
    return made


async def test_operator_list_statements_do_not_grow_with_rows(as_admin, world):
    # Org A has alpha, beta and gamma; bring it to 10 operators, then to 100, with base
    # groups spread over many groups so the loader gets many keys.
    bases = [world.root, world.g1, world.g1a, world.g2, *await more_groups(world, 16)]
    for n in range(7):
        await factories.operator(bases[n % len(bases)], "basic")
    data, ten = await run(as_admin, OPERATORS)
    assert data["operators"]["totalCount"] == 10
    assert len(data["operators"]["items"]) == 10
    assert all(item["baseGroup"]["name"] for item in data["operators"]["items"])

    for n in range(7, 97):
        await factories.operator(bases[n % len(bases)], "basic")
    data, hundred = await run(as_admin, OPERATORS)
    items = data["operators"]["items"]
    assert data["operators"]["totalCount"] == 100
    assert len(items) == 100
    assert len({item["baseGroup"]["name"] for item in items}) == len(bases)

    assert ten.count == OPERATOR_LIST_STATEMENTS, ten.report()
    assert hundred.count == ten.count, hundred.report()


async def test_group_list_statements_do_not_grow_with_rows(as_admin, world):
    # Org A has 4 groups; bring it to 10, then to 100, each new group with a station.
    for made in await more_groups(world, 6):
        await factories.station(made)
    data, ten = await run(as_admin, GROUPS)
    items = data["chargingGroups"]["items"]
    assert data["chargingGroups"]["totalCount"] == 10
    assert len(items) == 10
    by_name = {item["name"]: item for item in items}
    assert by_name[world.root.name]["stationCount"] == 6
    assert by_name[world.root.name]["parent"] is None
    assert by_name[world.g1a.name]["parent"] == {"name": world.g1.name}

    for made in await more_groups(world, 90):
        await factories.station(made)
    data, hundred = await run(as_admin, GROUPS)
    items = data["chargingGroups"]["items"]
    assert data["chargingGroups"]["totalCount"] == 100
    assert len(items) == 100
    assert sum(item["parent"] is None for item in items) == 1
    assert {item["name"]: item for item in items}[world.root.name]["stationCount"] == 96

    assert ten.count == GROUP_LIST_STATEMENTS, ten.report()
    assert hundred.count == ten.count, hundred.report()


async def test_one_object_costs_two_statements(as_admin, world):
    data, one = await run(as_admin, ONE_GROUP, id=str(world.g1.id))
    assert data["chargingGroup"] == {"id": str(world.g1.id), "name": world.g1.name}
    assert one.count == ONE_OBJECT_STATEMENTS, one.report()

    data, me = await run(as_admin, ME)
    assert data["me"]["username"] == world.admin.username
    assert me.count == ONE_OBJECT_STATEMENTS, me.report()


async def test_counter_sees_statements_and_restores_the_logger(server):
    import logging

    from tortoise.connection import get_connection

    logger = logging.getLogger("tortoise.db_client")
    before = logger.level
    with count_sql() as sql:
        await get_connection("default").execute_query("SELECT 1")
    assert sql.count == 1
    assert logger.level == before
    assert not any(isinstance(h, SQLCounter) for h in logger.handlers)
