"""Auto configuration (seed 004): the organisation's profile of required configuration keys,
and applying it to a station. Runs and fixes wait for the station, so they own their
transactions (like remote commands)."""

from __future__ import annotations

import strawberry

from domain.commands import autoconfig
from gql.commands import command, target
from gql.policy import Policy
from gql.types.autoconfig import (
    AutoConfigurationPayload,
    ConfigurationProfilePayload,
    ConfigurationRequirement,
    ConfigurationRequirementInput,
    StationAutoConfiguration,
)


@strawberry.type
class AutoConfigurationQuery:
    @strawberry.field(
        extensions=[Policy("station.read")],
        description="The configuration keys and values the organisation requires, by key",
    )
    async def configuration_profile(
        self, info: strawberry.Info
    ) -> list[ConfigurationRequirement] | None:
        rows = await autoconfig.profile(principal=info.context.actor)
        return [ConfigurationRequirement.of(r) for r in rows]

    @strawberry.field(
        extensions=[Policy("station.read")],
        description="A station's auto configuration against the profile; null when missing",
    )
    async def station_auto_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> StationAutoConfiguration | None:
        status = await autoconfig.station_status(
            principal=info.context.actor, station_id=station_id
        )
        return None if status is None else StationAutoConfiguration.of(status)


@strawberry.type
class AutoConfigurationMutation:
    @strawberry.mutation(
        extensions=[Policy("station.configure")],
        description="Replace the organisation's profile (admins based at the root group)",
    )
    async def set_configuration_profile(
        self, info: strawberry.Info, entries: list[ConfigurationRequirementInput]
    ) -> ConfigurationProfilePayload:
        rows = await autoconfig.set_profile(
            principal=info.context.actor, entries=[e.to_domain() for e in entries]
        )
        return ConfigurationProfilePayload(profile=[ConfigurationRequirement.of(r) for r in rows])

    @command("Auto configuration: ChangeConfiguration of every profile key", "station.configure")
    async def run_auto_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> AutoConfigurationPayload:
        return AutoConfigurationPayload.of(await autoconfig.run(target(info, station_id)))

    @command("Fix all: re-apply only the profile keys that are not applied", "station.configure")
    async def fix_auto_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> AutoConfigurationPayload:
        return AutoConfigurationPayload.of(await autoconfig.fix(target(info, station_id)))
