"""The outbox an admin reads when no SMTP server is configured."""

from __future__ import annotations

import strawberry

from domain.mail import service
from gql.policy import Policy
from gql.types.common import PageInput, page_of
from gql.types.mail import OutboxMessage, OutboxMessagePage


@strawberry.type
class MailQuery:
    @strawberry.field(
        extensions=[Policy("outbox.read")],
        description="E-mail sent by the organisation, newest first",
    )
    async def outbox_messages(
        self, info: strawberry.Info, recipient: str | None = None, page: PageInput | None = None
    ) -> OutboxMessagePage | None:
        result = await service.list_messages(
            principal=info.context.actor, recipient=recipient, page=page_of(page)
        )
        return OutboxMessagePage(
            total_count=result.total_count,
            items=[OutboxMessage.from_row(r) for r in result.items],
        )
