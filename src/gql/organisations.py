"""The operator's organisation and its settings."""

from __future__ import annotations

import strawberry

from domain.organisations import service
from gql.policy import Policy
from gql.types.organisations import Organisation, OrganisationPayload, UpdateOrganisationInput


@strawberry.type
class OrganisationQuery:
    @strawberry.field(extensions=[Policy("organisation.read")], description="Your organisation")
    async def organisation(self, info: strawberry.Info) -> Organisation | None:
        return Organisation.from_row(await service.current(principal=info.context.actor))


@strawberry.type
class OrganisationMutation:
    @strawberry.mutation(
        extensions=[Policy("organisation.update")],
        description="Organisation-wide settings (admins based at the root group)",
    )
    async def update_organisation(
        self, info: strawberry.Info, input: UpdateOrganisationInput
    ) -> OrganisationPayload:
        row = await service.update(
            principal=info.context.actor,
            name=input.name,
            timezone=input.timezone,
            allow_unauthenticated_stations=input.allow_unauthenticated_stations,
        )
        return OrganisationPayload(organisation=Organisation.from_row(row))
