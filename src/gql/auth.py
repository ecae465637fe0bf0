"""Log in and out, accept an invitation, reset or change a password."""

from __future__ import annotations

import strawberry

from domain.operators import service as operators
from gql.policy import PUBLIC, SIGNED_IN, Policy
from gql.types.operators import LoginPayload, OkPayload, Operator, OperatorPayload
from tenancy import auth


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        extensions=[Policy(PUBLIC)], description="A session valid for at most 2 hours"
    )
    async def login(self, info: strawberry.Info, username: str, password: str) -> LoginPayload:
        services = info.context.services
        result = await auth.login(
            username=username,
            password=password,
            redis=services.redis,
            policy=services.login_policy,
        )
        return LoginPayload(
            token=result.token,
            expires_at=result.expires_at,
            operator=Operator.from_row(result.operator),
        )

    @strawberry.mutation(extensions=[Policy(SIGNED_IN)], description="End this session")
    async def logout(self, info: strawberry.Info) -> OkPayload:
        await auth.logout(actor=info.context.actor)
        return OkPayload(ok=True)

    @strawberry.mutation(
        extensions=[Policy(PUBLIC)], description="Set a password with an invitation link token"
    )
    async def accept_invitation(
        self, info: strawberry.Info, token: str, password: str
    ) -> OperatorPayload:
        row = await operators.accept_invitation(token=token, password=password)
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(
        extensions=[Policy(PUBLIC)],
        description="E-mail a reset link if the address belongs to an active operator; "
        "always answers ok, so addresses cannot be probed",
    )
    async def request_password_reset(self, info: strawberry.Info, email: str) -> OkPayload:
        ctx = info.context
        messages = await operators.request_password_reset(
            email=email, link_base=ctx.services.link_base
        )
        for message in messages:
            ctx.send_mail(message.id)
        return OkPayload(ok=True)

    @strawberry.mutation(
        extensions=[Policy(PUBLIC)], description="Set a new password with a reset link token"
    )
    async def reset_password(
        self, info: strawberry.Info, token: str, password: str
    ) -> OperatorPayload:
        row = await operators.reset_password(token=token, password=password)
        return OperatorPayload(operator=Operator.from_row(row))

    @strawberry.mutation(extensions=[Policy("me.update")])
    async def change_password(
        self, info: strawberry.Info, current_password: str, new_password: str
    ) -> OperatorPayload:
        row = await operators.change_password(
            principal=info.context.actor,
            current_password=current_password,
            new_password=new_password,
            keep_session_id=info.context.actor.session_id,
        )
        return OperatorPayload(operator=Operator.from_row(row))
