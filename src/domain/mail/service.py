"""Compose e-mail into the outbox; a worker job delivers it after the transaction commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from domain.mail.models import MailStatus, OutboxMessage
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import visible_mail


async def compose(
    *, organisation_id: uuid.UUID | object, recipient: str, subject: str, body: str
) -> OutboxMessage:
    return await OutboxMessage.create(
        organisation_id=organisation_id, recipient=recipient, subject=subject, body=body
    )


async def list_messages(
    *, principal: Principal, recipient: str | None, page: PageRequest
) -> Page[OutboxMessage]:
    """The organisation's mail, newest first (the outbox an admin reads without SMTP).

    Mail carries live invitation and reset links for any operator of the organisation, so
    only an operator based at the root group, who can reach them all anyway, reads it.
    """
    query = await visible_mail(principal)
    if recipient:
        query = query.filter(recipient__iexact=recipient.strip())
    return await paginate(query, page, ["-created_at", "id"])


async def claim(message_id: uuid.UUID) -> OutboxMessage | None:
    """Lock a queued message for delivery; None when already delivered (idempotent jobs)."""
    return (
        await OutboxMessage.select_for_update(skip_locked=True)
        .filter(id=message_id, status__in=[MailStatus.QUEUED, MailStatus.FAILED])
        .first()
    )


async def mark(message: OutboxMessage, status: MailStatus, error: str | None = None) -> None:
    message.status = status
    message.attempts += 1
    message.last_error = error  # type: ignore[assignment]
    if status in (MailStatus.SENT, MailStatus.OUTBOX):
        message.sent_at = datetime.now(UTC)
    await message.save()


async def queued_before(moment: datetime) -> list[uuid.UUID]:
    """Ids of messages still waiting for delivery that were written before `moment`."""
    rows = await OutboxMessage.filter(status=MailStatus.QUEUED, created_at__lt=moment).values_list(
        "id", flat=True
    )
    return list(rows)  # type: ignore[arg-type]
