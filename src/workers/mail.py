"""Deliver one outbox message over SMTP, or keep it in the outbox when no SMTP is configured."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from arq import ArqRedis, Retry
from arq.cron import cron
from tortoise.transactions import in_transaction

from domain import jobs
from domain.mail import service as mail
from domain.mail.models import MailStatus
from workers import smtp
from workers.queue import ArqQueue
from workers.smtp import Failure, SmtpConfig

__all__ = [
    "CRON_JOBS",
    "FUNCTIONS",
    "MAX_TRIES",
    "SmtpConfig",
    "enqueue",
    "job_id",
    "requeue_stale_mail",
    "send_email",
]

log = logging.getLogger("evcms.mail")
MAX_TRIES = 5
RETRY_STEP_SECONDS = 30
# A message still queued after this long lost its job (Redis was down at commit): enqueue again.
STALE_AFTER = timedelta(minutes=5)


def job_id(message_id: object) -> str:
    """The arq job id of a message's delivery: enqueuing a message twice gives one job."""
    return jobs.send_email(message_id).id


async def enqueue(redis: ArqRedis, message_id: object) -> bool:
    """Queue the delivery of a message; False when its job is already queued or done."""
    return await ArqQueue(redis).enqueue(jobs.send_email(message_id))


async def send_email(ctx: dict[str, Any], message_id: str) -> str:
    """Idempotent: a message already sent or kept in the outbox is skipped."""
    config: SmtpConfig | None = ctx.get("smtp")
    async with in_transaction():
        message = await mail.claim(uuid.UUID(message_id))
        if message is None:
            return "skipped"
        if config is None:
            await mail.mark(message, MailStatus.OUTBOX)
            return "outbox"
        # The row stays locked while the server is talked to, so no other run sends it too.
        failure = await smtp.send(config, smtp.build_email(message, config.sender))
        if failure is None:
            await mail.mark(message, MailStatus.SENT)
            return "sent"
        await mail.mark(message, MailStatus.FAILED, failure.error)
    return _give_up_or_retry(ctx, message_id, failure)


def _give_up_or_retry(ctx: dict[str, Any], message_id: str, failure: Failure) -> str:
    """Raise arq's Retry, later on each try, unless the failure is permanent or tries ran out."""
    job_try = int(ctx.get("job_try", 1))
    log.warning("mail %s not delivered (try %s): %s", message_id, job_try, failure.error)
    if failure.permanent or job_try >= MAX_TRIES:
        return "failed"
    raise Retry(defer=job_try * RETRY_STEP_SECONDS)


async def requeue_stale_mail(ctx: dict[str, Any]) -> int:
    """Enqueue messages whose job was lost; the job id keeps a queued job from doubling."""
    ids = await mail.queued_before(datetime.now(UTC) - STALE_AFTER)
    return sum([await enqueue(ctx["redis"], message_id) for message_id in ids])


FUNCTIONS = [send_email]
CRON_JOBS = [cron(requeue_stale_mail, minute=set(range(0, 60, 5)), run_at_startup=True)]
