"""Remote commands to stations: record one, hand it to a dispatcher (the transport that
reaches the station's websocket, on this node or another), store the outcome.

Commands speak OCPP 1.6's vocabulary (action names, camelCase payloads) as the canonical,
version-neutral form: the transport of each OCPP version maps it to its own messages.

A command is a long-running operation and its own transaction boundary: `run` commits the
QUEUED record before dispatching, so the history shows a command in flight and no database
connection is held while the station thinks, and commits the outcome after. The record is
kept even when the command failed: the user error rides in the outcome instead."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tortoise.transactions import in_transaction

from domain.commands.models import CommandState, ConfigurationKey, RemoteCommand
from domain.errors import (
    CONFIGURATION_ERROR,
    EXECUTION_FAILED,
    OFFLINE,
    REJECTED_WITH_STATUS,
    TIMED_OUT,
    DomainError,
    ErrorCode,
    NotFound,
)
from domain.errors import DISCONNECTED as DISCONNECTED  # for ocpp_ws
from domain.errors import NODE_LOST as NODE_LOST  # for ocpp_ws
from domain.history.models import RecordOutcome
from domain.history.service import SYSTEM_ACTOR, record
from domain.operators.models import Operator
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import parse_id, visible_stations
from domain.stations.service import STATION_NOT_FOUND

# Answers meaning the station will do it (1.6 statuses; 2.0.1 uses the same words).
ACCEPTING = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired"})
# How long after a RemoteStartTransaction a StartTransaction is taken to be its result.
REMOTE_START_WINDOW = timedelta(minutes=5)


class Delivery(StrEnum):
    ANSWERED = "answered"
    CALL_ERROR = "call_error"  # the station answered with an error, or the socket failed
    OFFLINE = "offline"  # not connected to any node
    TIMEOUT = "timeout"  # no answer in time
    LOST = "lost"  # the node holding the station stopped while the command was with it


@dataclass(frozen=True)
class Request:
    """What a dispatcher carries to the station's node."""

    command_id: uuid.UUID
    station_id: uuid.UUID
    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    delivery: Delivery
    payload: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    node: str | None = None  # the node that held the station's websocket


# The single entry point to a station, on whichever node holds it.
Dispatch = Callable[[Request], Awaitable[Reply]]


@dataclass(frozen=True)
class Outcome:
    command: RemoteCommand
    error: DomainError | None = None


async def station_in_scope(
    principal: Principal, station_id: str | uuid.UUID, field_name: str = "stationId"
) -> uuid.UUID:
    """The id of a station the principal may command; anything else is like a missing one."""
    sid = parse_id(station_id)
    if sid is None or not await visible_stations(principal).filter(id=sid).exists():
        raise NotFound(STATION_NOT_FOUND, field_name)
    return sid


def _state(reply: Reply) -> tuple[CommandState, str | None]:
    if reply.delivery == Delivery.OFFLINE:
        return CommandState.FAILED, OFFLINE
    if reply.delivery == Delivery.TIMEOUT:
        return CommandState.TIMED_OUT, TIMED_OUT
    if reply.delivery in (Delivery.CALL_ERROR, Delivery.LOST):
        return CommandState.FAILED, reply.error or EXECUTION_FAILED
    status = reply.payload.get("status")
    if status is None or status in ACCEPTING:  # GetConfiguration has no status
        return CommandState.ACCEPTED, None
    return CommandState.REJECTED, None


def _user_error(command: RemoteCommand, reply: Reply) -> DomainError | None:
    if reply.delivery == Delivery.OFFLINE:
        return DomainError(ErrorCode.STATION_OFFLINE, OFFLINE, "stationId")
    if reply.delivery == Delivery.TIMEOUT:
        return DomainError(ErrorCode.COMMAND_TIMED_OUT, TIMED_OUT, "stationId")
    if reply.delivery in (Delivery.CALL_ERROR, Delivery.LOST):
        return DomainError(ErrorCode.COMMAND_FAILED, EXECUTION_FAILED, "stationId")
    if command.state != CommandState.REJECTED:
        return None
    if command.action == "ChangeConfiguration":
        return DomainError(ErrorCode.COMMAND_REJECTED, CONFIGURATION_ERROR, "key")
    status = reply.payload.get("status")
    return DomainError(
        ErrorCode.COMMAND_REJECTED, REJECTED_WITH_STATUS.format(status=status), "stationId"
    )


async def _username(principal: Principal) -> str:
    names = await Operator.filter(id=principal.operator_id).values_list("username", flat=True)
    return str(names[0]) if names else SYSTEM_ACTOR


async def store_configuration(station_id: uuid.UUID, keys: list[dict[str, Any]]) -> None:
    """Replace the station's known configuration with what it reported."""
    await ConfigurationKey.filter(station_id=station_id).delete()
    await ConfigurationKey.bulk_create(
        [
            ConfigurationKey(
                station_id=station_id,
                key=str(k["key"])[:50],
                value=None if k.get("value") is None else str(k["value"])[:500],
                readonly=bool(k.get("readonly", False)),
            )
            for k in keys
        ]
    )


Completion = Callable[[RemoteCommand, Reply], Awaitable[None]]


async def run(
    *,
    principal: Principal,
    issued_by: str | None = None,
    station_id: str | uuid.UUID,
    action: str,
    payload: dict[str, Any],
    dispatch: Dispatch,
    on_answer: Completion | None = None,
) -> Outcome:
    """Record the command QUEUED, dispatch it, store and return its final state.
    `issued_by` defaults to the principal's username (a schedule names itself);
    `on_answer` stores what an answer means (in the outcome's transaction)."""
    sid = await station_in_scope(principal, station_id)
    issued_by = issued_by or await _username(principal)
    command = await RemoteCommand.create(
        organisation_id=principal.organisation_id,
        station_id=sid,
        operator_id=principal.operator_id,
        issued_by=issued_by[:100],
        action=action,
        payload=payload,
    )
    reply = await dispatch(Request(command.id, sid, action, payload))
    async with in_transaction():
        await _complete(command, reply)
        if reply.delivery == Delivery.ANSWERED and on_answer is not None:
            await on_answer(command, reply)
        await record(
            principal=principal,
            operator_username=issued_by,
            action="station.command",
            summary=f"{action}: {command.state.value}",
            details={"command_id": str(command.id), "payload": payload},
            station_ids=[sid],
            outcome=RecordOutcome.SUCCEEDED
            if command.state == CommandState.ACCEPTED
            else RecordOutcome.FAILED,
        )
    return Outcome(command=command, error=_user_error(command, reply))


async def _complete(command: RemoteCommand, reply: Reply) -> None:
    # The node marked it SENT in the meantime (or it never left): read that back first.
    current = await RemoteCommand.select_for_update().get(id=command.id)
    command.sent_at, command.node = current.sent_at, current.node or reply.node
    command.state, error = _state(reply)
    command.error = error  # type: ignore[assignment]  # a nullable TextField
    command.response = reply.payload if reply.delivery == Delivery.ANSWERED else None
    command.completed_at = datetime.now(UTC)
    await command.save(update_fields=["state", "error", "response", "completed_at", "node"])
    if action_stores_configuration(command):
        keys = list(reply.payload.get("configurationKey") or [])
        await store_configuration(command.station_id, keys)  # type: ignore[arg-type]


def action_stores_configuration(command: RemoteCommand) -> bool:
    return command.action == "GetConfiguration" and command.state == CommandState.ACCEPTED


async def mark_sent(*, command_id: uuid.UUID, node: str, at: datetime) -> bool:
    """The node holding the station is about to send the call; False when the command is
    no longer QUEUED (completed or given up on), so it must not be sent."""
    updated = await RemoteCommand.filter(id=command_id, state=CommandState.QUEUED).update(
        state=CommandState.SENT, sent_at=at, node=node[:64]
    )
    return bool(updated)


async def list_commands(
    *, principal: Principal, station_id: str | uuid.UUID, page: PageRequest
) -> Page[RemoteCommand]:
    """A station's commands, newest first; a station out of scope is like a missing one."""
    sid = await station_in_scope(principal, station_id)
    return await paginate(RemoteCommand.filter(station_id=sid), page, ["-created_at", "-id"])


async def note_progress(
    *, station_id: uuid.UUID, actions: tuple[str, ...], status: str, at: datetime
) -> RemoteCommand | None:
    """Reflect a later status report (firmware, diagnostics) on the newest accepted command
    of `actions` that caused it."""
    command = (
        await RemoteCommand.select_for_update()
        .filter(station_id=station_id, action__in=actions, state=CommandState.ACCEPTED)
        .order_by("-created_at")
        .first()
    )
    if command is not None:
        command.progress, command.progress_at = status[:32], at
        await command.save(update_fields=["progress", "progress_at"])
    return command


async def remote_start_of(
    *, station_id: uuid.UUID, connector_id: int, id_tag: str, at: datetime
) -> uuid.UUID | None:
    """The RemoteStartTransaction a StartTransaction answers: the newest one to this
    connector (or to any, when it named none) for this idTag, sent within the window and
    not yet linked to a session."""
    candidates = await RemoteCommand.filter(
        station_id=station_id,
        action="RemoteStartTransaction",
        state__in=(CommandState.SENT, CommandState.ACCEPTED),
        created_at__gte=at - REMOTE_START_WINDOW,
        started_sessions__id__isnull=True,
    ).order_by("-created_at")
    for command in candidates:
        named = command.payload.get("connectorId")
        same_tag = str(command.payload.get("idTag", "")).upper() == id_tag.upper()
        if same_tag and named in (None, connector_id):
            return command.id
    return None


async def configuration(
    *, principal: Principal, station_id: str | uuid.UUID, search: str | None, page: PageRequest
) -> Page[ConfigurationKey]:
    """The keys the station last reported (refresh configuration first), by key."""
    sid = await station_in_scope(principal, station_id)
    query = ConfigurationKey.filter(station_id=sid)
    if search and search.strip():
        query = query.filter(key__icontains=search.strip())
    return await paginate(query, page, ["key"])
