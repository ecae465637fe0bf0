"""Charging sessions as operators see them: at stations in their scope (orphans included for
operators based at the root group, who see the whole history)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from domain import rows
from domain.charging.models import ChargingSession, MeterSample, SessionState
from domain.errors import SESSION_SEARCH_TOO_LONG
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import parse_id, visible_sessions

SEARCH_MAX = 100


@dataclass(frozen=True)
class SessionFilter:
    station_id: str | None = None
    state: SessionState | None = None
    started_from: datetime | None = None
    started_before: datetime | None = None
    search: str | None = None  # token id or transaction id


async def list_sessions(
    *, principal: Principal, filter: SessionFilter, page: PageRequest
) -> Page[ChargingSession]:
    """Newest first. An unknown or out-of-scope station filter matches nothing."""
    query = visible_sessions(principal)
    if filter.station_id is not None:
        query = query.filter(station_id=parse_id(filter.station_id) or uuid.UUID(int=0))
    if filter.state is not None:
        query = query.filter(state=filter.state)
    if filter.started_from is not None:
        query = query.filter(started_at__gte=filter.started_from)
    if filter.started_before is not None:
        query = query.filter(started_at__lt=filter.started_before)
    if filter.search and filter.search.strip():
        text = filter.search.strip()
        if len(text) > SEARCH_MAX:
            raise SESSION_SEARCH_TOO_LONG.error("search")
        match = Q(token_uid__icontains=text)
        if text.isdigit() and len(text) < 19:
            match |= Q(transaction_id=int(text))
        query = query.filter(match)
    return await paginate(query, page, ["-started_at", "-transaction_id"])


async def get(*, principal: Principal, session_id: str) -> ChargingSession | None:
    return await rows.find(visible_sessions(principal), session_id)


async def samples(
    *, principal: Principal, session_id: str, measurand: str | None, page: PageRequest
) -> Page[MeterSample] | None:
    """A session's meter samples in time order; None for a session out of scope."""
    session = await get(principal=principal, session_id=session_id)
    if session is None:
        return None
    query = MeterSample.filter(session_id=session.id)
    if measurand:
        query = query.filter(measurand=measurand)
    return await paginate(query, page, ["sampled_at", "measurand", "phase"])
