"""Organisations: bootstrap a new tenant. Callers own the transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from domain.errors import (
    OPERATOR_NOT_FOUND,
    USERNAME_EXISTS,
    DomainError,
    ErrorCode,
    NotFound,
    require_text,
)
from domain.groups import service as groups
from domain.groups.models import ChargingGroup
from domain.operators import service as operators
from domain.operators.models import Operator, OperatorRole, OperatorSession
from domain.operators.passwords import check_policy, hash_password
from domain.organisations.models import Organisation

NAME_MAX = 100
SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
SLUG_RULE = "Slug may contain only lower-case letters, digits and dashes, 1 to 50 characters."


def clean_slug(slug: str) -> str:
    slug = slug.strip()
    if not SLUG_RE.match(slug):
        raise DomainError(ErrorCode.INVALID_INPUT, SLUG_RULE, "slug")
    return slug


async def bootstrap(
    *, name: str, slug: str, username: str, email: str, password: str
) -> tuple[Organisation, ChargingGroup, Operator]:
    """A new organisation with its root group (named after it) and its first admin operator.

    Everything is checked before anything is written; an existing slug or username is
    refused. Run it in a transaction: a failure half-way leaves nothing behind.
    """
    name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    slug = clean_slug(slug)
    username = username.strip()
    if not operators.USERNAME_RE.match(username):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Username may contain only letters, digits and . _ - @ +, 2 to 64 characters.",
            "username",
        )
    email = operators.clean_email(email)
    check_policy(password, username=username)
    if await Organisation.filter(slug=slug).exists():
        raise DomainError(
            ErrorCode.ALREADY_EXISTS, f"An organisation with slug {slug!r} already exists.", "slug"
        )
    if await Operator.filter(username__iexact=username).exists():
        raise DomainError(ErrorCode.ALREADY_EXISTS, USERNAME_EXISTS, "username")
    organisation = await Organisation.create(name=name, slug=slug)
    root = await groups.create_root(organisation=organisation, name=name)
    admin = await operators.create_active(
        organisation_id=organisation.id,
        base_group=root,
        username=username,
        email=email,
        password=password,
        role=OperatorRole.ADMIN,
    )
    return organisation, root, admin


async def set_operator_password(*, username: str, password: str) -> Operator:
    """Recover access from the command line: give an operator a new password and end their
    sessions. The operator's status and role are unchanged."""
    operator = await Operator.select_for_update().get_or_none(username__iexact=username.strip())
    if operator is None:
        raise NotFound(OPERATOR_NOT_FOUND, "username")
    check_policy(password, username=operator.username)
    operator.password_hash = hash_password(password)
    operator.version += 1
    await operator.save()
    await OperatorSession.filter(operator_id=operator.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    return operator
