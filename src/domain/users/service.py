"""Charging users (seed 003): create (with first tokens), edit, remove, list. Callers own
the transaction.

Checks run in this order, the first failure wins: the user exists and is in scope ("Charging
user not found."), role checks that depend on the input (tokens need `token.create`, choosing
a charging user group needs `user_group.update`), the version, field formats (names, e-mail,
tokens), references in scope (charging group, user group, access rights), then uniqueness
(e-mail, token ids).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TypeVar

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain import rows
from domain.errors import (
    ACCESS_DENIED,
    EMAIL_EXISTS,
    EMAIL_REQUIRED,
    GROUP_NOT_FOUND,
    INVALID_EMAIL,
    STATION_NOT_FOUND,
    TEXT_TOO_LONG,
    NotFound,
)
from domain.groups.models import ChargingGroup
from domain.pagination import Page, PageRequest
from domain.principal import Principal
from domain.scope import (
    group_or_base,
    in_subtree,
    organisation_rows,
    parse_id,
    visible_groups,
    visible_stations,
    visible_user_groups,
    visible_users,
)
from domain.stations.models import ChargingStation
from domain.users import tokens
from domain.users.membership import user_group_to_join
from domain.users.models import AccessRight, ChargingUser, Token
from domain.users.tokens import UNCHANGED, USER_NOT_FOUND, TokenData, Unchanged

M = TypeVar("M", bound=Model)

NAME_MAX = 100
EMAIL_MAX = 254
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserSort(Enum):
    NAME = "name"
    EMAIL = "email"
    CREATED_AT = "created_at"


ORDER = {
    UserSort.NAME: ["last_name", "first_name", "email_key"],
    UserSort.EMAIL: ["email_key"],
    UserSort.CREATED_AT: ["created_at"],
}


@dataclass(frozen=True)
class UserFilter:
    search: str | None = None
    # Users in this charging group or any group below it.
    group_id: str | None = None
    user_group_id: str | None = None
    sort: UserSort = UserSort.NAME
    descending: bool = False


@dataclass(frozen=True)
class UserData:
    email: str
    first_name: str = ""
    last_name: str = ""
    group_id: str | None = None  # default: the operator's base group
    user_group_id: str | None = None
    access_group_ids: Sequence[str] = ()
    access_station_ids: Sequence[str] = ()
    active: bool = True
    tokens: Sequence[TokenData] = field(default_factory=tuple)


@dataclass(frozen=True)
class UserChanges:
    """What to change; None (or UNCHANGED) keeps a value. The e-mail is not editable."""

    version: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    group_id: str | None = None
    # None removes the user from their charging user group.
    user_group_id: str | Unchanged | None = UNCHANGED
    # A list replaces the access rights the operator can see (others are kept).
    access_group_ids: Sequence[str] | None = None
    access_station_ids: Sequence[str] | None = None
    active: bool | None = None


def clean_name(value: str, field: str, label: str) -> str:
    value = value.strip()
    if len(value) > NAME_MAX:
        raise TEXT_TOO_LONG.error(field, label=label, max_length=NAME_MAX)
    return value


def clean_email(value: str, field: str = "email") -> str:
    value = value.strip()
    if not value:
        raise EMAIL_REQUIRED.error(field)
    if len(value) > EMAIL_MAX or not EMAIL_RE.match(value):
        raise INVALID_EMAIL.error(field)
    return value


async def get(*, principal: Principal, user_id: str | uuid.UUID) -> ChargingUser | None:
    return await rows.find(visible_users(principal), user_id)


async def require(
    principal: Principal, user_id: str | uuid.UUID, field: str = "id"
) -> ChargingUser:
    """A visible user, locked for update; NotFound otherwise."""
    return await rows.lock(visible_users(principal), user_id, message=USER_NOT_FOUND, field=field)


async def visible_ids(
    query: QuerySet[M], ids: Sequence[str], message: str, field: str
) -> list[uuid.UUID]:
    """Parse and check client ids against a scoped query; any missing one is NotFound."""
    parsed = [parse_id(i) for i in ids]
    wanted = {i for i in parsed if i is not None}
    if len(wanted) != len(set(parsed)):
        raise NotFound(message, field)
    if not wanted:
        return []
    found = set(await query.filter(id__in=list(wanted)).values_list("id", flat=True))
    if found != wanted:
        raise NotFound(message, field)
    return sorted(wanted)


async def _email_free(principal: Principal, email: str) -> str:
    """The e-mail key, once no live user of the organisation has it (under a lock)."""
    key = email.lower()
    await tokens.advisory_locks([f"user-email:{principal.organisation_id}:{key}"])
    taken = (
        await organisation_rows(ChargingUser, principal.organisation_id)
        .filter(email_key=key, removed_at=None)
        .exists()
    )
    if taken:
        raise EMAIL_EXISTS.error("email")
    return key


async def create(*, principal: Principal, data: UserData) -> ChargingUser:
    if data.tokens and not principal.may("token.create"):
        raise ACCESS_DENIED.error("tokens")
    user_group = await user_group_to_join(principal, data.user_group_id)
    first_name = clean_name(data.first_name, "firstName", "First name")
    last_name = clean_name(data.last_name, "lastName", "Last name")
    email = clean_email(data.email)
    for n, token in enumerate(data.tokens):
        tokens.check(token, f"tokens[{n}].")
    group = await group_or_base(principal, data.group_id, "groupId")
    group_ids = await _access_groups(principal, data.access_group_ids)
    station_ids = await _access_stations(principal, data.access_station_ids)
    user = await ChargingUser.create(
        organisation_id=principal.organisation_id,
        group=group,
        user_group=user_group,
        first_name=first_name,
        last_name=last_name,
        email=email,
        email_key=await _email_free(principal, email),
        active=data.active,
    )
    await _replace_rights(principal, user, group_ids, station_ids)
    await tokens.insert(user, data.tokens, "tokens")
    return user


async def update(*, principal: Principal, user_id: str, changes: UserChanges) -> ChargingUser:
    user = await require(principal, user_id)
    if changes.user_group_id is not UNCHANGED:
        joining = await user_group_to_join(
            principal,
            changes.user_group_id,
            current=user.user_group_id,  # type: ignore[arg-type]
        )
    rows.check_version(user, changes.version)
    if changes.first_name is not None:
        user.first_name = clean_name(changes.first_name, "firstName", "First name")
    if changes.last_name is not None:
        user.last_name = clean_name(changes.last_name, "lastName", "Last name")
    if changes.group_id is not None:
        user.group = await group_or_base(principal, changes.group_id, "groupId")
    if changes.user_group_id is not UNCHANGED:
        user.user_group = joining
    group_ids = station_ids = None
    if changes.access_group_ids is not None:
        group_ids = await _access_groups(principal, changes.access_group_ids)
    if changes.access_station_ids is not None:
        station_ids = await _access_stations(principal, changes.access_station_ids)
    await _replace_rights(principal, user, group_ids, station_ids)
    if changes.active is not None:
        user.active = changes.active
    await rows.bump(user)
    return user


async def remove(*, principal: Principal, user_id: str, version: int | None = None) -> None:
    """The user leaves every list and lookup; the row and its history stay, and its tokens
    are marked deleted so their ids can be given to someone else."""
    user = await require(principal, user_id)
    rows.check_version(user, version)
    now = datetime.now(UTC)
    user.removed_at = now
    await rows.bump(user, "removed_at")
    await tokens.retire_all(user, now)


async def _access_groups(principal: Principal, ids: Sequence[str]) -> list[uuid.UUID]:
    return await visible_ids(visible_groups(principal), ids, GROUP_NOT_FOUND, "accessGroupIds")


async def _access_stations(principal: Principal, ids: Sequence[str]) -> list[uuid.UUID]:
    return await visible_ids(
        visible_stations(principal), ids, STATION_NOT_FOUND, "accessStationIds"
    )


async def _replace_rights(
    principal: Principal,
    user: ChargingUser,
    group_ids: list[uuid.UUID] | None,
    station_ids: list[uuid.UUID] | None,
) -> None:
    """Replace the rights the principal can see; rights on groups or stations outside the
    principal's scope (given by someone who sees more) are kept."""
    if group_ids is not None:
        await AccessRight.filter(
            user_id=user.id, group_id__in=Subquery(visible_groups(principal).values("id"))
        ).delete()
    if station_ids is not None:
        await AccessRight.filter(
            user_id=user.id, station_id__in=Subquery(visible_stations(principal).values("id"))
        ).delete()
    rows = [AccessRight(user=user, group_id=g) for g in group_ids or ()]
    rows += [AccessRight(user=user, station_id=s) for s in station_ids or ()]
    if rows:
        await AccessRight.bulk_create(rows)


def _search(
    query: QuerySet[ChargingUser], principal: Principal, text: str
) -> QuerySet[ChargingUser]:
    """Every word must match a name, the e-mail or the id of one of the user's live tokens."""
    for word in text.split():
        by_token = (
            organisation_rows(Token, principal.organisation_id)
            .filter(deleted_at=None, uid_key__contains=word.upper())
            .values("user_id")
        )
        query = query.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email_key__contains=word.lower())
            | Q(id__in=Subquery(by_token))
        )
    return query


async def list_users(
    *, principal: Principal, filter: UserFilter, page: PageRequest
) -> Page[ChargingUser]:
    query = visible_users(principal)
    if filter.search and filter.search.strip():
        query = _search(query, principal, filter.search)
    if filter.group_id is not None:
        # An unknown or out-of-scope group matches nothing, like an empty group.
        query = in_subtree(query, await rows.find(visible_groups(principal), filter.group_id))
    if filter.user_group_id is not None:
        query = query.filter(
            user_group_id__in=Subquery(
                visible_user_groups(principal)
                .filter(id=parse_id(filter.user_group_id))
                .values("id")
            )
        )
    return await rows.sorted_page(query, page, ORDER[filter.sort], descending=filter.descending)


async def get_many(
    *, principal: Principal, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, ChargingUser]:
    """Visible users by id, in one statement (dataloaders)."""
    return {u.id: u for u in await visible_users(principal).filter(id__in=user_ids)}


async def access_groups_of(
    *, principal: Principal, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ChargingGroup]]:
    """The visible charging groups each user has an access right to, in one statement."""
    out: dict[uuid.UUID, list[ChargingGroup]] = {u: [] for u in user_ids}
    rights = await AccessRight.filter(
        user_id__in=user_ids, group_id__in=Subquery(visible_groups(principal).values("id"))
    ).select_related("group")
    for user_id, group in sorted(
        ((r.user_id, r.group) for r in rights if r.group is not None),
        key=lambda pair: (pair[1].name, str(pair[1].id)),
    ):
        out[user_id].append(group)  # type: ignore[index]
    return out


async def access_stations_of(
    *, principal: Principal, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ChargingStation]]:
    """The visible stations each user has an access right to, in one statement."""
    out: dict[uuid.UUID, list[ChargingStation]] = {u: [] for u in user_ids}
    rights = await AccessRight.filter(
        user_id__in=user_ids, station_id__in=Subquery(visible_stations(principal).values("id"))
    ).select_related("station")
    for user_id, station in sorted(
        ((r.user_id, r.station) for r in rights if r.station is not None),
        key=lambda pair: (pair[1].name, str(pair[1].id)),
    ):
        out[user_id].append(station)  # type: ignore[index]
    return out
