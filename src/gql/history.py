"""The management history: who did what, when, on which stations, with what outcome."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.history import service
from domain.history.models import ManagementRecord as RecordRow
from domain.history.models import RecordOutcome
from gql.policy import Policy
from gql.types.common import PageInput, page_of

ManagementRecordOutcome = strawberry.enum(RecordOutcome, name="ManagementRecordOutcome")


@strawberry.type(description="One entry of the management history")
class ManagementRecord:
    id: strawberry.ID
    actor_name: str = strawberry.field(description="The operator's username, or 'system'")
    action: str = strawberry.field(description="Such as user_group.apply")
    summary: str
    station_ids: list[strawberry.ID]
    outcome: ManagementRecordOutcome  # type: ignore[valid-type]
    created_at: datetime

    @classmethod
    def from_row(cls, row: RecordRow) -> ManagementRecord:
        return cls(
            id=strawberry.ID(str(row.id)),
            actor_name=row.actor_name,
            action=row.action,
            summary=row.summary,
            station_ids=[strawberry.ID(str(s)) for s in row.station_ids],
            outcome=row.outcome,
            created_at=row.created_at,
        )


@strawberry.type
class ManagementRecordPage:
    total_count: int
    items: list[ManagementRecord]


@strawberry.type
class HistoryQuery:
    @strawberry.field(
        extensions=[Policy("history.read")],
        description="Records whose stations are all in your scope, newest first",
    )
    async def management_history(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID | None = None,
        action: str | None = None,
        page: PageInput | None = None,
    ) -> ManagementRecordPage | None:
        result = await service.list_records(
            principal=info.context.actor, station_id=station_id, action=action, page=page_of(page)
        )
        return ManagementRecordPage(
            total_count=result.total_count,
            items=[ManagementRecord.from_row(r) for r in result.items],
        )
