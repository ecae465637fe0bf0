"""Organisations: bootstrap a new tenant, and its settings. Callers own the transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import (
    ACCESS_DENIED,
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
from domain.operators.passwords import check_policy, hash_password_off_loop
from domain.organisations.models import Organisation
from domain.principal import Principal

NAME_MAX = 100
SLUG_RE = re.compile(r"^[a-z0-9-]{1,50}$")
SLUG_RULE = "Slug may contain only lower-case letters, digits and dashes, 1 to 50 characters."


def clean_slug(slug: str) -> str:
    slug = slug.strip()
    if not SLUG_RE.fullmatch(slug):
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
    operator.password_hash = await hash_password_off_loop(password)
    operator.version += 1
    await operator.save()
    await OperatorSession.filter(operator_id=operator.id, revoked_at=None).update(
        revoked_at=datetime.now(UTC)
    )
    return operator


async def current(*, principal: Principal) -> Organisation:
    """The principal's own organisation."""
    return await Organisation.get(id=principal.organisation_id)


def _time_zone(name: str) -> str:
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(ErrorCode.INVALID_INPUT, "Unknown time zone.", "timezone") from None
    return name


async def update(
    *,
    principal: Principal,
    name: str | None = None,
    timezone: str | None = None,
    allow_unauthenticated_stations: bool | None = None,
) -> Organisation:
    """Organisation-wide settings; only an operator based at the root group may change
    them (they reach beyond any subtree). None leaves a setting as it is."""
    if principal.base_path.count("/") != 2:
        raise DomainError(ErrorCode.ACCESS_DENIED, ACCESS_DENIED)
    organisation = await Organisation.select_for_update().get(id=principal.organisation_id)
    if name is not None:
        organisation.name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    if timezone is not None:
        organisation.timezone = _time_zone(timezone)
    if allow_unauthenticated_stations is not None:
        organisation.allow_unauthenticated_stations = allow_unauthenticated_stations
    await organisation.save()
    return organisation
