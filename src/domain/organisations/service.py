"""Organisations: bootstrap a new tenant, and its settings. Callers own the transaction."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain import rows
from domain.errors import (
    ACCESS_DENIED,
    OPERATOR_NOT_FOUND,
    SLUG_EXISTS,
    SLUG_RULE,
    UNKNOWN_TIME_ZONE,
    USERNAME_EXISTS,
    USERNAME_RULE,
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


def clean_slug(slug: str) -> str:
    slug = slug.strip()
    if not SLUG_RE.fullmatch(slug):
        raise SLUG_RULE.error("slug")
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
        raise USERNAME_RULE.error("username")
    email = operators.clean_email(email)
    check_policy(password, username=username)
    if await Organisation.filter(slug=slug).exists():
        raise SLUG_EXISTS.error("slug", slug=slug)
    if await Operator.filter(username__iexact=username).exists():
        raise USERNAME_EXISTS.error("username")
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
        raise OPERATOR_NOT_FOUND.error("username")
    check_policy(password, username=operator.username)
    operator.password_hash = await hash_password_off_loop(password)
    await rows.bump(operator)
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
        raise UNKNOWN_TIME_ZONE.error("timezone") from None
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
    if not principal.at_root:
        raise ACCESS_DENIED.error()
    organisation = await Organisation.select_for_update().get(id=principal.organisation_id)
    if name is not None:
        organisation.name = require_text(name, "name", max_length=NAME_MAX, label="Name")
    if timezone is not None:
        organisation.timezone = _time_zone(timezone)
    if allow_unauthenticated_stations is not None:
        organisation.allow_unauthenticated_stations = allow_unauthenticated_stations
    await organisation.save()
    return organisation
