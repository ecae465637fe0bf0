"""Concurrent edits (DESIGN.md): every mutation that takes the `version` of what it changes
refuses a stale one with the conflict user error and changes nothing.

Each row makes one entity, lets "someone else" move it to version 2, then tries the change
with version 1 (refused, nothing changed) and with version 2 (done). Updates are also tried
twice at once with the same version: exactly one of them wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, build_schema, get_named_type
from tortoise.models import Model

from domain.errors import CONFLICT
from gql.schema import sdl
from tests import factories
from tests.factories import World
from tests.gqlclient import GraphQLClient

Make = Callable[[World], Awaitable[tuple[Model, dict[str, Any]]]]
STALE = [{"code": "CONFLICT", "field": "version", "message": CONFLICT}]


@dataclass(frozen=True)
class Edit:
    mutation: str
    make: Make  # -> the entity, and the variables of the change besides id and version
    arguments: str  # the mutation's arguments, with $id and $version
    variables: str = ""  # declarations of further variables
    update: bool = True  # an edit that leaves the entity in place (not a delete)

    @property
    def document(self) -> str:
        head = "mutation($id: ID!, $version: Int%s)" % self.variables
        return "%s { %s(%s) { errors { code field message } } }" % (
            head, self.mutation, self.arguments
        )  # fmt: skip


def made(row: Model, **variables: Any) -> tuple[Model, dict[str, Any]]:
    return row, variables


async def operator(w: World) -> tuple[Model, dict[str, Any]]:
    return made(w.basic_g2)


async def group(w: World) -> tuple[Model, dict[str, Any]]:
    return made(await factories.group(w.root, "Spare"))


async def tariff(w: World) -> tuple[Model, dict[str, Any]]:
    return made(await factories.tariff(w.root, name="Spare tariff"))


async def station(w: World) -> tuple[Model, dict[str, Any]]:
    return made(await factories.station(w.g1, points=1))


async def user(w: World) -> tuple[Model, dict[str, Any]]:
    return made(await factories.charging_user(w.g1))


async def user_group(w: World) -> tuple[Model, dict[str, Any]]:
    return made(await factories.user_group(w.g1))


async def user_group_and_tariff(w: World) -> tuple[Model, dict[str, Any]]:
    fee = await factories.tariff(w.root, name="Fee")
    return made(await factories.user_group(w.g1), tariff=str(fee.id))


INPUT = "input: {id: $id, version: $version, %s}"
EDITS = [
    Edit("updateOperator", operator, INPUT % 'firstName: "Late"'),
    Edit("setOperatorStatus", operator, "id: $id, version: $version, status: INACTIVE"),
    Edit("setOperatorRole", operator, "id: $id, version: $version, role: ADMIN"),
    Edit("updateChargingGroup", group, INPUT % 'name: "Late"'),
    Edit("deleteChargingGroup", group, "id: $id, version: $version", update=False),
    Edit("setGroupPricing", group, "groupId: $id, version: $version, allowRoaming: true"),
    Edit("updateTariff", tariff, INPUT % 'name: "Late"'),
    Edit("deleteTariff", tariff, "id: $id, version: $version", update=False),
    Edit("updateChargingStation", station, INPUT % 'name: "Late"'),
    Edit("deleteChargingStation", station, "id: $id, version: $version", update=False),
    Edit("updateChargingUser", user, INPUT % 'firstName: "Late"'),
    Edit("removeChargingUser", user, "id: $id, version: $version", update=False),
    Edit("updateChargingUserGroup", user_group, INPUT % 'name: "Late"'),
    Edit("deleteChargingUserGroup", user_group, "id: $id, version: $version", update=False),
    Edit("setUserGroupFees", user_group_and_tariff,
         "id: $id, version: $version, acTariffId: $tariff", variables=", $tariff: ID"),
]  # fmt: skip


async def row_of(entity: Model) -> dict[str, Any] | None:
    """The entity's row as stored now (None when it is gone)."""
    rows = await type(entity).filter(pk=entity.pk).values()
    return rows[0] if rows else None


async def attempt(as_admin: GraphQLClient, edit: Edit, entity: Model, version: int, **v: Any):  # type: ignore[no-untyped-def]
    data = await as_admin(edit.document, id=str(entity.pk), version=version, **v)
    return data[edit.mutation]["errors"]


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.mutation)
async def test_a_stale_version_is_refused_and_changes_nothing(
    as_admin: GraphQLClient, world: World, edit: Edit
) -> None:
    entity, variables = await edit.make(world)
    await type(entity).filter(pk=entity.pk).update(version=2)  # someone else's edit
    before = await row_of(entity)
    assert await attempt(as_admin, edit, entity, 1, **variables) == STALE
    assert await row_of(entity) == before
    # With the version it has now, the same change goes through.
    assert await attempt(as_admin, edit, entity, 2, **variables) == []
    assert await row_of(entity) != before


@pytest.mark.parametrize("edit", [e for e in EDITS if e.update], ids=lambda e: e.mutation)
async def test_of_two_edits_of_one_version_one_wins(
    as_admin: GraphQLClient, world: World, edit: Edit
) -> None:
    entity, variables = await edit.make(world)
    version = (await row_of(entity) or {})["version"]
    results = await asyncio.gather(
        *(attempt(as_admin, edit, entity, version, **variables) for _ in range(2))
    )
    assert sorted(results, key=len) == [[], STALE]
    assert (await row_of(entity) or {})["version"] == version + 1


def test_every_mutation_taking_a_version_is_in_the_table() -> None:
    schema = build_schema(sdl())
    mutation = schema.mutation_type
    assert mutation is not None
    taking = set()
    for name, field in mutation.fields.items():
        inputs = [get_named_type(arg.type) for arg in field.args.values()]
        nested = [t for t in inputs if isinstance(t, GraphQLInputObjectType)]
        if "version" in field.args or any("version" in t.fields for t in nested):
            taking.add(name)
    assert taking == {e.mutation for e in EDITS}
