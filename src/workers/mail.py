"""Deliver one outbox message over SMTP, or keep it in the outbox when no SMTP is configured."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from arq import Retry
from tortoise.transactions import in_transaction

from domain.mail import service as mail
from domain.mail.models import MailStatus

log = logging.getLogger("evcms.mail")
MAX_TRIES = 5


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None
    sender: str

    @classmethod
    def from_url(cls, url: str, sender: str) -> SmtpConfig:
        """smtp://user:pass@host:port (STARTTLS when offered) or smtps://... (implicit TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ValueError("SMTP_URL must be smtp:// or smtps://")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls")
        return cls(
            hostname=parts.hostname or "localhost",
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=None if starttls is None else starttls in {"1", "true", "yes"},
            sender=sender,
        )


async def send_email(ctx: dict[str, Any], message_id: str) -> str:
    """Idempotent: a message already sent or kept in the outbox is skipped."""
    smtp: SmtpConfig | None = ctx.get("smtp")
    error: str | None = None
    async with in_transaction():
        message = await mail.claim(uuid.UUID(message_id))
        if message is None:
            return "skipped"
        if smtp is None:
            await mail.mark(message, MailStatus.OUTBOX)
            return "outbox"
        email = EmailMessage()
        email["From"] = smtp.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email.set_content(message.body)
        try:
            await aiosmtplib.send(
                email,
                hostname=smtp.hostname,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.use_tls,
                start_tls=smtp.start_tls,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            await mail.mark(message, MailStatus.FAILED, error)
        else:
            await mail.mark(message, MailStatus.SENT)
    if error is None:
        return "sent"
    log.warning("mail %s not delivered (try %s): %s", message_id, ctx.get("job_try"), error)
    if ctx.get("job_try", 1) < MAX_TRIES:
        raise Retry(defer=ctx.get("job_try", 1) * 30)
    return "failed"


FUNCTIONS = [send_email]
