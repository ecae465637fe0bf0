"""GraphQL types for remote commands to charging stations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from domain.ocpp.models import CommandState as DomainCommandState
from domain.ocpp.models import RemoteCommand as CommandRow
from gql.errors import UserError

CommandState = strawberry.enum(
    DomainCommandState,
    name="CommandState",
    description="QUEUED, SENT; then ACCEPTED or REJECTED by the station, FAILED (offline or "
    "an error answer) or TIMED_OUT (no answer in time)",
)


@strawberry.type(description="A remote command to a charging station and its outcome")
class RemoteCommand:
    id: strawberry.ID
    station_id: strawberry.ID
    action: str = strawberry.field(description="The OCPP action, such as Reset")
    payload: JSON
    state: CommandState  # type: ignore[valid-type]
    response: JSON | None
    error: str | None
    issued_by: str = strawberry.field(description="The operator's username, or a schedule")
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def from_row(cls, row: CommandRow) -> RemoteCommand:
        return cls(
            id=strawberry.ID(str(row.id)),
            station_id=strawberry.ID(str(row.station_id)),
            action=row.action,
            payload=JSON(row.payload),
            state=row.state,
            response=None if row.response is None else JSON(row.response),
            error=row.error,
            issued_by=row.issued_by,
            created_at=row.created_at,
            sent_at=row.sent_at,
            completed_at=row.completed_at,
        )


@strawberry.type
class RemoteCommandPayload:
    command: RemoteCommand | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoteCommandPage:
    total_count: int
    items: list[RemoteCommand]
