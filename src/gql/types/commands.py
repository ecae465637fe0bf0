"""GraphQL types for remote commands to charging stations and their configuration."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from domain.commands.models import CommandState as DomainCommandState
from domain.commands.models import ConfigurationKey as ConfigurationKeyRow
from domain.commands.models import RemoteCommand as CommandRow
from domain.pagination import Page
from gql.errors import UserError

CommandState = strawberry.enum(
    DomainCommandState,
    name="CommandState",
    description="QUEUED, SENT; then ACCEPTED or REJECTED by the station, FAILED (offline, an "
    "error answer, or the node holding the station stopped) or TIMED_OUT (no answer in time)",
)


@strawberry.enum(description="Messages a station can be asked to send (TriggerMessage)")
class TriggerableMessage(Enum):
    BOOT_NOTIFICATION = "BootNotification"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    HEARTBEAT = "Heartbeat"
    METER_VALUES = "MeterValues"
    STATUS_NOTIFICATION = "StatusNotification"


@strawberry.type(description="A remote command to a charging station and its outcome")
class RemoteCommand:
    id: strawberry.ID
    station_id: strawberry.ID
    action: str = strawberry.field(description="The OCPP action, such as Reset")
    payload: JSON
    state: CommandState  # type: ignore[valid-type]
    response: JSON | None
    error: str | None
    progress: str | None = strawberry.field(
        description="What the station reported later about it (firmware: Installed, ...)"
    )
    progress_at: datetime | None
    issued_by: str = strawberry.field(description="The operator's username, or a schedule")
    node: str | None = strawberry.field(
        description="The server node that held the station's connection"
    )
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
            progress=row.progress,
            progress_at=row.progress_at,
            issued_by=row.issued_by,
            node=row.node,
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


@strawberry.type(description="A configuration key as the station last reported it")
class ConfigurationKey:
    key: str
    value: str | None
    readonly: bool = strawberry.field(description="Read-only keys cannot be changed")
    updated_at: datetime

    @classmethod
    def from_row(cls, row: ConfigurationKeyRow) -> ConfigurationKey:
        return cls(key=row.key, value=row.value, readonly=row.readonly, updated_at=row.updated_at)


@strawberry.type
class ConfigurationKeyPage:
    total_count: int
    items: list[ConfigurationKey]

    @classmethod
    def of(cls, page: Page[ConfigurationKeyRow]) -> ConfigurationKeyPage:
        return cls(
            total_count=page.total_count, items=[ConfigurationKey.from_row(r) for r in page.items]
        )
