"""GraphQL types for the operator's organisation."""

from __future__ import annotations

import strawberry

from domain.organisations.models import Organisation as OrganisationRow
from gql.errors import UserError


@strawberry.type(description="Your organisation (tenant)")
class Organisation:
    id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Path segment of station URLs: /ocpp/{slug}/...")
    timezone: str = strawberry.field(description="IANA time zone of days and schedules")
    allow_unauthenticated_stations: bool = strawberry.field(
        description="Stations without an OCPP password may connect (off: they are refused)"
    )

    @classmethod
    def from_row(cls, row: OrganisationRow) -> Organisation:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            slug=row.slug,
            timezone=row.timezone,
            allow_unauthenticated_stations=row.allow_unauthenticated_stations,
        )


@strawberry.input(description="Left out (null): unchanged")
class UpdateOrganisationInput:
    name: str | None = None
    timezone: str | None = None
    allow_unauthenticated_stations: bool | None = None


@strawberry.type
class OrganisationPayload:
    organisation: Organisation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
