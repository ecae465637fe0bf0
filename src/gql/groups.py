"""Charging group queries and mutations: parse, call one service, map."""

from __future__ import annotations

import strawberry

from domain.groups import service
from domain.groups.service import GroupFilter
from gql.policy import Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.groups import (
    ChargingGroup,
    ChargingGroupPage,
    ChargingGroupPayload,
    ChargingGroupSort,
    CreateChargingGroupInput,
    DeletePayload,
    UpdateChargingGroupInput,
)


@strawberry.type
class GroupQuery:
    @strawberry.field(extensions=[Policy("group.read")])
    async def charging_group(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ChargingGroup | None:
        row = await service.get(principal=info.context.actor, group_id=id)
        return ChargingGroup.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("group.read")])
    async def charging_groups(
        self,
        info: strawberry.Info,
        search: str | None = None,
        sort: ChargingGroupSort | None = None,
        page: PageInput | None = None,
    ) -> ChargingGroupPage | None:
        sort = sort or ChargingGroupSort()
        result = await service.list_groups(
            principal=info.context.actor,
            filter=GroupFilter(
                search=search,
                sort=sort.field,
                descending=sort.direction == SortDirection.DESC,
            ),
            page=page_of(page),
        )
        return ChargingGroupPage(
            total_count=result.total_count,
            items=[ChargingGroup.from_row(r) for r in result.items],
        )


@strawberry.type
class GroupMutation:
    @strawberry.mutation(extensions=[Policy("group.create")])
    async def create_charging_group(
        self, info: strawberry.Info, input: CreateChargingGroupInput
    ) -> ChargingGroupPayload:
        row = await service.create(
            principal=info.context.actor, name=input.name, parent_id=input.parent_id
        )
        return ChargingGroupPayload(group=ChargingGroup.from_row(row))

    @strawberry.mutation(extensions=[Policy("group.update")])
    async def update_charging_group(
        self, info: strawberry.Info, input: UpdateChargingGroupInput
    ) -> ChargingGroupPayload:
        row = await service.update(
            principal=info.context.actor,
            group_id=input.id,
            name=input.name,
            parent_id=input.parent_id,
            version=input.version,
        )
        return ChargingGroupPayload(group=ChargingGroup.from_row(row))

    @strawberry.mutation(extensions=[Policy("group.delete")])
    async def delete_charging_group(
        self, info: strawberry.Info, id: strawberry.ID, version: int | None = None
    ) -> DeletePayload:
        await service.delete(principal=info.context.actor, group_id=id, version=version)
        return DeletePayload(deleted_id=id)
