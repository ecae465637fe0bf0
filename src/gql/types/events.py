"""GraphQL types for the station event feed."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.events.feed import ERROR_CODES, STATUSES, EventDay, EventSort
from domain.events.models import EventKind
from domain.events.models import StationEvent as EventRow
from gql.types.common import SortDirection

StationEventKind = strawberry.enum(
    EventKind,
    name="StationEventKind",
    description="STATUS: StatusNotification; FIRMWARE: FirmwareStatusNotification; "
    "DIAGNOSTICS: DiagnosticsStatusNotification",
)
StationEventSortField = strawberry.enum(
    EventSort,
    name="StationEventSortField",
    description="OCCURRED_AT: date and time; POINT: charging point number",
)


@strawberry.type(description="Something a station reported, for its event feed")
class StationEvent:
    id: strawberry.ID
    kind: StationEventKind  # type: ignore[valid-type]
    info: str = strawberry.field(description="Additional information the station sent")
    point_number: int = strawberry.field(description="The charging point; 0 is the whole station")
    status: str = strawberry.field(description="As defined by OCPP, such as Charging")
    error_code: str = strawberry.field(description="OCPP error type, such as NoError")
    vendor_id: str
    vendor_error_code: str
    occurred_at: datetime = strawberry.field(description="When it happened, as the station says")
    received_at: datetime

    @classmethod
    def from_row(cls, row: EventRow) -> StationEvent:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            info=row.info,
            point_number=row.connector_id,
            status=row.status,
            error_code=row.error_code,
            vendor_id=row.vendor_id,
            vendor_error_code=row.vendor_error_code,
            occurred_at=row.occurred_at,
            received_at=row.received_at,
        )


@strawberry.type(description="One day of a station's events")
class StationEventFeed:
    day: date = strawberry.field(description="The day, in the organisation's time zone")
    previous_day: date
    next_day: date
    time_zone: str = strawberry.field(description="The organisation's IANA time zone")
    total_count: int
    items: list[StationEvent]

    @strawberry.field(description="The OCPP error types the errorCode filter accepts")
    def error_codes(self) -> list[str]:
        return list(ERROR_CODES)

    @strawberry.field(description="The OCPP statuses the status filter accepts")
    def statuses(self) -> list[str]:
        return list(STATUSES)

    @classmethod
    def from_domain(cls, found: EventDay) -> StationEventFeed:
        return cls(
            day=found.day,
            previous_day=found.previous_day,
            next_day=found.next_day,
            time_zone=found.time_zone,
            total_count=found.page.total_count,
            items=[StationEvent.from_row(r) for r in found.page.items],
        )


@strawberry.input
class StationEventSort:
    field: StationEventSortField = EventSort.OCCURRED_AT  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.DESC
