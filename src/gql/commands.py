"""Remote commands to charging stations: parse, call one service, map. A command owns its
transactions (it waits for the station): a failed one is still recorded, its user error
rides in the payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from domain.commands import remote
from domain.commands import service as commands
from gql.errors import UserError
from gql.policy import Policy
from gql.types.commands import (
    ConfigurationKeyPage,
    RemoteCommand,
    RemoteCommandPage,
    RemoteCommandPayload,
    TriggerableMessage,
)
from gql.types.common import PageInput, page_of


def target(info: strawberry.Info, station_id: strawberry.ID) -> remote.Target:
    """Who asks, about which station, and the dispatcher that reaches it."""
    return remote.Target(info.context.actor, station_id, info.context.services.dispatch)


def _payload(outcome: commands.Outcome) -> RemoteCommandPayload:
    errors = [UserError.from_domain(outcome.error)] if outcome.error else []
    return RemoteCommandPayload(command=RemoteCommand.from_row(outcome.command), errors=errors)


async def _run(
    info: strawberry.Info,
    station_id: strawberry.ID,
    operation: Callable[..., Awaitable[commands.Outcome]],
    **arguments: Any,
) -> RemoteCommandPayload:
    return _payload(await operation(target(info, station_id), **arguments))


def command(description: str, action: str = "station.command") -> Any:
    """A remote-command mutation: authorized by `action`, outside the request transaction."""
    return strawberry.mutation(extensions=[Policy(action, atomic=False)], description=description)


@strawberry.type
class CommandQuery:
    @strawberry.field(
        extensions=[Policy("station.read")],
        description="A station's remote commands (its management history), newest first",
    )
    async def station_commands(
        self, info: strawberry.Info, station_id: strawberry.ID, page: PageInput | None = None
    ) -> RemoteCommandPage | None:
        result = await commands.list_commands(
            principal=info.context.actor, station_id=station_id, page=page_of(page)
        )
        return RemoteCommandPage(
            total_count=result.total_count,
            items=[RemoteCommand.from_row(r) for r in result.items],
        )

    @strawberry.field(
        extensions=[Policy("station.read")],
        description="The configuration the station reported on its last refresh, by key",
    )
    async def station_configuration(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        search: str | None = None,
        page: PageInput | None = None,
    ) -> ConfigurationKeyPage | None:
        result = await commands.configuration(
            principal=info.context.actor, station_id=station_id, search=search, page=page_of(page)
        )
        return ConfigurationKeyPage.of(result)


@strawberry.type
class CommandMutation:
    @command("UnlockConnector: release the cable of a charging point")
    async def release_cable(
        self, info: strawberry.Info, station_id: strawberry.ID, connector_id: int
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.unlock, connector_id=connector_id)

    @command("ClearCache: the station's RFID cache")
    async def clear_cache(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.clear_cache)

    @command("Reset Soft: restart the station's application")
    async def soft_reset(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.reset, hard=False)

    @command("Reset Hard: restart the whole station")
    async def hard_reset(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.reset, hard=True)

    @command("ChangeAvailability of the station (connector 0) or one charging point")
    async def set_availability(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        available: bool,
        connector_id: int = 0,
    ) -> RemoteCommandPayload:
        return await _run(
            info, station_id, remote.set_availability, available=available,
            connector_id=connector_id,
        )  # fmt: skip

    @command("GetConfiguration: store the station's keys with their read-only flags")
    async def refresh_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.refresh_configuration)

    @command("ChangeConfiguration of one key (read-only keys are refused)", "station.configure")
    async def change_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID, key: str, value: str
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.change_configuration, key=key, value=value)

    @command("TriggerMessage: ask the station to send a message now")
    async def trigger_message(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        requested_message: TriggerableMessage,
        connector_id: int | None = None,
    ) -> RemoteCommandPayload:
        return await _run(
            info, station_id, remote.trigger, message=requested_message.value,
            connector_id=connector_id,
        )  # fmt: skip

    @command("RemoteStartTransaction with a token, on a charging point or one it picks")
    async def remote_start(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        token_uid: str,
        connector_id: int | None = None,
    ) -> RemoteCommandPayload:
        return await _run(
            info, station_id, remote.remote_start, connector_id=connector_id,
            token_uid=token_uid,
        )  # fmt: skip

    @command("RemoteStopTransaction of an active session, by its id or its transaction id")
    async def remote_stop(
        self,
        info: strawberry.Info,
        session_id: strawberry.ID | None = None,
        transaction_id: int | None = None,
    ) -> RemoteCommandPayload:
        outcome = await remote.remote_stop(
            principal=info.context.actor,
            session_id=session_id,
            transaction_id=transaction_id,
            dispatch=info.context.services.dispatch,
        )
        return _payload(outcome)

    @command("UpdateFirmware from a location URL (admins only)", "firmware.update")
    async def update_firmware(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        location: str,
        retrieve_date: datetime | None = None,
        retries: int | None = None,
        retry_interval: int | None = None,
    ) -> RemoteCommandPayload:
        return await _run(
            info, station_id, remote.update_firmware, location=location,
            retrieve_at=retrieve_date, retries=retries, retry_interval=retry_interval,
        )  # fmt: skip

    @command("GetDiagnostics: the station uploads its diagnostics to a location URL")
    async def get_diagnostics(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        location: str,
        retries: int | None = None,
        retry_interval: int | None = None,
        start_time: datetime | None = None,
        stop_time: datetime | None = None,
    ) -> RemoteCommandPayload:
        return await _run(
            info, station_id, remote.get_diagnostics, location=location, retries=retries,
            retry_interval=retry_interval, start=start_time, stop=stop_time,
        )  # fmt: skip

    @command("SetChargingProfile ChargePointMaxProfile: limit the station's current (A)")
    async def set_max_current(
        self, info: strawberry.Info, station_id: strawberry.ID, amps: Decimal
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.set_max_current, amps=amps)

    @command("ClearChargingProfile: remove the station's maximum current")
    async def clear_max_current(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.clear_max_current)

    @command("SendLocalList from the station's access rights: full, or the differences")
    async def send_local_list(
        self, info: strawberry.Info, station_id: strawberry.ID, full: bool = True
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.send_local_list, full=full)

    @command("GetLocalListVersion: which local list the station holds")
    async def get_local_list_version(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, remote.get_local_list_version)
