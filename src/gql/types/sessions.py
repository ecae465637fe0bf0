"""GraphQL types for charging sessions and their meter samples."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON

from domain.charging.models import ChargingSession as SessionRow
from domain.charging.models import MeterSample as SampleRow
from domain.charging.models import SessionState as DomainSessionState

SessionState = strawberry.enum(
    DomainSessionState,
    name="SessionState",
    description="ACTIVE; COMPLETED by the station's StopTransaction, or CLOSED by housekeeping "
    "(the station rebooted or vanished)",
)


@strawberry.type(description="One OCPP transaction with its energy and priced cost")
class ChargingSession:
    id: strawberry.ID
    transaction_id: int = strawberry.field(description="The OCPP transactionId")
    station_id: strawberry.ID
    connector_id: int
    token_uid: str
    user_id: strawberry.ID | None
    authorization_status: str
    state: SessionState  # type: ignore[valid-type]
    meter_start_wh: int
    meter_stop_wh: int | None
    energy_wh: int | None
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str | None
    cost: Decimal | None
    currency: str | None
    price_reason: str | None = strawberry.field(description="Which pricing rule decided")
    tariff: JSON | None = strawberry.field(description="The tariff as it was when priced")
    remote_command_id: strawberry.ID | None = strawberry.field(
        description="The RemoteStartTransaction that started it, if one did"
    )

    @classmethod
    def from_row(cls, row: SessionRow) -> ChargingSession:
        def opt(value: object) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        return cls(
            id=strawberry.ID(str(row.id)),
            transaction_id=int(row.transaction_id),
            station_id=strawberry.ID(str(row.station_id)),
            connector_id=row.connector_id,
            token_uid=row.token_uid,
            user_id=opt(row.user_id),
            authorization_status=row.authorization_status,
            state=row.state,
            meter_start_wh=int(row.meter_start_wh),
            meter_stop_wh=None if row.meter_stop_wh is None else int(row.meter_stop_wh),
            energy_wh=None if row.energy_wh is None else int(row.energy_wh),
            started_at=row.started_at,
            stopped_at=row.stopped_at,
            stop_reason=row.stop_reason,
            cost=row.cost,
            currency=row.currency,
            price_reason=row.price_reason,
            tariff=None if row.tariff_snapshot is None else JSON(row.tariff_snapshot),
            remote_command_id=opt(row.remote_command_id),
        )


@strawberry.type
class ChargingSessionPage:
    total_count: int
    items: list[ChargingSession]


@strawberry.type(description="One sampled value as the station sent it")
class MeterSample:
    sampled_at: datetime
    measurand: str
    value: Decimal
    unit: str
    context: str
    phase: str
    location: str
    connector_id: int

    @classmethod
    def from_row(cls, row: SampleRow) -> MeterSample:
        return cls(
            sampled_at=row.sampled_at,
            measurand=row.measurand,
            value=row.value,
            unit=row.unit,
            context=row.context,
            phase=row.phase,
            location=row.location,
            connector_id=row.connector_id,
        )


@strawberry.type
class MeterSamplePage:
    total_count: int
    items: list[MeterSample]
