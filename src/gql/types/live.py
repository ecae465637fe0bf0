"""GraphQL types for live status."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.events.live import LiveEvent, LiveKind

LiveStatusKind = strawberry.enum(
    LiveKind,
    name="LiveStatusKind",
    description="STATUS: a charging point (or the whole station, point 0) reported a "
    "status; CONNECTED / DISCONNECTED: the station's connection opened or closed",
)


@strawberry.type(description="A change of a station's or a charging point's status")
class LiveStatus:
    station_id: strawberry.ID
    kind: LiveStatusKind  # type: ignore[valid-type]
    point_number: int = strawberry.field(
        description="The charging point; 0 is the whole station (and for connections)"
    )
    status: str = strawberry.field(description="As defined by OCPP; empty for connections")
    error_code: str = strawberry.field(description="OCPP error type; empty for connections")
    occurred_at: datetime = strawberry.field(description="When, as the station says")

    @classmethod
    def from_event(cls, event: LiveEvent) -> LiveStatus:
        return cls(
            station_id=strawberry.ID(str(event.station_id)),
            kind=event.kind,
            point_number=event.connector_id,
            status=event.status,
            error_code=event.error_code,
            occurred_at=event.occurred_at,
        )
