"""Charging group tree: create, rename, move, delete, list. Callers own the transaction.

Sibling groups have different names in any case (the unique index `uq_group_sibling_name`
on the parent and the lower-cased name): create, rename and move check it under an
advisory lock on the parent and the lower-cased name, so concurrent attempts wait for each
other and the loser gets GROUP_NAME_EXISTS instead of an integrity error.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from tortoise.functions import Lower

from domain import db, rows
from domain.errors import (
    GROUP_HAS_STATIONS,
    GROUP_HAS_SUBGROUPS,
    GROUP_INTO_OWN_SUBTREE,
    GROUP_IS_BASE,
    GROUP_NAME_EXISTS,
    GROUP_NOT_DELETABLE,
    GROUP_NOT_FOUND,
    GROUP_NOT_MOVABLE,
    PARENT_REQUIRED,
    require_text,
)
from domain.groups.models import ChargingGroup
from domain.operators.models import Operator
from domain.organisations.models import Organisation
from domain.pagination import Page, PageRequest
from domain.principal import Principal
from domain.scope import group_or_base, organisation_rows, visible_groups
from domain.stations.models import ChargingStation

NAME_MAX = 100


class GroupSort(Enum):
    NAME = "name"
    CREATED_AT = "created_at"
    PATH = "path"


@dataclass(frozen=True)
class GroupFilter:
    search: str | None = None
    sort: GroupSort = GroupSort.NAME
    descending: bool = False


def child_path(parent_path: str, group_id: uuid.UUID) -> str:
    return f"{parent_path}{group_id}/"


async def create_root(*, organisation: Organisation, name: str) -> ChargingGroup:
    """The root group every organisation has (bootstrap only)."""
    group_id = uuid.uuid4()
    return await ChargingGroup.create(
        id=group_id, organisation=organisation, parent=None, name=name, path=f"/{group_id}/"
    )


async def get(*, principal: Principal, group_id: str | uuid.UUID) -> ChargingGroup | None:
    return await rows.find(visible_groups(principal), group_id)


async def list_groups(
    *, principal: Principal, filter: GroupFilter, page: PageRequest
) -> Page[ChargingGroup]:
    query = visible_groups(principal)
    if filter.search and filter.search.strip():
        query = query.filter(name__icontains=filter.search.strip())
    return await rows.sorted_page(query, page, filter.sort, descending=filter.descending)


async def subtree_station_counts(group_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Stations anywhere below each group, in one statement."""
    if not group_ids:
        return {}
    rows = await db.fetch(
        """
        SELECT g.id AS id, count(s.id) AS n
        FROM charging_group g
        LEFT JOIN charging_group d
          ON d.organisation_id = g.organisation_id AND left(d.path, length(g.path)) = g.path
        LEFT JOIN charging_station s ON s.group_id = d.id
        WHERE g.id = ANY($1::uuid[])
        GROUP BY g.id
        """,
        group_ids,
    )
    return {row["id"]: row["n"] for row in rows}


async def _name_free(
    parent: ChargingGroup, name: str, *, exclude: uuid.UUID | None = None, field: str = "name"
) -> None:
    """No other child of `parent` is called `name` in any case (checked under a lock)."""
    key = name.lower()
    await db.advisory_lock(f"group-name:{parent.id}:{key}")
    query = (
        organisation_rows(ChargingGroup, parent.organisation_id)
        .filter(parent_id=parent.id)
        .annotate(name_key=Lower("name"))
        .filter(name_key=key)
    )
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise GROUP_NAME_EXISTS.error(field)


async def create(*, principal: Principal, name: str, parent_id: str | None = None) -> ChargingGroup:
    name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    if parent_id is None and not principal.is_admin:
        raise PARENT_REQUIRED.error("parentId")
    parent = await group_or_base(principal, parent_id, "parentId")
    await _name_free(parent, name)
    group_id = uuid.uuid4()
    return await ChargingGroup.create(
        id=group_id,
        organisation_id=principal.organisation_id,
        parent=parent,
        name=name,
        path=child_path(parent.path, group_id),
    )


async def update(
    *,
    principal: Principal,
    group_id: str,
    name: str | None = None,
    parent_id: str | None = None,
    version: int | None = None,
) -> ChargingGroup:
    """Rename and/or move a group (with its whole subtree) under another group."""
    group = await rows.lock(
        visible_groups(principal), group_id, message=GROUP_NOT_FOUND, field="id"
    )
    rows.check_version(group, version)
    renamed = name is not None
    if name is not None:
        group.name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    moved_to: ChargingGroup | None = None
    if parent_id is not None:
        # Resolve the parent first, so an out-of-scope parent answers like a missing one
        # even when it is the current parent.
        parent = await rows.require(
            visible_groups(principal), parent_id, message=GROUP_NOT_FOUND, field="parentId"
        )
        if parent.id != group.parent_id:
            moved_to = parent
    if moved_to is not None:
        await _move(principal, group, moved_to, field="name" if renamed else "parentId")
    elif renamed and group.parent_id is not None:
        parent_row = await ChargingGroup.get(id=group.parent_id)
        await _name_free(parent_row, group.name, exclude=group.id)
    await rows.bump(group)
    return group


async def _move(
    principal: Principal, group: ChargingGroup, parent: ChargingGroup, *, field: str
) -> None:
    if group.is_root or group.path == principal.base_path:
        raise GROUP_NOT_MOVABLE.error("parentId")
    if parent.path.startswith(group.path):
        raise GROUP_INTO_OWN_SUBTREE.error("parentId")
    await _name_free(parent, group.name, exclude=group.id, field=field)
    old_path, new_path = group.path, child_path(parent.path, group.id)
    # Rewrite the prefix of the whole subtree in one statement.
    await db.execute(
        """
        UPDATE charging_group
        SET path = $1 || substr(path, length($2) + 1), version = version + 1
        WHERE organisation_id = $3 AND left(path, length($2)) = $2 AND id <> $4
        """,
        new_path,
        old_path,
        group.organisation_id,
        group.id,
    )
    group.parent = parent
    group.path = new_path


async def delete(*, principal: Principal, group_id: str, version: int | None = None) -> None:
    group = await rows.lock(
        visible_groups(principal), group_id, message=GROUP_NOT_FOUND, field="id"
    )
    rows.check_version(group, version)
    if group.is_root or group.path == principal.base_path:
        raise GROUP_NOT_DELETABLE.error("id")
    if await ChargingGroup.filter(parent_id=group.id).exists():
        raise GROUP_HAS_SUBGROUPS.error("id")
    if await ChargingStation.filter(group_id=group.id).exists():
        raise GROUP_HAS_STATIONS.error("id")
    if await Operator.filter(base_group_id=group.id).exists():
        raise GROUP_IS_BASE.error("id")
    await group.delete()


async def get_many(
    *, principal: Principal, group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ChargingGroup]:
    """Visible groups by id, in one statement (dataloaders)."""
    rows = await visible_groups(principal).filter(id__in=group_ids)
    return {row.id: row for row in rows}
