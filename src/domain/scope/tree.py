"""The tree scope: the groups, operators, stations, users, user groups and tariffs of the
principal's organisation at or below its base group. Deny by default."""

from __future__ import annotations

import uuid
from typing import TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import GROUP_NOT_FOUND, USER_GROUP_NOT_FOUND
from domain.groups.models import ChargingGroup
from domain.operators.models import Operator
from domain.pricing.models import Tariff
from domain.principal import Principal
from domain.stations.models import ChargingStation, StationState
from domain.users.models import ChargingUser, UserGroup

M = TypeVar("M", bound=Model)


def has_scope(principal: Principal) -> bool:
    """Whether the principal has a subtree at all (an empty scope means no rows)."""
    return bool(principal.base_path) and principal.organisation_id is not None


def visible_groups(principal: Principal) -> QuerySet[ChargingGroup]:
    """Groups in the principal's organisation at or below its base group."""
    if not has_scope(principal):
        return ChargingGroup.filter(id__in=[])
    return ChargingGroup.filter(
        organisation_id=principal.organisation_id, path__startswith=principal.base_path
    )


def visible_operators(principal: Principal) -> QuerySet[Operator]:
    """Operators whose base group lies inside the principal's subtree."""
    if not has_scope(principal):
        return Operator.filter(id__in=[])
    return Operator.filter(
        organisation_id=principal.organisation_id,
        base_group__path__startswith=principal.base_path,
    )


def visible_stations(principal: Principal) -> QuerySet[ChargingStation]:
    """Live stations in a group inside the principal's subtree (not orphans, not discovered)."""
    if not has_scope(principal):
        return ChargingStation.filter(id__in=[])
    return ChargingStation.filter(
        organisation_id=principal.organisation_id,
        state=StationState.ACTIVE,
        group__path__startswith=principal.base_path,
    )


def discovered_stations(principal: Principal) -> QuerySet[ChargingStation]:
    """Stations that connected with an unknown identifier, awaiting adoption (admins only:
    they belong to no group, so only an operator based at the root group sees them)."""
    if not has_scope(principal) or not principal.at_root:
        return ChargingStation.filter(id__in=[])
    return ChargingStation.filter(
        organisation_id=principal.organisation_id, state=StationState.DISCOVERED
    )


def visible_users(principal: Principal) -> QuerySet[ChargingUser]:
    """Charging users (not removed) whose charging group lies in the principal's subtree."""
    if not has_scope(principal):
        return ChargingUser.filter(id__in=[])
    return ChargingUser.filter(
        organisation_id=principal.organisation_id,
        removed_at=None,
        group__path__startswith=principal.base_path,
    )


def visible_user_groups(principal: Principal) -> QuerySet[UserGroup]:
    """Charging user groups owned by a charging group in the principal's subtree."""
    if not has_scope(principal):
        return UserGroup.filter(id__in=[])
    return UserGroup.filter(
        organisation_id=principal.organisation_id, group__path__startswith=principal.base_path
    )


def visible_tariffs(principal: Principal) -> QuerySet[Tariff]:
    """Tariffs owned by a charging group in the principal's subtree."""
    if not has_scope(principal):
        return Tariff.filter(id__in=[])
    return Tariff.filter(
        organisation_id=principal.organisation_id, group__path__startswith=principal.base_path
    )


async def group_or_base(
    principal: Principal, group_id: str | uuid.UUID | None, field: str
) -> ChargingGroup:
    """The visible group `group_id`, or the principal's base group when none is given."""
    if group_id is None:
        group = await visible_groups(principal).get_or_none(path=principal.base_path)
    else:
        gid = parse_id(group_id)
        group = None if gid is None else await visible_groups(principal).get_or_none(id=gid)
    if group is None:
        raise GROUP_NOT_FOUND.error(field)
    return group


async def user_group_or_none(
    principal: Principal, user_group_id: str | uuid.UUID | None, field: str
) -> UserGroup | None:
    """The visible user group `user_group_id`; None when none is given."""
    if user_group_id is None:
        return None
    ugid = parse_id(user_group_id)
    found = None if ugid is None else await visible_user_groups(principal).get_or_none(id=ugid)
    if found is None:
        raise USER_GROUP_NOT_FOUND.error(field)
    return found


def path_in_scope(principal: Principal, path: str) -> bool:
    return has_scope(principal) and path.startswith(principal.base_path)


def in_subtree(query: QuerySet[M], group: ChargingGroup | None) -> QuerySet[M]:
    """Rows of `query` whose charging group lies at or below `group`; none when `group` is
    None (an unknown or out-of-scope group filters like an empty one)."""
    if group is None:
        return query.filter(id__in=[])
    return query.filter(group__path__startswith=group.path)


def organisation_rows(model: type[M], organisation_id: object) -> QuerySet[M]:
    """Every row of `model` in one organisation. Not operator scope: for what a station or a
    job knows inside its own organisation, organisation-wide uniqueness checks and
    organisation-wide registers (the EVSE id pool, the configuration profile)."""
    return model.filter(organisation_id=organisation_id)


def parse_id(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """An id from a client; anything malformed is treated like a missing object."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
