from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.groups.models import ChargingGroup as GroupRow
from domain.groups.service import GroupSort
from gql.errors import UserError
from gql.types.common import SortDirection

ChargingGroupSortField = strawberry.enum(GroupSort, name="ChargingGroupSortField")


@strawberry.type(name="ChargingGroup", description="A node of the organisation's group tree")
class ChargingGroup:
    id: strawberry.ID
    name: str
    version: int
    created_at: datetime
    is_root: bool
    depth: int
    row_id: strawberry.Private[uuid.UUID]
    parent_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: GroupRow) -> ChargingGroup:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            version=row.version,
            created_at=row.created_at,
            is_root=row.is_root,
            depth=row.depth,
            row_id=row.id,
            parent_id=row.parent_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="Null for the root, or when the parent is outside your scope")
    async def parent(self, info: strawberry.Info) -> ChargingGroup | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.group.load(self.parent_id)
        return ChargingGroup.from_row(row) if row else None

    @strawberry.field(description="Charging stations in this group and every group below it")
    async def station_count(self, info: strawberry.Info) -> int:
        return await info.context.loaders.station_count.load(self.row_id)


@strawberry.type
class ChargingGroupPage:
    total_count: int
    items: list[ChargingGroup]


@strawberry.input
class ChargingGroupSort:
    field: ChargingGroupSortField = GroupSort.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CreateChargingGroupInput:
    name: str = strawberry.field(
        description='Unique among the parent\'s subgroups, in any case ("North" and '
        '"north" cannot be siblings): ALREADY_EXISTS otherwise'
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: your base group (admin only; basic must give one)"
    )


@strawberry.input
class UpdateChargingGroupInput:
    id: strawberry.ID
    name: str | None = strawberry.field(
        default=None,
        description="Unique among the parent's subgroups, in any case: ALREADY_EXISTS otherwise",
    )
    parent_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Move the group, with its subtree, under this group; refused "
        "(ALREADY_EXISTS) when a subgroup there has the group's name in any case",
    )
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused (CONFLICT)"
    )


@strawberry.type
class ChargingGroupPayload:
    group: ChargingGroup | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
