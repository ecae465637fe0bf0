"""The one place that expands a principal into the rows it may see. Deny by default."""

from __future__ import annotations

import uuid

from tortoise.queryset import QuerySet

from domain.groups.models import ChargingGroup
from domain.operators.models import Operator
from domain.principal import Principal
from domain.stations.models import ChargingStation


def _has_scope(principal: Principal) -> bool:
    return bool(principal.base_path) and principal.organisation_id is not None


def visible_groups(principal: Principal) -> QuerySet[ChargingGroup]:
    """Groups in the principal's organisation at or below its base group."""
    if not _has_scope(principal):
        return ChargingGroup.filter(id__in=[])
    return ChargingGroup.filter(
        organisation_id=principal.organisation_id, path__startswith=principal.base_path
    )


def visible_operators(principal: Principal) -> QuerySet[Operator]:
    """Operators whose base group lies inside the principal's subtree."""
    if not _has_scope(principal):
        return Operator.filter(id__in=[])
    return Operator.filter(
        organisation_id=principal.organisation_id,
        base_group__path__startswith=principal.base_path,
    )


def visible_stations(principal: Principal) -> QuerySet[ChargingStation]:
    """Stations in a group inside the principal's subtree."""
    if not _has_scope(principal):
        return ChargingStation.filter(id__in=[])
    return ChargingStation.filter(
        organisation_id=principal.organisation_id,
        group__path__startswith=principal.base_path,
    )


def path_in_scope(principal: Principal, path: str) -> bool:
    return _has_scope(principal) and path.startswith(principal.base_path)


def parse_id(value: str | uuid.UUID | None) -> uuid.UUID | None:
    """An id from a client; anything malformed is treated like a missing object."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
