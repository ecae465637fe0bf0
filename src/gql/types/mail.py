from __future__ import annotations

from datetime import datetime

import strawberry

from domain.mail.models import MailStatus as DomainMailStatus
from domain.mail.models import OutboxMessage as Row

MailStatus = strawberry.enum(DomainMailStatus, name="MailStatus")


@strawberry.type(description="An e-mail the system sent or keeps in its outbox")
class OutboxMessage:
    id: strawberry.ID
    recipient: str
    subject: str
    body: str
    status: MailStatus  # type: ignore[valid-type]
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Row) -> OutboxMessage:
        return cls(
            id=strawberry.ID(str(row.id)),
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )


@strawberry.type
class OutboxMessagePage:
    total_count: int
    items: list[OutboxMessage]
