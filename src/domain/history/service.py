"""The management history: record who did what, when, on which stations, with what outcome.

Callers own the transaction (a record is written in the same transaction as its change).

Who sees a record: only operators of its organisation, and only when every station it names
is in their scope. An operator based at the root group sees the whole tree, including
deleted (orphan) stations, so every record naming stations; a record naming no station
(organisation-wide) is shown to admins at the root group only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from domain.history.models import ManagementRecord, RecordOutcome
from domain.operators.models import Operator
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import parse_id, visible_records

SYSTEM_ACTOR = "system"
ACTION_MAX = 64


async def _actor_name(principal: Principal, operator_username: str | None) -> str:
    if operator_username:
        return operator_username[:100]
    if principal.operator_id is None:
        return SYSTEM_ACTOR
    names = await Operator.filter(id=principal.operator_id).values_list("username", flat=True)
    return str(names[0]) if names else SYSTEM_ACTOR


async def record(
    *,
    principal: Principal,
    operator_username: str | None = None,
    action: str,
    summary: str,
    details: dict[str, Any] | None = None,
    station_ids: Iterable[uuid.UUID | str] = (),
    outcome: RecordOutcome = RecordOutcome.SUCCEEDED,
) -> ManagementRecord:
    """Write one record; `operator_username` defaults to the principal's (or "system")."""
    assert len(action) <= ACTION_MAX, action
    return await ManagementRecord.create(
        organisation_id=principal.organisation_id,
        operator_id=principal.operator_id,
        actor_name=await _actor_name(principal, operator_username),
        action=action,
        summary=summary,
        details=details or {},
        # Sorted and de-duplicated: the list is a set of stations, compared by containment.
        station_ids=sorted({str(sid) for sid in station_ids}),
        outcome=outcome,
    )


async def list_records(
    *,
    principal: Principal,
    station_id: str | uuid.UUID | None = None,
    action: str | None = None,
    page: PageRequest,
) -> Page[ManagementRecord]:
    """The records the principal may see (see the module doc), newest first."""
    query = await visible_records(principal)
    if station_id is not None:
        sid = parse_id(station_id)
        if sid is None:
            return await paginate(ManagementRecord.filter(id__in=[]), page, ["id"])
        query = query.filter(station_ids__contains=[str(sid)])
    if action and action.strip():
        query = query.filter(action=action.strip())
    return await paginate(query, page, ["-created_at", "-id"])
