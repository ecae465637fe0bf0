"""Charging sessions and their meter samples."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.charging import queries as sessions
from domain.charging.models import SessionState as DomainSessionState
from gql.policy import Policy
from gql.types.common import PageInput, page_of
from gql.types.sessions import (
    ChargingSession,
    ChargingSessionPage,
    MeterSample,
    MeterSamplePage,
    SessionState,
)


@strawberry.type
class SessionQuery:
    @strawberry.field(
        extensions=[Policy("session.read")],
        description="Charging sessions at stations in your scope, newest first",
    )
    async def charging_sessions(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID | None = None,
        state: SessionState | None = None,  # type: ignore[valid-type]
        started_from: datetime | None = None,
        started_before: datetime | None = None,
        search: Annotated[
            str | None, strawberry.argument(description="A token id, or a transaction id")
        ] = None,
        page: PageInput | None = None,
    ) -> ChargingSessionPage | None:
        result = await sessions.list_sessions(
            principal=info.context.actor,
            filter=sessions.SessionFilter(
                station_id=station_id,
                state=None if state is None else DomainSessionState(state),
                started_from=started_from,
                started_before=started_before,
                search=search,
            ),
            page=page_of(page),
        )
        return ChargingSessionPage(
            total_count=result.total_count,
            items=[ChargingSession.from_row(r) for r in result.items],
        )

    @strawberry.field(extensions=[Policy("session.read")])
    async def charging_session(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> ChargingSession | None:
        row = await sessions.get(principal=info.context.actor, session_id=id)
        return None if row is None else ChargingSession.from_row(row)

    @strawberry.field(
        extensions=[Policy("session.read")],
        description="A session's meter samples in time order (null: no such session)",
    )
    async def session_meter_samples(
        self,
        info: strawberry.Info,
        session_id: strawberry.ID,
        measurand: str | None = None,
        page: PageInput | None = None,
    ) -> MeterSamplePage | None:
        result = await sessions.samples(
            principal=info.context.actor,
            session_id=session_id,
            measurand=measurand,
            page=page_of(page),
        )
        if result is None:
            return None
        return MeterSamplePage(
            total_count=result.total_count, items=[MeterSample.from_row(r) for r in result.items]
        )
