"""GraphQL types for auto configuration: the organisation's profile, a station's status."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.commands import autoconfig
from domain.commands.models import ApplicationStatus as DomainApplicationStatus
from gql.errors import UserError

ApplicationStatus = strawberry.enum(
    DomainApplicationStatus,
    name="ApplicationStatus",
    description="PENDING (not applied yet, or being applied), APPLIED (Accepted), "
    "REBOOT_REQUIRED (Accepted, takes effect after a reset), FAILED (Rejected, NotSupported, "
    "an error answer, offline or no answer in time)",
)


@strawberry.type(description="A configuration key and value the organisation requires")
class ConfigurationRequirement:
    key: str
    value: str

    @classmethod
    def of(cls, row: autoconfig.Requirement) -> ConfigurationRequirement:
        return cls(key=row.key, value=row.value)


@strawberry.input(description="A required configuration key (1-50 characters) and its value")
class ConfigurationRequirementInput:
    key: str
    value: str

    def to_domain(self) -> autoconfig.Requirement:
        return autoconfig.Requirement(self.key, self.value)


@strawberry.type
class ConfigurationProfilePayload:
    profile: list[ConfigurationRequirement] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="Where one required key stands on a station")
class AutoConfigurationKey:
    key: str
    value: str = strawberry.field(description="The value the profile requires")
    status: ApplicationStatus  # type: ignore[valid-type]
    detail: str = strawberry.field(
        description="The station's answer (Accepted, RebootRequired, Rejected, NotSupported) "
        "or what went wrong"
    )
    updated_at: datetime | None
    command_id: strawberry.ID | None = strawberry.field(
        description="The ChangeConfiguration remote command that applied it last"
    )

    @classmethod
    def of(cls, row: autoconfig.KeyStatus) -> AutoConfigurationKey:
        return cls(
            key=row.key,
            value=row.value,
            status=row.status,
            detail=row.detail,
            updated_at=row.updated_at,
            command_id=None if row.command_id is None else strawberry.ID(str(row.command_id)),
        )


@strawberry.type(description="A station's auto configuration, key by key, against the profile")
class StationAutoConfiguration:
    station_id: strawberry.ID
    keys: list[AutoConfigurationKey]
    applied_count: int
    reboot_required_count: int
    failed_count: int
    pending_count: int
    configured: bool = strawberry.field(
        description="Every required key is applied (green checkmarks; some may await a reset)"
    )
    reset_required: bool = strawberry.field(
        description="A key takes effect after a reboot and the station has not accepted a "
        "reset since: reset it (softReset / hardReset)"
    )
    running: bool = strawberry.field(description="A run or fix is in progress")

    @classmethod
    def of(cls, status: autoconfig.StationStatus) -> StationAutoConfiguration:
        count = status.count
        return cls(
            station_id=strawberry.ID(str(status.station_id)),
            keys=[AutoConfigurationKey.of(k) for k in status.keys],
            applied_count=count(DomainApplicationStatus.APPLIED),
            reboot_required_count=count(DomainApplicationStatus.REBOOT_REQUIRED),
            failed_count=count(DomainApplicationStatus.FAILED),
            pending_count=count(DomainApplicationStatus.PENDING),
            configured=status.configured,
            reset_required=status.reset_required,
            running=status.running,
        )


@strawberry.type
class AutoConfigurationPayload:
    status: StationAutoConfiguration | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, result: autoconfig.RunResult) -> AutoConfigurationPayload:
        errors = [UserError.from_domain(result.error)] if result.error else []
        return cls(status=StationAutoConfiguration.of(result.status), errors=errors)
