"""Operator queries and mutations: parse, call one service, map."""

from __future__ import annotations

import strawberry

from domain.operators import service
from domain.operators.service import OperatorChanges, OperatorFilter
from gql.policy import SIGNED_IN, Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.groups import DeletePayload
from gql.types.operators import (
    InviteOperatorInput,
    OkPayload,
    Operator,
    OperatorPage,
    OperatorPayload,
    OperatorRole,
    OperatorSortInput,
    OperatorStatus,
    UpdateOperatorInput,
)
from tenancy import auth


@strawberry.type
class OperatorQuery:
    @strawberry.field(extensions=[Policy(SIGNED_IN)], description="The signed-in operator")
    async def me(self, info: strawberry.Info) -> Operator | None:
        actor = info.context.actor
        row = await service.get(principal=actor, operator_id=actor.operator_id)
        return Operator.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("operator.read")])
    async def operator(self, info: strawberry.Info, id: strawberry.ID) -> Operator | None:
        row = await service.get(principal=info.context.actor, operator_id=id)
        return Operator.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("operator.read")])
    async def operators(
        self,
        info: strawberry.Info,
        search: str | None = None,
        status: OperatorStatus | None = None,  # type: ignore[valid-type]
        role: OperatorRole | None = None,  # type: ignore[valid-type]
        sort: OperatorSortInput | None = None,
        page: PageInput | None = None,
    ) -> OperatorPage | None:
        sort = sort or OperatorSortInput()
        result = await service.list_operators(
            principal=info.context.actor,
            filter=OperatorFilter(
                search=search,
                status=status,
                role=role,
                sort=sort.field,
                descending=sort.direction == SortDirection.DESC,
            ),
            page=page_of(page),
        )
        return OperatorPage(
            total_count=result.total_count, items=[Operator.from_row(r) for r in result.items]
        )


@strawberry.type
class OperatorMutation:
    @strawberry.mutation(extensions=[Policy("operator.invite")])
    async def invite_operator(
        self, info: strawberry.Info, input: InviteOperatorInput
    ) -> OperatorPayload:
        ctx = info.context
        row, message = await service.invite(
            principal=ctx.actor,
            username=input.username,
            email=input.email,
            first_name=input.first_name,
            last_name=input.last_name,
            role=input.role,
            base_group_id=input.base_group_id,
            link_base=ctx.services.link_base,
        )
        ctx.send_mail(message.id)
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("operator.remind")],
        description="Send the invitation again; only while the operator has not activated",
    )
    async def resend_invitation(self, info: strawberry.Info, id: strawberry.ID) -> OkPayload:
        ctx = info.context
        message = await service.resend_invitation(
            principal=ctx.actor, operator_id=id, link_base=ctx.services.link_base
        )
        ctx.send_mail(message.id)
        return OkPayload(ok=True)

    @strawberry.mutation(
        extensions=[Policy("me.update")],
        description="Edit an operator; a basic operator may edit only themselves",
    )
    async def update_operator(
        self, info: strawberry.Info, input: UpdateOperatorInput
    ) -> OperatorPayload:
        row = await service.update(
            principal=info.context.actor,
            operator_id=input.id,
            changes=OperatorChanges(
                email=input.email,
                first_name=input.first_name,
                last_name=input.last_name,
                base_group_id=input.base_group_id,
                version=input.version,
            ),
        )
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(extensions=[Policy("operator.set_status")])
    async def set_operator_status(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        status: OperatorStatus,  # type: ignore[valid-type]
        version: int | None = None,
    ) -> OperatorPayload:
        row = await service.set_status(
            principal=info.context.actor, operator_id=id, status=status, version=version
        )
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(extensions=[Policy("operator.set_role")])
    async def set_operator_role(
        self,
        info: strawberry.Info,
        id: strawberry.ID,
        role: OperatorRole,  # type: ignore[valid-type]
        version: int | None = None,
    ) -> OperatorPayload:
        row = await service.set_role(
            principal=info.context.actor, operator_id=id, role=role, version=version
        )
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("operator.reset_password")],
        description="E-mail the operator a link to set a new password",
    )
    async def send_password_reset(self, info: strawberry.Info, id: strawberry.ID) -> OkPayload:
        ctx = info.context
        message = await service.send_password_reset(
            principal=ctx.actor, operator_id=id, link_base=ctx.services.link_base
        )
        ctx.send_mail(message.id)
        return OkPayload(ok=True)

    @strawberry.mutation(
        extensions=[Policy("operator.unlock")],
        description="Let the operator log in again after failed attempts locked the username "
        "(their sessions were never ended by it)",
    )
    async def unlock_operator_login(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> OperatorPayload:
        row = await auth.unlock_login(
            principal=info.context.actor, operator_id=id, redis=info.context.services.redis
        )
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(extensions=[Policy("operator.delete")])
    async def delete_operator(self, info: strawberry.Info, id: strawberry.ID) -> DeletePayload:
        await service.delete(principal=info.context.actor, operator_id=id)
        return DeletePayload(deleted_id=id)
