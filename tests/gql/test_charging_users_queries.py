"""Charging users (seed 003), the queries: lookup and list in scope, search, filters, sorting,
pages, statements per request."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories
from tests.gql.charging_users_support import (
    LIST,
    ONE,
    ROWS,
)
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

# --- look up and list -----------------------------------------------------------------------


@pytest.mark.actors("admin", "basic", "outsider")
async def test_lookup_follows_scope(as_actor, actor_role, world):
    pine = await factories.charging_user(world.g1a, email="pine@duckburg.com")
    birch = await factories.charging_user(world.g2, email="birch@duckburg.com")
    found = [(await as_actor(ONE, id=str(u.id)))["chargingUser"] for u in (pine, birch)]
    expected = {
        "admin": [{"email": "pine@duckburg.com", "group": {"name": world.g1a.name}},
                  {"email": "birch@duckburg.com", "group": {"name": world.g2.name}}],
        "basic": [{"email": "pine@duckburg.com", "group": {"name": world.g1a.name}}, None],
        "outsider": [None, None],
    }[actor_role]  # fmt: skip
    assert found == expected
    assert (await as_actor(ONE, id="not-an-id"))["chargingUser"] is None


@pytest.mark.actors("admin", "basic", "outsider")
async def test_list_shows_only_the_actors_users(as_actor, actor_role, world):
    for group, email in ((world.g1, "a@x.com"), (world.g1a, "b@x.com"), (world.g2, "c@x.com"),
                         (world.root, "d@x.com"), (world.root_b, "e@x.com")):  # fmt: skip
        await factories.charging_user(group, email=email)
    data = await as_actor(LIST, sort={"field": "EMAIL"})
    emails = [i["email"] for i in data["chargingUsers"]["items"]]
    assert (
        emails
        == {
            "admin": ["a@x.com", "b@x.com", "c@x.com", "d@x.com"],
            "basic": ["a@x.com", "b@x.com"],
            "outsider": ["e@x.com"],
        }[actor_role]
    )


async def test_search_by_name_email_or_token_id(as_admin, world):
    scrooge = await factories.charging_user(world.g1, email="scrooge@duckburg.com")
    donald = await factories.charging_user(
        world.g2, email="dduck@duckburg.com", first_name="Donald", last_name="Duck"
    )
    await factories.token(scrooge, "AB12CD")
    gone = await factories.token(donald, "FF0099")
    gone.deleted_at = gone.created_at
    await gone.save()

    async def search(text: str) -> list[str]:
        data = await as_admin(LIST, search=text, sort={"field": "EMAIL"})
        return [i["email"] for i in data["chargingUsers"]["items"]]

    assert await search("scrooge mcduck") == ["scrooge@duckburg.com"]
    assert await search("DUCK") == ["dduck@duckburg.com", "scrooge@duckburg.com"]
    assert await search("dduck@") == ["dduck@duckburg.com"]
    assert await search("ab12cd") == ["scrooge@duckburg.com"]
    assert await search("12c") == ["scrooge@duckburg.com"]
    assert await search("ff0099") == []  # deleted tokens no longer identify anyone
    assert await search("nobody") == []


async def test_filter_by_group_subtree_and_user_group(as_admin, as_basic, world):
    guests = await factories.user_group(world.root, name="Guests")
    await factories.charging_user(world.g1, email="a@x.com", member_of=guests)
    await factories.charging_user(world.g1a, email="b@x.com")
    await factories.charging_user(world.g2, email="c@x.com", member_of=guests)

    async def emails(client: GraphQLClient, **variables: Any) -> list[str]:
        data = await client(LIST, sort={"field": "EMAIL"}, **variables)
        return [i["email"] for i in data["chargingUsers"]["items"]]

    assert await emails(as_admin, group=str(world.g1.id)) == ["a@x.com", "b@x.com"]
    assert await emails(as_admin, group=str(world.g1a.id)) == ["b@x.com"]
    assert await emails(as_admin, userGroup=str(guests.id)) == ["a@x.com", "c@x.com"]
    assert await emails(as_basic, group=str(world.g2.id)) == []  # out of scope: nothing
    assert await emails(as_basic, group="junk") == []
    assert await emails(as_basic, userGroup=str(guests.id)) == []  # guests is not basic's


async def test_sort_and_paginate(as_admin, world):
    for first, last, email in (("Ann", "Bee", "z@x.com"), ("Cid", "Ace", "y@x.com"),
                               ("Bob", "Ace", "x@x.com")):  # fmt: skip
        await factories.charging_user(world.g1, first_name=first, last_name=last, email=email)

    async def page(sort: dict[str, str], offset: int = 0, limit: int = 25) -> tuple[int, list]:
        data = await as_admin(LIST, sort=sort, page={"offset": offset, "limit": limit})
        result = data["chargingUsers"]
        return result["totalCount"], [i["email"] for i in result["items"]]

    assert await page({"field": "NAME"}) == (3, ["x@x.com", "y@x.com", "z@x.com"])
    assert await page({"field": "EMAIL", "direction": "DESC"}) == (
        3, ["z@x.com", "y@x.com", "x@x.com"]
    )  # fmt: skip
    assert await page({"field": "CREATED_AT"}, offset=1, limit=1) == (3, ["y@x.com"])


async def test_rows_show_group_email_user_group_tokens_and_state(as_admin, world):
    guests = await factories.user_group(world.root, name="Guests")
    user = await factories.charging_user(world.g1, member_of=guests, active=False)
    await factories.token(user, "T1")
    await factories.token(user, "T2")
    data = await as_admin(ROWS)
    assert data["chargingUsers"]["items"] == [
        {"name": "Scrooge McDuck", "email": user.email, "active": False,
         "group": {"id": str(world.g1.id), "name": world.g1.name},
         "userGroup": {"name": "Guests"}, "tokenCount": 2,
         "tokens": [{"uid": "T1"}, {"uid": "T2"}]}
    ]  # fmt: skip


# Session lookup, count, page, group loader, user-group loader, token-count and token loaders.
USER_LIST_STATEMENTS = 7


async def test_user_list_statements_do_not_grow_with_rows(as_admin, world):
    groups = [world.root, world.g1, world.g1a, world.g2]
    user_groups = [await factories.user_group(g) for g in groups]

    async def add_users(start: int, stop: int) -> None:
        for n in range(start, stop):
            user = await factories.charging_user(
                groups[n % 4], member_of=user_groups[n % 4] if n % 3 else None
            )
            for _ in range(n % 3):
                await factories.token(user)

    await add_users(0, 10)
    with count_sql() as ten:
        data = await as_admin(ROWS)
    assert data["chargingUsers"]["totalCount"] == 10
    assert sum(i["tokenCount"] for i in data["chargingUsers"]["items"]) == 9
    await add_users(10, 100)
    with count_sql() as hundred:
        data = await as_admin(ROWS)
    items = data["chargingUsers"]["items"]
    assert len(items) == 100
    assert sum(len(i["tokens"]) for i in items) == 99
    assert len({i["userGroup"]["name"] for i in items if i["userGroup"]}) == 4
    assert ten.count == USER_LIST_STATEMENTS, ten.report()
    assert hundred.count == ten.count, hundred.report()
