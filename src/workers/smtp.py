"""SMTP: the configuration from SMTP_URL, the e-mail built from an outbox row, and sending it."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from domain.mail.models import OutboxMessage

TIMEOUT_SECONDS = 30


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


@dataclass(frozen=True)
class Failure:
    """Why a message was not delivered; permanent when the server refused it for good (5xx)."""

    error: str
    permanent: bool


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The e-mail of an outbox row; its Message-ID is the same on every try."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "evcms"
    email["Message-ID"] = f"<{message.id}@{domain}>"
    email.set_content(message.body)
    return email


async def send(config: SmtpConfig, email: EmailMessage) -> Failure | None:
    """Hand the e-mail to the SMTP server; None when it accepted it."""
    try:
        await aiosmtplib.send(
            email,
            hostname=config.hostname,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.start_tls,
            timeout=TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Failure(f"{type(exc).__name__}: {exc}", _is_permanent(exc))
    return None


def _is_permanent(exc: Exception) -> bool:
    """The server refused the recipient or the content with a 5xx reply: retrying won't help."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in exc.recipients)
    return isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError) and (
        500 <= exc.code < 600
    )
