"""GraphQL types for charging users, their RFID tokens and charging user groups."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.users.models import ChargingUser as UserRow
from domain.users.models import Token as TokenRow
from domain.users.models import TokenStatus as DomainTokenStatus
from domain.users.models import UserGroup as UserGroupRow
from domain.users.service import UserSort
from domain.users.user_groups import UserGroupSort
from gql.errors import UserError
from gql.types.common import SortDirection
from gql.types.groups import ChargingGroup
from gql.types.pricing import Tariff
from gql.types.stations import ChargingStation

TokenStatus = strawberry.enum(DomainTokenStatus, name="TokenStatus")
ChargingUserSortField = strawberry.enum(UserSort, name="ChargingUserSortField")
ChargingUserGroupSortField = strawberry.enum(UserGroupSort, name="ChargingUserGroupSortField")


@strawberry.type(name="Token", description="An RFID token (OCPP idTag) of a charging user")
class Token:
    id: strawberry.ID
    uid: str = strawberry.field(description="The id the station reads; never changes")
    name: str
    status: TokenStatus  # type: ignore[valid-type]
    valid_from: datetime | None
    valid_to: datetime | None = strawberry.field(description="Null: valid indefinitely")
    created_at: datetime

    @classmethod
    def from_row(cls, row: TokenRow) -> Token:
        return cls(
            id=strawberry.ID(str(row.id)),
            uid=row.uid,
            name=row.name,
            status=row.status,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            created_at=row.created_at,
        )


@strawberry.type(name="ChargingUser", description="A driver")
class ChargingUser:
    id: strawberry.ID
    first_name: str
    last_name: str
    email: str = strawberry.field(description="Unique in the organisation; never changes")
    active: bool
    version: int
    created_at: datetime
    row_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID]
    user_group_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: UserRow) -> ChargingUser:
        return cls(
            id=strawberry.ID(str(row.id)),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            row_id=row.id,
            group_id=row.group_id,  # type: ignore[arg-type]
            user_group_id=row.user_group_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="First and last name")
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @strawberry.field(description="The charging group the user belongs to")
    async def group(self, info: strawberry.Info) -> ChargingGroup | None:
        row = await info.context.loaders.group.load(self.group_id)
        return ChargingGroup.from_row(row) if row else None

    @strawberry.field(description="Null: in no group, or in one outside your scope")
    async def user_group(self, info: strawberry.Info) -> ChargingUserGroup | None:
        if self.user_group_id is None:
            return None
        row = await info.context.loaders.users.user_group.load(self.user_group_id)
        return ChargingUserGroup.from_row(row) if row else None

    @strawberry.field(description="Number of the user's tokens")
    async def token_count(self, info: strawberry.Info) -> int:
        return await info.context.loaders.users.token_count.load(self.row_id)

    @strawberry.field
    async def tokens(self, info: strawberry.Info) -> list[Token]:
        rows = await info.context.loaders.users.tokens.load(self.row_id)
        return [Token.from_row(r) for r in rows]

    @strawberry.field(description="Access rights: every station below these groups (in scope)")
    async def access_groups(self, info: strawberry.Info) -> list[ChargingGroup]:
        rows = await info.context.loaders.users.access_groups.load(self.row_id)
        return [ChargingGroup.from_row(r) for r in rows]

    @strawberry.field(description="Access rights: single stations (in scope)")
    async def access_stations(self, info: strawberry.Info) -> list[ChargingStation]:
        rows = await info.context.loaders.users.access_stations.load(self.row_id)
        return [ChargingStation.from_row(r) for r in rows]


@strawberry.type
class ChargingUserPage:
    total_count: int
    items: list[ChargingUser]


@strawberry.input
class ChargingUserSort:
    field: ChargingUserSortField = UserSort.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input(description="A new RFID token")
class TokenInput:
    uid: str = strawberry.field(description="1 to 36 printable characters, unique (any case)")
    name: str = ""
    status: TokenStatus = DomainTokenStatus.ACTIVE  # type: ignore[valid-type]
    valid_from: datetime | None = None
    valid_to: datetime | None = strawberry.field(
        default=None, description="Null: valid indefinitely"
    )


@strawberry.input
class CreateChargingUserInput:
    email: str
    first_name: str = ""
    last_name: str = ""
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The user's charging group; default: your base group"
    )
    user_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="A charging user group to join (admin only)"
    )
    access_group_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    access_station_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    active: bool = True
    tokens: list[TokenInput] = strawberry.field(default_factory=list)


@strawberry.input(description="The e-mail address and token ids cannot be changed")
class UpdateChargingUserInput:
    id: strawberry.ID
    first_name: str | None = None
    last_name: str | None = None
    group_id: strawberry.ID | None = None
    user_group_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Join this charging user group (leaving any other); null: leave it "
        "(admin only)",
    )
    access_group_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the group access rights you can see"
    )
    access_station_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces the station access rights you can see"
    )
    active: bool | None = None
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused (CONFLICT)"
    )


@strawberry.input
class AddTokenInput:
    user_id: strawberry.ID
    uid: str = strawberry.field(description="1 to 36 printable characters, unique (any case)")
    name: str = ""
    status: TokenStatus = DomainTokenStatus.ACTIVE  # type: ignore[valid-type]
    valid_from: datetime | None = None
    valid_to: datetime | None = strawberry.field(
        default=None, description="Null: valid indefinitely"
    )


@strawberry.input(description="The token id (uid) cannot be changed")
class UpdateTokenInput:
    id: strawberry.ID
    name: str | None = None
    status: TokenStatus | None = None  # type: ignore[valid-type]
    valid_from: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged; null: no start date"
    )
    valid_to: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Left out: unchanged; null: valid indefinitely"
    )


@strawberry.type
class ChargingUserPayload:
    user: ChargingUser | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TokenPayload:
    token: Token | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(name="ChargingUserGroup", description="A group of charging users")
class ChargingUserGroup:
    id: strawberry.ID
    name: str
    active: bool
    version: int
    created_at: datetime
    row_id: strawberry.Private[uuid.UUID]
    group_id: strawberry.Private[uuid.UUID]
    ac_tariff_id: strawberry.Private[uuid.UUID | None]
    dc_tariff_id: strawberry.Private[uuid.UUID | None]

    @classmethod
    def from_row(cls, row: UserGroupRow) -> ChargingUserGroup:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            active=row.active,
            version=row.version,
            created_at=row.created_at,
            row_id=row.id,
            group_id=row.group_id,  # type: ignore[arg-type]
            ac_tariff_id=row.ac_tariff_id,  # type: ignore[arg-type]
            dc_tariff_id=row.dc_tariff_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="The charging group that owns the user group")
    async def group(self, info: strawberry.Info) -> ChargingGroup | None:
        row = await info.context.loaders.group.load(self.group_id)
        return ChargingGroup.from_row(row) if row else None

    @strawberry.field(description="Members you can see")
    async def member_count(self, info: strawberry.Info) -> int:
        return await info.context.loaders.users.member_count.load(self.row_id)

    @strawberry.field(description="Members you can see, by name")
    async def members(self, info: strawberry.Info) -> list[ChargingUser]:
        rows = await info.context.loaders.users.members.load(self.row_id)
        return [ChargingUser.from_row(r) for r in rows]

    @strawberry.field(description="Group fee at AC stations (seed 000 level 2)")
    async def ac_tariff(self, info: strawberry.Info) -> Tariff | None:
        return await _tariff(info, self.ac_tariff_id)

    @strawberry.field(description="Group fee at DC stations (seed 000 level 3)")
    async def dc_tariff(self, info: strawberry.Info) -> Tariff | None:
        return await _tariff(info, self.dc_tariff_id)


async def _tariff(info: strawberry.Info, tariff_id: uuid.UUID | None) -> Tariff | None:
    if tariff_id is None:
        return None
    row = await info.context.loaders.users.tariff.load(tariff_id)
    return Tariff.from_row(row) if row else None


@strawberry.type
class ChargingUserGroupPage:
    total_count: int
    items: list[ChargingUserGroup]


@strawberry.input
class ChargingUserGroupSort:
    field: ChargingUserGroupSortField = UserGroupSort.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CreateChargingUserGroupInput:
    name: str
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning charging group; default: your base group"
    )
    active: bool = True
    member_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Charging users to add; each leaves the group they were in (a user "
        "belongs to at most one group)",
    )


@strawberry.input
class UpdateChargingUserGroupInput:
    id: strawberry.ID
    name: str | None = None
    group_id: strawberry.ID | None = None
    active: bool | None = None
    member_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Replaces the members you can see; a user added here leaves the group "
        "they were in (a user belongs to at most one group)",
    )
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused (CONFLICT)"
    )


@strawberry.type
class ChargingUserGroupPayload:
    user_group: ChargingUserGroup | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
