from __future__ import annotations

import uuid
from datetime import datetime

import strawberry

from domain.operators.models import Operator as OperatorRow
from domain.operators.models import OperatorRole as DomainRole
from domain.operators.models import OperatorStatus as DomainStatus
from domain.operators.service import OperatorSort
from gql.errors import UserError
from gql.types.common import SortDirection
from gql.types.groups import ChargingGroup

OperatorRole = strawberry.enum(DomainRole, name="OperatorRole")
OperatorStatus = strawberry.enum(DomainStatus, name="OperatorStatus")
OperatorSortField = strawberry.enum(OperatorSort, name="OperatorSortField")


@strawberry.type(name="Operator", description="A person managing the system")
class Operator:
    id: strawberry.ID
    username: str
    email: str
    first_name: str
    last_name: str
    role: OperatorRole  # type: ignore[valid-type]
    status: OperatorStatus  # type: ignore[valid-type]
    version: int
    created_at: datetime
    base_group_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: OperatorRow) -> Operator:
        return cls(
            id=strawberry.ID(str(row.id)),
            username=row.username,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            role=row.role,
            status=row.status,
            version=row.version,
            created_at=row.created_at,
            base_group_id=row.base_group_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="Everything under this group is in the operator's domain")
    async def base_group(self, info: strawberry.Info) -> ChargingGroup | None:
        row = await info.context.loaders.group.load(self.base_group_id)
        return ChargingGroup.from_row(row) if row else None


@strawberry.type
class OperatorPage:
    total_count: int
    items: list[Operator]


@strawberry.input
class OperatorSortInput:
    field: OperatorSortField = OperatorSort.USERNAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class InviteOperatorInput:
    username: str
    email: str = strawberry.field(
        description="Unique among the organisation's operators, in any case (a password reset "
        "by e-mail names one operator): ALREADY_EXISTS otherwise"
    )
    first_name: str = ""
    last_name: str = ""
    role: OperatorRole = DomainRole.BASIC  # type: ignore[valid-type]
    base_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Default: your own base group"
    )


@strawberry.input
class UpdateOperatorInput:
    id: strawberry.ID
    email: str | None = strawberry.field(
        default=None,
        description="Unique among the organisation's operators, in any case (a password reset "
        "by e-mail names one operator): ALREADY_EXISTS otherwise",
    )
    first_name: str | None = None
    last_name: str | None = None
    base_group_id: strawberry.ID | None = None
    version: int | None = None


@strawberry.type
class OperatorPayload:
    operator: Operator | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LoginPayload:
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`"
    )
    expires_at: datetime | None = None
    operator: Operator | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class OkPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
