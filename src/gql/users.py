"""Charging users, tokens and charging user groups: parse, call one service, map."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.users import service as users
from domain.users import tokens, user_groups
from domain.users.service import UserChanges, UserData, UserFilter
from domain.users.tokens import UNCHANGED, TokenChanges, TokenData
from domain.users.user_groups import UserGroupChanges, UserGroupData, UserGroupFilter
from gql.policy import Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.groups import DeletePayload
from gql.types.users import (
    AddTokenInput,
    ChargingUser,
    ChargingUserGroup,
    ChargingUserGroupPage,
    ChargingUserGroupPayload,
    ChargingUserGroupSort,
    ChargingUserPage,
    ChargingUserPayload,
    ChargingUserSort,
    CreateChargingUserGroupInput,
    CreateChargingUserInput,
    Token,
    TokenInput,
    TokenPayload,
    UpdateChargingUserGroupInput,
    UpdateChargingUserInput,
    UpdateTokenInput,
)


def _given(value: Any) -> Any:
    """An argument left out keeps the value; an explicit null clears it."""
    return UNCHANGED if value is strawberry.UNSET else value


def _ids(values: list[strawberry.ID] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def _token(data: TokenInput | AddTokenInput) -> TokenData:
    return TokenData(
        uid=data.uid,
        name=data.name,
        status=data.status,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
    )


@strawberry.type
class ChargingUserQuery:
    @strawberry.field(extensions=[Policy("user.read")])
    async def charging_user(self, info: strawberry.Info, id: strawberry.ID) -> ChargingUser | None:
        row = await users.get(principal=info.context.actor, user_id=id)
        return ChargingUser.from_row(row) if row else None

    @strawberry.field(
        extensions=[Policy("user.read")],
        description="Search matches every word against names, e-mail and token ids",
    )
    async def charging_users(
        self,
        info: strawberry.Info,
        search: str | None = None,
        group_id: strawberry.ID | None = None,
        user_group_id: strawberry.ID | None = None,
        sort: ChargingUserSort | None = None,
        page: PageInput | None = None,
    ) -> ChargingUserPage | None:
        sort = sort or ChargingUserSort()
        result = await users.list_users(
            principal=info.context.actor,
            filter=UserFilter(
                search=search,
                group_id=group_id,
                user_group_id=user_group_id,
                sort=sort.field,
                descending=sort.direction == SortDirection.DESC,
            ),
            page=page_of(page),
        )
        return ChargingUserPage(
            total_count=result.total_count,
            items=[ChargingUser.from_row(r) for r in result.items],
        )

    @strawberry.field(extensions=[Policy("user_group.read")])
    async def charging_user_group(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ChargingUserGroup | None:
        row = await user_groups.get(principal=info.context.actor, user_group_id=id)
        return ChargingUserGroup.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("user_group.read")])
    async def charging_user_groups(
        self,
        info: strawberry.Info,
        search: str | None = None,
        sort: ChargingUserGroupSort | None = None,
        page: PageInput | None = None,
    ) -> ChargingUserGroupPage | None:
        sort = sort or ChargingUserGroupSort()
        result = await user_groups.list_user_groups(
            principal=info.context.actor,
            filter=UserGroupFilter(
                search=search, sort=sort.field, descending=sort.direction == SortDirection.DESC
            ),
            page=page_of(page),
        )
        return ChargingUserGroupPage(
            total_count=result.total_count,
            items=[ChargingUserGroup.from_row(r) for r in result.items],
        )


@strawberry.type
class ChargingUserMutation:
    @strawberry.mutation(
        extensions=[Policy("user.create")],
        description="Tokens given here need token.create; a user group, user_group.update",
    )
    async def create_charging_user(
        self, info: strawberry.Info, input: CreateChargingUserInput
    ) -> ChargingUserPayload:
        row = await users.create(
            principal=info.context.actor,
            data=UserData(
                email=input.email,
                first_name=input.first_name,
                last_name=input.last_name,
                group_id=input.group_id,
                user_group_id=input.user_group_id,
                access_group_ids=[str(i) for i in input.access_group_ids],
                access_station_ids=[str(i) for i in input.access_station_ids],
                active=input.active,
                tokens=[_token(t) for t in input.tokens],
            ),
        )
        return ChargingUserPayload(user=ChargingUser.from_row(row))

    @strawberry.mutation(extensions=[Policy("user.update")])
    async def update_charging_user(
        self, info: strawberry.Info, input: UpdateChargingUserInput
    ) -> ChargingUserPayload:
        row = await users.update(
            principal=info.context.actor,
            user_id=input.id,
            changes=UserChanges(
                version=input.version,
                first_name=input.first_name,
                last_name=input.last_name,
                group_id=input.group_id,
                user_group_id=_given(input.user_group_id),
                access_group_ids=_ids(input.access_group_ids),
                access_station_ids=_ids(input.access_station_ids),
                active=input.active,
            ),
        )
        return ChargingUserPayload(user=ChargingUser.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("user.delete")],
        description="The user leaves lists and lookups; charging history stays; the user's "
        "tokens are deleted so their ids can be used again",
    )
    async def remove_charging_user(
        self, info: strawberry.Info, id: strawberry.ID, version: int | None = None
    ) -> DeletePayload:
        await users.remove(principal=info.context.actor, user_id=id, version=version)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(extensions=[Policy("token.create")])
    async def add_token(self, info: strawberry.Info, input: AddTokenInput) -> TokenPayload:
        row = await tokens.add(
            principal=info.context.actor, user_id=input.user_id, data=_token(input)
        )
        return TokenPayload(token=Token.from_row(row))

    @strawberry.mutation(extensions=[Policy("token.update")])
    async def update_token(self, info: strawberry.Info, input: UpdateTokenInput) -> TokenPayload:
        row = await tokens.update(
            principal=info.context.actor,
            token_id=input.id,
            changes=TokenChanges(
                name=input.name,
                status=input.status,
                valid_from=_given(input.valid_from),
                valid_to=_given(input.valid_to),
            ),
        )
        return TokenPayload(token=Token.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("token.delete")], description="The token's id can be used again"
    )
    async def delete_token(self, info: strawberry.Info, id: strawberry.ID) -> DeletePayload:
        await tokens.delete(principal=info.context.actor, token_id=id)
        return DeletePayload(deleted_id=id)


@strawberry.type
class UserGroupMutation:
    @strawberry.mutation(extensions=[Policy("user_group.create")])
    async def create_charging_user_group(
        self, info: strawberry.Info, input: CreateChargingUserGroupInput
    ) -> ChargingUserGroupPayload:
        row = await user_groups.create(
            principal=info.context.actor,
            data=UserGroupData(
                name=input.name,
                group_id=input.group_id,
                active=input.active,
                member_ids=[str(i) for i in input.member_ids],
            ),
        )
        return ChargingUserGroupPayload(user_group=ChargingUserGroup.from_row(row))

    @strawberry.mutation(extensions=[Policy("user_group.update")])
    async def update_charging_user_group(
        self, info: strawberry.Info, input: UpdateChargingUserGroupInput
    ) -> ChargingUserGroupPayload:
        row = await user_groups.update(
            principal=info.context.actor,
            user_group_id=input.id,
            changes=UserGroupChanges(
                version=input.version,
                name=input.name,
                group_id=input.group_id,
                active=input.active,
                member_ids=_ids(input.member_ids),
            ),
        )
        return ChargingUserGroupPayload(user_group=ChargingUserGroup.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("user_group.delete")], description="Only a group without members"
    )
    async def delete_charging_user_group(
        self, info: strawberry.Info, id: strawberry.ID, version: int | None = None
    ) -> DeletePayload:
        await user_groups.delete(principal=info.context.actor, user_group_id=id, version=version)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        extensions=[Policy("pricing.manage")],
        description="Group fees at AC and DC stations; left out: unchanged; null: none",
    )
    async def set_user_group_fees(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        ac_tariff_id: strawberry.ID | None = strawberry.UNSET,
        dc_tariff_id: strawberry.ID | None = strawberry.UNSET,
        version: int | None = None,
    ) -> ChargingUserGroupPayload:
        row = await user_groups.set_fees(
            principal=info.context.actor,
            user_group_id=id,
            ac_tariff_id=_given(ac_tariff_id),
            dc_tariff_id=_given(dc_tariff_id),
            version=version,
        )
        return ChargingUserGroupPayload(user_group=ChargingUserGroup.from_row(row))
