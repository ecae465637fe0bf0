"""Charging user groups (seed 003): create, edit, members, fees, delete, list. Callers own
the transaction.

A charging user belongs to at most one group: making a user a member moves them out of the
group they were in. Checks run in this order: the group exists and is in scope, the version,
field formats, references in scope (owning charging group, members, tariffs), then state
(a group with members is not deleted).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from tortoise.expressions import Q
from tortoise.functions import Count

from domain import rows
from domain.errors import (
    HAS_MEMBERS,
    TARIFF_NOT_FOUND,
    USER_GROUP_NOT_FOUND,
    require_text,
)
from domain.pagination import Page, PageRequest
from domain.pricing.models import Tariff
from domain.principal import Principal
from domain.scope import (
    group_or_base,
    visible_tariffs,
    visible_user_groups,
    visible_users,
)
from domain.users.membership import may_place
from domain.users.models import ChargingUser, UserGroup
from domain.users.service import visible_ids
from domain.users.tokens import UNCHANGED, USER_NOT_FOUND, Unchanged

NAME_MAX = 100


class UserGroupSort(Enum):
    NAME = "name"
    CREATED_AT = "created_at"


@dataclass(frozen=True)
class UserGroupFilter:
    search: str | None = None
    sort: UserGroupSort = UserGroupSort.NAME
    descending: bool = False


@dataclass(frozen=True)
class UserGroupData:
    name: str
    group_id: str | None = None  # owning charging group; default: the operator's base group
    active: bool = True
    member_ids: Sequence[str] = ()


@dataclass(frozen=True)
class UserGroupChanges:
    """What to change; None keeps a value. A member list replaces the members you see."""

    version: int | None = None
    name: str | None = None
    group_id: str | None = None
    active: bool | None = None
    member_ids: Sequence[str] | None = None


async def get(*, principal: Principal, user_group_id: str | uuid.UUID) -> UserGroup | None:
    return await rows.find(visible_user_groups(principal), user_group_id)


async def _require(principal: Principal, user_group_id: str, version: int | None) -> UserGroup:
    query = visible_user_groups(principal)
    row = await rows.lock(query, user_group_id, message=USER_GROUP_NOT_FOUND, field="id")
    rows.check_version(row, version)
    return row


def _name(name: str) -> str:
    return require_text(name, "name", max_length=NAME_MAX, label="Name")


async def create(*, principal: Principal, data: UserGroupData) -> UserGroup:
    name = _name(data.name)
    owner = await group_or_base(principal, data.group_id, "groupId")
    members = await _members(principal, data.member_ids)
    row = await UserGroup.create(
        organisation_id=principal.organisation_id, group=owner, name=name, active=data.active
    )
    await _set_members(principal, row, members)
    return row


async def update(
    *, principal: Principal, user_group_id: str, changes: UserGroupChanges
) -> UserGroup:
    row = await _require(principal, user_group_id, changes.version)
    if changes.name is not None:
        row.name = _name(changes.name)
    if changes.group_id is not None:
        row.group = await group_or_base(principal, changes.group_id, "groupId")
    if changes.active is not None:
        row.active = changes.active
    if changes.member_ids is not None:
        await _set_members(principal, row, await _members(principal, changes.member_ids))
    await rows.bump(row)
    return row


async def _members(principal: Principal, ids: Sequence[str]) -> list[uuid.UUID]:
    return await visible_ids(visible_users(principal), ids, USER_NOT_FOUND, "memberIds")


async def _set_members(principal: Principal, row: UserGroup, member_ids: list[uuid.UUID]) -> None:
    """Members you see that are not in the list leave; the listed users join (moving out of
    any other group). Members outside your scope stay. Each moved user's version changes."""
    may_place(principal, "memberIds")
    leaving = await (
        visible_users(principal)
        .filter(user_group_id=row.id)
        .exclude(id__in=member_ids)
        .values_list("id", flat=True)
    )
    if leaving:
        await rows.bump_all(ChargingUser.filter(id__in=list(leaving)), user_group_id=None)
    if member_ids:
        joining = ChargingUser.filter(id__in=member_ids).filter(
            Q(user_group_id=None) | ~Q(user_group_id=row.id)
        )
        await rows.bump_all(joining, user_group_id=row.id)


async def set_fees(
    *,
    principal: Principal,
    user_group_id: str,
    ac_tariff_id: str | Unchanged | None = UNCHANGED,
    dc_tariff_id: str | Unchanged | None = UNCHANGED,
    version: int | None = None,
) -> UserGroup:
    """The group's fees at AC and DC stations; None removes one, UNCHANGED keeps it."""
    row = await _require(principal, user_group_id, version)
    if ac_tariff_id is not UNCHANGED:
        row.ac_tariff = await _tariff(principal, ac_tariff_id, "acTariffId")
    if dc_tariff_id is not UNCHANGED:
        row.dc_tariff = await _tariff(principal, dc_tariff_id, "dcTariffId")
    await rows.bump(row)
    return row


async def _tariff(principal: Principal, tariff_id: str | None, field: str) -> Tariff | None:
    if tariff_id is None:
        return None
    return await rows.require(
        visible_tariffs(principal), tariff_id, message=TARIFF_NOT_FOUND, field=field
    )


async def delete(*, principal: Principal, user_group_id: str, version: int | None = None) -> None:
    """Only an empty group goes: members anywhere (even outside your scope) keep it."""
    row = await _require(principal, user_group_id, version)
    if await ChargingUser.filter(user_group_id=row.id, removed_at=None).exists():
        raise HAS_MEMBERS.error("id")
    # Removed users that were members lose the link (ON DELETE SET NULL).
    await row.delete()


async def list_user_groups(
    *, principal: Principal, filter: UserGroupFilter, page: PageRequest
) -> Page[UserGroup]:
    query = visible_user_groups(principal)
    if filter.search and filter.search.strip():
        query = query.filter(name__icontains=filter.search.strip())
    return await rows.sorted_page(query, page, filter.sort, descending=filter.descending)


async def get_many(
    *, principal: Principal, user_group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, UserGroup]:
    """Visible user groups by id, in one statement (dataloaders)."""
    rows = await visible_user_groups(principal).filter(id__in=user_group_ids)
    return {row.id: row for row in rows}


async def member_counts(
    *, principal: Principal, user_group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Members you can see, per group, in one statement (dataloaders)."""
    rows = (
        await visible_users(principal)
        .filter(user_group_id__in=user_group_ids)
        .annotate(n=Count("id"))
        .group_by("user_group_id")
        .values("user_group_id", "n")
    )
    return {row["user_group_id"]: row["n"] for row in rows}


async def members_of(
    *, principal: Principal, user_group_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ChargingUser]]:
    """Members you can see, per group, by name, in one statement (dataloaders)."""
    out: dict[uuid.UUID, list[ChargingUser]] = {g: [] for g in user_group_ids}
    rows = (
        await visible_users(principal)
        .filter(user_group_id__in=user_group_ids)
        .order_by("last_name", "first_name", "email_key", "id")
    )
    for user in rows:
        out[user.user_group_id].append(user)  # type: ignore[index]
    return out


async def tariffs_many(
    *, principal: Principal, tariff_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Tariff]:
    """Visible tariffs by id, in one statement (dataloaders)."""
    return {t.id: t for t in await visible_tariffs(principal).filter(id__in=tariff_ids)}
