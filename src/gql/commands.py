"""Remote commands to charging stations: parse, call one service, map. A failed command is
still recorded (committed): its user error rides in the payload instead of rolling back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.ocpp import commands
from gql.errors import UserError
from gql.policy import Policy
from gql.types.commands import RemoteCommand, RemoteCommandPage, RemoteCommandPayload
from gql.types.common import PageInput, page_of
from ocpp_ws.commands import dispatch


async def _run(
    info: strawberry.Info, station_id: Any, action: str, payload: dict[str, Any]
) -> RemoteCommandPayload:
    outcome = await commands.run(
        principal=info.context.actor,
        station_id=station_id,
        action=action,
        payload=payload,
        dispatch=dispatch,
    )
    return _payload(outcome)


def _payload(outcome: commands.Outcome) -> RemoteCommandPayload:
    errors = [UserError.from_domain(outcome.error)] if outcome.error else []
    return RemoteCommandPayload(command=RemoteCommand.from_row(outcome.command), errors=errors)


@strawberry.type
class CommandQuery:
    @strawberry.field(
        extensions=[Policy("station.read")],
        description="A station's remote commands (its management history), newest first",
    )
    async def station_commands(
        self, info: strawberry.Info, station_id: strawberry.ID, page: PageInput | None = None
    ) -> RemoteCommandPage:
        result = await commands.list_commands(
            principal=info.context.actor, station_id=station_id, page=page_of(page)
        )
        return RemoteCommandPage(
            total_count=result.total_count,
            items=[RemoteCommand.from_row(r) for r in result.items],
        )


@strawberry.type
class CommandMutation:
    @strawberry.mutation(
        extensions=[Policy("station.command")], description="UnlockConnector: release a cable"
    )
    async def release_cable(
        self, info: strawberry.Info, station_id: strawberry.ID, connector_id: int
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, "UnlockConnector", {"connectorId": connector_id})

    @strawberry.mutation(
        extensions=[Policy("station.command")], description="ClearCache: the RFID cache"
    )
    async def clear_cache(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, "ClearCache", {})

    @strawberry.mutation(
        extensions=[Policy("station.command")], description="Reset Soft: restart the software"
    )
    async def soft_reset(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, "Reset", {"type": "Soft"})

    @strawberry.mutation(
        extensions=[Policy("station.command")], description="Reset Hard: restart the station"
    )
    async def hard_reset(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, "Reset", {"type": "Hard"})

    @strawberry.mutation(
        extensions=[Policy("station.command")],
        description="ChangeAvailability of the station (connector 0) or one connector",
    )
    async def set_availability(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        available: bool,
        connector_id: int = 0,
    ) -> RemoteCommandPayload:
        kind = "Operative" if available else "Inoperative"
        payload = {"connectorId": connector_id, "type": kind}
        return await _run(info, station_id, "ChangeAvailability", payload)

    @strawberry.mutation(
        extensions=[Policy("station.command")],
        description="GetConfiguration: store the station's keys with their read-only flags",
    )
    async def refresh_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID
    ) -> RemoteCommandPayload:
        return await _run(info, station_id, "GetConfiguration", {})

    @strawberry.mutation(
        extensions=[Policy("station.command")], description="ChangeConfiguration of one key"
    )
    async def change_configuration(
        self, info: strawberry.Info, station_id: strawberry.ID, key: str, value: str
    ) -> RemoteCommandPayload:
        payload = {"key": key, "value": value}
        return await _run(info, station_id, "ChangeConfiguration", payload)

    @strawberry.mutation(
        extensions=[Policy("station.command")],
        description="TriggerMessage: ask the station to send a message now",
    )
    async def trigger_message(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        requested_message: str,
        connector_id: int | None = None,
    ) -> RemoteCommandPayload:
        payload: dict[str, Any] = {"requestedMessage": requested_message}
        if connector_id is not None:
            payload["connectorId"] = connector_id
        return await _run(info, station_id, "TriggerMessage", payload)

    @strawberry.mutation(
        extensions=[Policy("station.command")],
        description="RemoteStartTransaction with a token on a connector",
    )
    async def remote_start(
        self, info: strawberry.Info, station_id: strawberry.ID, connector_id: int, token_uid: str
    ) -> RemoteCommandPayload:
        outcome = await commands.remote_start(
            principal=info.context.actor,
            station_id=station_id,
            connector_id=connector_id,
            token_uid=token_uid,
            dispatch=dispatch,
        )
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[Policy("station.command")],
        description="RemoteStopTransaction of a session, by its id or its transaction id",
    )
    async def remote_stop(
        self,
        info: strawberry.Info,
        session_id: strawberry.ID | None = None,
        transaction_id: int | None = None,
    ) -> RemoteCommandPayload:
        outcome = await commands.remote_stop(
            principal=info.context.actor,
            session_id=session_id,
            transaction_id=transaction_id,
            dispatch=dispatch,
        )
        return _payload(outcome)

    @strawberry.mutation(
        extensions=[Policy("firmware.update")],
        description="UpdateFirmware from a location URL (admins only)",
    )
    async def update_firmware(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        location: str,
        retrieve_date: datetime,
        retries: int | None = None,
    ) -> RemoteCommandPayload:
        payload: dict[str, Any] = {"location": location, "retrieveDate": retrieve_date.isoformat()}
        if retries is not None:
            payload["retries"] = retries
        return await _run(info, station_id, "UpdateFirmware", payload)
