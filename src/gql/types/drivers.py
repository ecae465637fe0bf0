"""Types of driver invitations and of applying a user group to stations (seed 000)."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from strawberry.file_uploads import Upload

from domain.pricing.applications import ChangeKind, Fee, Plan, StationChange, StationPower
from domain.users.invitations import InvitationLine, InvitationReport, Outcome, Source
from gql.errors import UserError
from gql.history import ManagementRecord

DriverInvitationSource = strawberry.enum(
    Source, name="DriverInvitationSource", description="Where an address was read from"
)
DriverInvitationOutcome = strawberry.enum(Outcome, name="DriverInvitationOutcome")
StationPowerType = strawberry.enum(
    StationPower,
    name="StationPowerType",
    description="DC when any socket of the station is DC, otherwise AC",
)
UserGroupChangeKind = strawberry.enum(ChangeKind, name="UserGroupChangeKind")


@strawberry.input(description="Addresses from any of: a list, pasted text, an uploaded CSV")
class InviteDriversInput:
    emails: list[str] | None = strawberry.field(
        default=None, description="One or more e-mail addresses"
    )
    text: str | None = strawberry.field(
        default=None, description="Pasted addresses, one per line; blank lines are ignored"
    )
    csv: Upload | None = strawberry.field(
        default=None,
        description="A CSV file (multipart upload), addresses in the first column; "
        "at most 1 MB and 5,000 addresses",
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The drivers' charging group; default: your base group"
    )
    user_group_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Make the drivers members of this charging user group (admin only)",
    )


@strawberry.type(description="What happened to one address of the request")
class DriverInvitationLine:
    email: str
    source: DriverInvitationSource  # type: ignore[valid-type]
    line: int = strawberry.field(
        description="The line in the text or file (the position in the list for `emails`)"
    )
    outcome: DriverInvitationOutcome  # type: ignore[valid-type]
    message: str = strawberry.field(description="Why it was not invited; empty when invited")
    user_id: strawberry.ID | None = strawberry.field(description="The new charging user")

    @classmethod
    def from_domain(cls, line: InvitationLine) -> DriverInvitationLine:
        return cls(
            email=line.email,
            source=line.source,
            line=line.line,
            outcome=line.outcome,
            message=line.message,
            user_id=strawberry.ID(str(line.user_id)) if line.user_id else None,
        )


@strawberry.type
class InviteDriversPayload:
    lines: list[DriverInvitationLine] = strawberry.field(default_factory=list)
    invited_count: int = 0
    invalid_count: int = 0
    already_present_count: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_domain(cls, report: InvitationReport) -> InviteDriversPayload:
        return cls(
            lines=[DriverInvitationLine.from_domain(line) for line in report.lines],
            invited_count=report.count(Outcome.INVITED),
            invalid_count=report.count(Outcome.INVALID),
            already_present_count=report.count(Outcome.ALREADY_PRESENT),
        )


@strawberry.type(description="The driver who confirmed the account")
class ConfirmedDriver:
    email: str
    first_name: str
    last_name: str


@strawberry.type
class ConfirmDriverAccountPayload:
    driver: ConfirmedDriver | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


# --- applying a user group ------------------------------------------------------------------


@strawberry.input(description="Stations matching every given criterion (visible, not deleted)")
class StationSelectionInput:
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Stations in this charging group and below"
    )
    search: str | None = strawberry.field(default=None, description="Name or identifier")
    power_type: StationPowerType | None = None  # type: ignore[valid-type]
    station_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these stations"
    )


@strawberry.type(description="A user group fee: the tariff its members pay")
class GroupFee:
    tariff_id: strawberry.ID
    name: str
    price_per_kwh: Decimal
    price_per_session: Decimal
    price_per_hour: Decimal
    currency: str

    @classmethod
    def from_domain(cls, fee: Fee | None) -> GroupFee | None:
        if fee is None:
            return None
        return cls(
            tariff_id=strawberry.ID(str(fee.tariff_id)),
            name=fee.name,
            price_per_kwh=fee.price_per_kwh,
            price_per_session=fee.price_per_session,
            price_per_hour=fee.price_per_hour,
            currency=fee.currency,
        )


@strawberry.type(description="One station and the change that would be (or was) made to it")
class UserGroupStationChange:
    station_id: strawberry.ID
    name: str
    identifier: str
    power_type: StationPowerType  # type: ignore[valid-type]
    change: UserGroupChangeKind  # type: ignore[valid-type]
    fee: GroupFee | None = strawberry.field(description="The fee that holds at this station")
    description: str

    @classmethod
    def from_domain(cls, row: StationChange) -> UserGroupStationChange:
        return cls(
            station_id=strawberry.ID(str(row.station_id)),
            name=row.name,
            identifier=row.identifier,
            power_type=row.power_type,
            change=row.kind,
            fee=GroupFee.from_domain(row.fee),
            description=row.description,
        )


@strawberry.type(description="Every matching station and its change; nothing is changed yet")
class UserGroupApplicationPreview:
    user_group_id: strawberry.ID
    user_group_name: str
    ac_fee: GroupFee | None
    dc_fee: GroupFee | None
    station_count: int = strawberry.field(description="Stations matching the filter")
    change_count: int = strawberry.field(description="Stations that would be modified")
    confirmation: str = strawberry.field(
        description="What to confirm: 'Type the number of stations to be modified: N.'"
    )
    stations: list[UserGroupStationChange]

    @classmethod
    def from_domain(cls, plan: Plan) -> UserGroupApplicationPreview:
        return cls(
            user_group_id=strawberry.ID(str(plan.user_group.id)),
            user_group_name=plan.user_group.name,
            ac_fee=GroupFee.from_domain(plan.ac_fee),
            dc_fee=GroupFee.from_domain(plan.dc_fee),
            station_count=len(plan.stations),
            change_count=len(plan.to_change),
            confirmation=plan.confirmation,
            stations=[UserGroupStationChange.from_domain(s) for s in plan.stations],
        )


@strawberry.type
class PreviewUserGroupApplicationPayload:
    preview: UserGroupApplicationPreview | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApplyUserGroupPayload:
    applied: UserGroupApplicationPreview | None = strawberry.field(
        default=None, description="The stations as evaluated when applying, with their change"
    )
    record: ManagementRecord | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemoveUserGroupApplicationPayload:
    removed_station_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    record: ManagementRecord | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
