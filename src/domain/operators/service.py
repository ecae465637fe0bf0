"""Operators: invite, accept, edit, status, permission level, password reset, delete."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from tortoise.expressions import Q
from tortoise.functions import Lower

from domain import db, rows
from domain.errors import (
    ACCESS_DENIED,
    EMAIL_PROBLEM,
    INVALID_TOKEN,
    NOT_YOURSELF,
    OPERATOR_EMAIL_EXISTS,
    OPERATOR_NOT_FOUND,
    REMINDER_ONLY_INVITED,
    RESET_ONLY_ACTIVE,
    STATUS_ONLY_ACCEPTED,
    TEXT_TOO_LONG,
    USERNAME_EXISTS,
    USERNAME_RULE,
    WRONG_CREDENTIALS,
    DomainError,
    require_text,
)
from domain.groups.models import ChargingGroup
from domain.mail import service as mail
from domain.mail.models import OutboxMessage
from domain.operators import emails
from domain.operators.models import (
    LinkPurpose,
    Operator,
    OperatorLink,
    OperatorRole,
    OperatorSession,
    OperatorStatus,
)
from domain.operators.passwords import (
    check_policy,
    hash_password_off_loop,
    new_token,
    token_hash,
    verify_password_off_loop,
)
from domain.pagination import Page, PageRequest
from domain.principal import Principal
from domain.scope import group_or_base, organisation_rows, visible_operators

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{2,64}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LINK_TTL = {
    LinkPurpose.INVITATION: timedelta(days=7),
    LinkPurpose.PASSWORD_RESET: timedelta(hours=2),
}


class OperatorSort(Enum):
    USERNAME = "username"
    NAME = "last_name"
    EMAIL = "email"
    STATUS = "status"
    CREATED_AT = "created_at"


@dataclass(frozen=True)
class OperatorFilter:
    search: str | None = None
    status: OperatorStatus | None = None
    role: OperatorRole | None = None
    sort: OperatorSort = OperatorSort.USERNAME
    descending: bool = False


@dataclass(frozen=True)
class OperatorChanges:
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    base_group_id: str | None = None
    version: int | None = None


def clean_email(email: str, field: str = "email") -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise EMAIL_PROBLEM.error(field)
    return email


async def _email_free(
    organisation_id: object, email: str, *, exclude: uuid.UUID | None = None
) -> None:
    """E-mail addresses are unique among an organisation's operators in any case (the
    index `uq_operator_email`), so that a password reset by e-mail names one operator.
    Checked under a lock on the lower-cased address, so concurrent attempts wait."""
    key = email.lower()
    await db.advisory_lock(f"operator-email:{organisation_id}:{key}")
    query = (
        organisation_rows(Operator, organisation_id)
        .annotate(email_key=Lower("email"))
        .filter(email_key=key)
    )
    if exclude is not None:
        query = query.exclude(id=exclude)
    if await query.exists():
        raise OPERATOR_EMAIL_EXISTS.error("email")


def _name(value: str, field: str, label: str) -> str:
    value = value.strip()
    if len(value) > 100:
        raise TEXT_TOO_LONG.error(field, label=label, max_length=100)
    return value


async def get(*, principal: Principal, operator_id: str | uuid.UUID) -> Operator | None:
    return await rows.find(visible_operators(principal), operator_id)


async def _require(principal: Principal, operator_id: str | uuid.UUID) -> Operator:
    """The visible operator, locked for an update."""
    query = visible_operators(principal)
    return await rows.lock(query, operator_id, message=OPERATOR_NOT_FOUND, field="id")


def _not_self(principal: Principal, operator: Operator, what: str) -> None:
    if operator.id == principal.operator_id:
        raise NOT_YOURSELF.error("id", what=what)


async def list_operators(
    *, principal: Principal, filter: OperatorFilter, page: PageRequest
) -> Page[Operator]:
    query = visible_operators(principal)
    if filter.search and filter.search.strip():
        term = filter.search.strip()
        query = query.filter(
            Q(username__icontains=term)
            | Q(email__icontains=term)
            | Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
        )
    if filter.status is not None:
        query = query.filter(status=filter.status)
    if filter.role is not None:
        query = query.filter(role=filter.role)
    return await rows.sorted_page(query, page, filter.sort, descending=filter.descending)


async def _issue_link(operator: Operator, purpose: LinkPurpose, link_base: str) -> OutboxMessage:
    """Invalidate earlier links of the same purpose and mail a fresh one."""
    now = datetime.now(UTC)
    await OperatorLink.filter(operator_id=operator.id, purpose=purpose, used_at=None).update(
        used_at=now
    )
    token, digest = new_token()
    await OperatorLink.create(
        operator=operator, purpose=purpose, token_hash=digest, expires_at=now + LINK_TTL[purpose]
    )
    subject, body = emails.render(purpose, operator, f"{link_base.rstrip('/')}", token)
    return await mail.compose(
        organisation_id=operator.organisation_id,
        recipient=operator.email,
        subject=subject,
        body=body,
    )


async def invite(
    *,
    principal: Principal,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: OperatorRole = OperatorRole.BASIC,
    base_group_id: str | None = None,
    link_base: str,
) -> tuple[Operator, OutboxMessage]:
    username = require_text(username, "username", max_length=64, label="Username")
    if not USERNAME_RE.match(username):
        raise USERNAME_RULE.error("username")
    email = clean_email(email)
    base = await group_or_base(principal, base_group_id, "baseGroupId")
    if await Operator.filter(username__iexact=username).exists():
        raise USERNAME_EXISTS.error("username")
    await _email_free(principal.organisation_id, email)
    operator = await Operator.create(
        organisation_id=principal.organisation_id,
        base_group=base,
        username=username,
        email=email,
        first_name=_name(first_name, "firstName", "First name"),
        last_name=_name(last_name, "lastName", "Last name"),
        role=role,
        status=OperatorStatus.INVITED,
    )
    message = await _issue_link(operator, LinkPurpose.INVITATION, link_base)
    return operator, message


async def resend_invitation(
    *, principal: Principal, operator_id: str, link_base: str
) -> OutboxMessage:
    """A reminder; only while the operator has not activated the account."""
    operator = await _require(principal, operator_id)
    if operator.status != OperatorStatus.INVITED:
        raise REMINDER_ONLY_INVITED.error("id")
    return await _issue_link(operator, LinkPurpose.INVITATION, link_base)


async def _consume_link(token: str, purpose: LinkPurpose) -> Operator:
    link = (
        await OperatorLink.select_for_update()
        .filter(token_hash=token_hash(token), purpose=purpose, used_at=None)
        .first()
    )
    if link is None or link.expires_at <= datetime.now(UTC):
        raise INVALID_TOKEN.error("token")
    link.used_at = datetime.now(UTC)
    await link.save(update_fields=["used_at"])
    return await Operator.select_for_update().get(id=link.operator_id)


async def accept_invitation(*, token: str, password: str) -> Operator:
    """The invited operator sets a password and becomes active."""
    operator = await _consume_link(token, LinkPurpose.INVITATION)
    if operator.status != OperatorStatus.INVITED:
        raise INVALID_TOKEN.error("token")
    check_policy(password, username=operator.username)
    operator.password_hash = await hash_password_off_loop(password)
    operator.status = OperatorStatus.ACTIVE
    await rows.bump(operator)
    return operator


async def update(*, principal: Principal, operator_id: str, changes: OperatorChanges) -> Operator:
    """Edit an operator; without `operator.update` only yourself, and not your base group."""
    operator = await _require(principal, operator_id)
    may_edit_others = principal.may("operator.update")
    if operator.id != principal.operator_id and not may_edit_others:
        raise ACCESS_DENIED.error("id")
    rows.check_version(operator, changes.version)
    if changes.email is not None:
        operator.email = clean_email(changes.email)
        await _email_free(operator.organisation_id, operator.email, exclude=operator.id)
    if changes.first_name is not None:
        operator.first_name = _name(changes.first_name, "firstName", "First name")
    if changes.last_name is not None:
        operator.last_name = _name(changes.last_name, "lastName", "Last name")
    if changes.base_group_id is not None:
        if not may_edit_others or operator.id == principal.operator_id:
            raise ACCESS_DENIED.error("baseGroupId")
        operator.base_group = await group_or_base(principal, changes.base_group_id, "baseGroupId")
    await rows.bump(operator)
    return operator


async def set_status(
    *, principal: Principal, operator_id: str, status: OperatorStatus, version: int | None = None
) -> Operator:
    operator = await _require(principal, operator_id)
    rows.check_version(operator, version)
    _not_self(principal, operator, "change the status of")
    if status == OperatorStatus.INVITED or operator.password_hash is None:
        raise STATUS_ONLY_ACCEPTED.error("status")
    operator.status = status
    await rows.bump(operator)
    if status == OperatorStatus.INACTIVE:
        await _revoke_sessions(operator)
    return operator


async def set_role(
    *, principal: Principal, operator_id: str, role: OperatorRole, version: int | None = None
) -> Operator:
    operator = await _require(principal, operator_id)
    rows.check_version(operator, version)
    _not_self(principal, operator, "change the permission level of")
    operator.role = role
    await rows.bump(operator)
    return operator


async def send_password_reset(
    *, principal: Principal, operator_id: str, link_base: str
) -> OutboxMessage:
    """An admin sends an operator a link to set a new password."""
    operator = await _require(principal, operator_id)
    if operator.status != OperatorStatus.ACTIVE:
        raise RESET_ONLY_ACTIVE.error("id")
    return await _issue_link(operator, LinkPurpose.PASSWORD_RESET, link_base)


async def request_password_reset(*, email: str, link_base: str) -> list[OutboxMessage]:
    """Anyone may ask; whether the address is known is never revealed to the caller."""
    try:
        address = clean_email(email)
    except DomainError:
        return []
    operators = await Operator.filter(email__iexact=address, status=OperatorStatus.ACTIVE)
    return [await _issue_link(op, LinkPurpose.PASSWORD_RESET, link_base) for op in operators]


async def reset_password(*, token: str, password: str) -> Operator:
    operator = await _consume_link(token, LinkPurpose.PASSWORD_RESET)
    if operator.status != OperatorStatus.ACTIVE:
        raise INVALID_TOKEN.error("token")
    check_policy(password, username=operator.username)
    operator.password_hash = await hash_password_off_loop(password)
    await rows.bump(operator)
    await _revoke_sessions(operator)
    return operator


async def delete(*, principal: Principal, operator_id: str) -> None:
    operator = await _require(principal, operator_id)
    _not_self(principal, operator, "delete")
    await operator.delete()


async def _revoke_sessions(operator: Operator, except_id: uuid.UUID | None = None) -> None:
    query = OperatorSession.filter(operator_id=operator.id, revoked_at=None)
    if except_id is not None:
        query = query.exclude(id=except_id)
    await query.update(revoked_at=datetime.now(UTC))


async def create_active(
    *,
    organisation_id: uuid.UUID,
    base_group: ChargingGroup,
    username: str,
    email: str,
    password: str,
    role: OperatorRole = OperatorRole.ADMIN,
) -> Operator:
    """An operator who can log in at once (bootstrap and the embedded demo)."""
    if await Operator.filter(username__iexact=username).exists():
        raise USERNAME_EXISTS.error("username")
    check_policy(password, username=username)
    email = clean_email(email)
    await _email_free(organisation_id, email)
    return await Operator.create(
        organisation_id=organisation_id,
        base_group=base_group,
        username=username,
        email=email,
        role=role,
        status=OperatorStatus.ACTIVE,
        password_hash=await hash_password_off_loop(password),
    )


async def change_password(
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None = None,
) -> Operator:
    """The signed-in operator changes their own password; their other sessions end."""
    operator = await Operator.select_for_update().get(id=principal.operator_id)
    if not await verify_password_off_loop(operator.password_hash, current_password):
        raise WRONG_CREDENTIALS.error("currentPassword")
    check_policy(new_password, username=operator.username, field="newPassword")
    operator.password_hash = await hash_password_off_loop(new_password)
    await rows.bump(operator)
    await _revoke_sessions(operator, except_id=keep_session_id)
    return operator
