"""Driver invitations (seed 000): invite by e-mail, pasted list or CSV; the driver confirms.

Addresses come from a list, from pasted text (one per line, blank lines ignored) and from a
CSV file (first column; a header row is skipped when its first cell is not an address).
Each address is reported, in input order:
 - INVALID: not an e-mail address (with its line);
 - ALREADY_PRESENT: a live charging user of the organisation has it (case-insensitively),
   or it was listed earlier in the same request;
 - INVITED: a charging user is created (active, unconfirmed) with a single-use link mailed.
A file that is not a UTF-8 text/CSV file, is larger than 1 MB, or more than 5,000 addresses
in all, refuses the whole request: nothing is created. Callers own the transaction.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

from domain import db, rows
from domain.errors import (
    ALREADY_A_USER,
    FILE_TOO_LARGE,
    INVALID_TOKEN,
    LISTED_BEFORE,
    NOT_A_CSV,
    NOT_A_FILE,
    NOT_AN_ADDRESS,
    NOTHING_TO_INVITE,
    TOO_MANY_ADDRESSES,
    require_text,
)
from domain.mail import service as mail
from domain.operators.passwords import new_token, token_hash
from domain.operators.service import EMAIL_RE
from domain.organisations.models import Organisation
from domain.principal import Principal
from domain.scope import group_or_base, organisation_rows
from domain.users.membership import user_group_to_join
from domain.users.models import ChargingUser, DriverInvitation

MAX_FILE_BYTES = 1_000_000
MAX_ADDRESSES = 5_000
INVITATION_TTL = timedelta(days=14)
EMAIL_MAX = 254


# Browsers and spreadsheets label CSV files in many ways; the content is checked anyway.
TEXT_TYPES = {
    "",
    "application/csv",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/x-csv",
}


class Source(Enum):
    EMAILS = "emails"
    TEXT = "text"
    CSV = "csv"


class Outcome(Enum):
    INVITED = "invited"
    INVALID = "invalid"
    ALREADY_PRESENT = "already_present"


@dataclass(frozen=True)
class UploadedFile:
    """An uploaded file as the transport received it (data read up to the limit + 1 byte)."""

    filename: str
    content_type: str
    data: bytes
    is_file: bool = True


@dataclass(frozen=True)
class InvitationRequest:
    emails: list[str] = field(default_factory=list)
    text: str | None = None
    csv: UploadedFile | None = None
    group_id: str | None = None
    user_group_id: str | None = None


@dataclass(frozen=True)
class Candidate:
    email: str
    source: Source
    line: int  # the line in the text or file; the position in the list


@dataclass(frozen=True)
class InvitationLine:
    email: str
    source: Source
    line: int
    outcome: Outcome
    message: str
    user_id: uuid.UUID | None = None


@dataclass
class InvitationReport:
    lines: list[InvitationLine]
    message_ids: list[uuid.UUID]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


# --- reading the addresses ----------------------------------------------------------------


def _from_list(emails: list[str]) -> list[Candidate]:
    return [Candidate(e.strip(), Source.EMAILS, n) for n, e in enumerate(emails, 1) if e.strip()]


def _from_text(text: str | None) -> list[Candidate]:
    if not text:
        return []
    return [
        Candidate(line.strip(), Source.TEXT, n)
        for n, line in enumerate(text.splitlines(), 1)
        if line.strip()
    ]


def _decode(upload: UploadedFile) -> str:
    if not upload.is_file:
        raise NOT_A_FILE.error("csv")
    if len(upload.data) > MAX_FILE_BYTES:
        raise FILE_TOO_LARGE.error("csv", megabytes=MAX_FILE_BYTES // 1_000_000)
    kind = upload.content_type.split(";")[0].strip().lower()
    if not (kind.startswith("text/") or kind in TEXT_TYPES) or b"\x00" in upload.data:
        raise NOT_A_CSV.error("csv")
    try:
        return upload.data.decode("utf-8-sig")  # drops a UTF-8 byte order mark
    except UnicodeDecodeError:
        raise NOT_A_CSV.error("csv") from None


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma, semicolon (European spreadsheets) or tab; a one-column file has none."""
    try:
        return csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _from_csv(upload: UploadedFile | None) -> list[Candidate]:
    if upload is None:
        return []
    text = _decode(upload)
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    found: list[Candidate] = []
    first = True
    try:
        for row in reader:
            cell = row[0].strip() if row else ""
            if not cell:
                continue
            if first and not _is_address(cell):
                first = False  # a header row ("email", "Sähköposti", ...)
                continue
            first = False
            found.append(Candidate(cell, Source.CSV, reader.line_num))
    except csv.Error:
        raise NOT_A_CSV.error("csv") from None
    return found


def _is_address(value: str) -> bool:
    return len(value) <= EMAIL_MAX and EMAIL_RE.match(value) is not None


def read_candidates(request: InvitationRequest) -> list[Candidate]:
    """Every non-blank address of the request, in input order; refuses bad files and floods."""
    found = _from_list(request.emails) + _from_text(request.text) + _from_csv(request.csv)
    if not found:
        raise NOTHING_TO_INVITE.error("emails")
    if len(found) > MAX_ADDRESSES:
        raise TOO_MANY_ADDRESSES.error("emails", count=MAX_ADDRESSES)
    return found


# --- inviting -------------------------------------------------------------------------------


async def _existing_keys(organisation_id: uuid.UUID, keys: set[str]) -> set[str]:
    # Invitations of one organisation run one at a time, so two requests inviting the same
    # address cannot both pass this check (the unique index would fail the second).
    await db.advisory_lock(f"driver-emails:{organisation_id}")
    rows = (
        await organisation_rows(ChargingUser, organisation_id)
        .filter(removed_at=None, email_key__in=sorted(keys))
        .values_list("email_key", flat=True)
    )
    return {str(key) for key in rows}


def _classify(candidates: list[Candidate], existing: set[str]) -> list[InvitationLine]:
    lines: list[InvitationLine] = []
    seen: set[str] = set()
    for c in candidates:
        key = c.email.lower()
        message: str
        if not _is_address(c.email):
            outcome, message = Outcome.INVALID, NOT_AN_ADDRESS
        elif key in seen:
            outcome, message = Outcome.ALREADY_PRESENT, LISTED_BEFORE
        elif key in existing:
            outcome, message = Outcome.ALREADY_PRESENT, ALREADY_A_USER
        else:
            outcome, message = Outcome.INVITED, ""
        if outcome != Outcome.INVALID:
            seen.add(key)
        lines.append(InvitationLine(c.email, c.source, c.line, outcome, message))
    return lines


async def invite(
    *, principal: Principal, request: InvitationRequest, link_base: str
) -> InvitationReport:
    """Create the new drivers and their invitations; the caller delivers `message_ids`."""
    candidates = read_candidates(request)
    group = await group_or_base(principal, request.group_id, "groupId")
    user_group = await user_group_to_join(principal, request.user_group_id)
    keys = {c.email.lower() for c in candidates if _is_address(c.email)}
    existing = await _existing_keys(principal.organisation_id, keys) if keys else set()
    lines = _classify(candidates, existing)
    users = [
        ChargingUser(
            organisation_id=principal.organisation_id,
            group=group,
            user_group=user_group,
            email=line.email,
            email_key=line.email.lower(),
            active=True,
        )
        for line in lines
        if line.outcome == Outcome.INVITED
    ]
    if not users:
        return InvitationReport(lines=lines, message_ids=[])
    await ChargingUser.bulk_create(users, batch_size=500)
    message_ids = await _mail_invitations(principal.organisation_id, users, link_base)
    by_key = {u.email_key: u.id for u in users}
    lines = [
        InvitationLine(
            line.email, line.source, line.line, line.outcome, "", by_key[line.email.lower()]
        )
        if line.outcome == Outcome.INVITED
        else line
        for line in lines
    ]
    return InvitationReport(lines=lines, message_ids=message_ids)


async def _mail_invitations(
    organisation_id: uuid.UUID, users: list[ChargingUser], link_base: str
) -> list[uuid.UUID]:
    organisation = await Organisation.get(id=organisation_id)
    expires_at = datetime.now(UTC) + INVITATION_TTL
    invitations, message_ids = [], []
    for user in users:
        token, digest = new_token()
        invitations.append(
            DriverInvitation(user_id=user.id, token_hash=digest, expires_at=expires_at)
        )
        subject, body = _render(organisation.name, link_base, token)
        message = await mail.compose(
            organisation_id=organisation_id, recipient=user.email, subject=subject, body=body
        )
        message_ids.append(message.id)
    await DriverInvitation.bulk_create(invitations, batch_size=500)
    return message_ids


def _render(organisation: str, link_base: str, token: str) -> tuple[str, str]:
    link = f"{link_base.rstrip('/')}/confirm-driver?token={token}"
    days = INVITATION_TTL.days
    return (
        f"Confirm your charging account at {organisation}",
        f"Hello,\n\n{organisation} has invited you to charge your electric vehicle at its "
        f"charging stations.\nConfirm your account here:\n\n{link}\n\n"
        f"The link is valid for {days} days. If you did not expect this, ignore this message.\n",
    )


# --- confirming -----------------------------------------------------------------------------


async def confirm(*, token: str, first_name: str, last_name: str) -> ChargingUser:
    """The invited driver confirms with the mailed link; each link works once, for 14 days."""
    invitation = (
        await DriverInvitation.select_for_update()
        .filter(token_hash=token_hash(token), accepted_at=None)
        .first()
    )
    now = datetime.now(UTC)
    if invitation is None or invitation.expires_at <= now:
        raise INVALID_TOKEN.error("token")
    user = await ChargingUser.select_for_update().get(id=invitation.user_id)
    if user.removed_at is not None:
        raise INVALID_TOKEN.error("token")
    user.first_name = require_text(first_name, "firstName", max_length=100, label="First name")
    user.last_name = require_text(last_name, "lastName", max_length=100, label="Last name")
    user.confirmed_at = now
    await rows.bump(user, "first_name", "last_name", "confirmed_at")
    invitation.accepted_at = now
    await invitation.save(update_fields=["accepted_at"])
    return user
