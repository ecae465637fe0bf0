"""Remote commands to stations, version-neutral: record one, hand it to a dispatcher (the
transport that reaches the station's websocket, on this node or another), store the outcome.

The command row is committed with its outcome even when the command failed: the payload
carries the user error instead of rolling the record back (the history must show it)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.expressions import Subquery

from domain.errors import DomainError, ErrorCode, NotFound
from domain.history.models import RecordOutcome
from domain.history.service import SYSTEM_ACTOR, record
from domain.ocpp.models import ChargingSession, CommandState, ConfigurationKey, RemoteCommand
from domain.operators.models import Operator
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import parse_id, visible_stations
from domain.stations.service import STATION_NOT_FOUND
from domain.users.models import Token
from domain.users.tokens import TOKEN_NOT_FOUND

OFFLINE = "Station is offline."
EXECUTION_FAILED = "Remote command execution failed."  # seed 003
CONFIGURATION_ERROR = "Charging point configuration error."  # seed 003
TIMED_OUT = "Station did not answer in time."
SESSION_NOT_FOUND = "Charging session does not exist."

# Answers meaning the station will do it (1.6 statuses; 2.0.1 uses the same words).
ACCEPTING = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired"})


class Delivery(StrEnum):
    ANSWERED = "answered"
    CALL_ERROR = "call_error"  # the station answered with an error
    OFFLINE = "offline"
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Reply:
    delivery: Delivery
    payload: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


# (station id, action, payload) -> how it went. The single entry point to a station.
Dispatch = Callable[[uuid.UUID, str, dict[str, Any]], Awaitable[Reply]]


@dataclass(frozen=True)
class Outcome:
    command: RemoteCommand
    error: DomainError | None = None


async def _station_id(principal: Principal, station_id: str | uuid.UUID) -> uuid.UUID:
    sid = parse_id(station_id)
    if sid is None or not await visible_stations(principal).filter(id=sid).exists():
        raise NotFound(STATION_NOT_FOUND, "stationId")
    return sid


def _state(reply: Reply) -> tuple[CommandState, str | None]:
    if reply.delivery == Delivery.OFFLINE:
        return CommandState.FAILED, OFFLINE
    if reply.delivery == Delivery.TIMEOUT:
        return CommandState.TIMED_OUT, TIMED_OUT
    if reply.delivery == Delivery.CALL_ERROR:
        return CommandState.FAILED, reply.error or EXECUTION_FAILED
    status = reply.payload.get("status")
    if status is None or status in ACCEPTING:  # GetConfiguration has no status
        return CommandState.ACCEPTED, None
    return CommandState.REJECTED, None


def _user_error(command: RemoteCommand, reply: Reply) -> DomainError | None:
    if reply.delivery == Delivery.OFFLINE:
        return DomainError(ErrorCode.INVALID_STATE, OFFLINE, "stationId")
    if reply.delivery == Delivery.TIMEOUT:
        return DomainError(ErrorCode.INVALID_STATE, TIMED_OUT, "stationId")
    if reply.delivery == Delivery.CALL_ERROR:
        return DomainError(ErrorCode.INVALID_STATE, EXECUTION_FAILED, "stationId")
    if command.state == CommandState.REJECTED and command.action == "ChangeConfiguration":
        return DomainError(ErrorCode.INVALID_STATE, CONFIGURATION_ERROR, "key")
    return None


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


async def run(
    *,
    principal: Principal,
    issued_by: str | None = None,
    station_id: str | uuid.UUID,
    action: str,
    payload: dict[str, Any],
    dispatch: Dispatch,
) -> Outcome:
    """Record the command QUEUED, dispatch it, store and return its final state.
    `issued_by` defaults to the principal's username (a schedule names itself)."""
    sid = await _station_id(principal, station_id)
    issued_by = issued_by or await _username(principal)
    command = await RemoteCommand.create(
        organisation_id=principal.organisation_id,
        station_id=sid,
        operator_id=principal.operator_id,
        issued_by=issued_by[:100],
        action=action,
        payload=payload,
    )
    command.state, command.sent_at = CommandState.SENT, datetime.now(UTC)
    await command.save(update_fields=["state", "sent_at"])
    reply = await dispatch(sid, action, payload)
    command.state, error = _state(reply)
    command.error = error  # type: ignore[assignment]  # a nullable TextField
    command.response = reply.payload if reply.delivery == Delivery.ANSWERED else None
    command.completed_at = datetime.now(UTC)
    await command.save(update_fields=["state", "error", "response", "completed_at"])
    if action == "GetConfiguration" and command.state == CommandState.ACCEPTED:
        await store_configuration(sid, list(reply.payload.get("configurationKey") or []))
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


async def list_commands(
    *, principal: Principal, station_id: str | uuid.UUID, page: PageRequest
) -> Page[RemoteCommand]:
    """A station's commands, newest first; a station out of scope is like a missing one."""
    sid = await _station_id(principal, station_id)
    return await paginate(RemoteCommand.filter(station_id=sid), page, ["-created_at", "-id"])


async def remote_start(
    *,
    principal: Principal,
    station_id: str | uuid.UUID,
    connector_id: int,
    token_uid: str,
    dispatch: Dispatch,
) -> Outcome:
    """RemoteStartTransaction with a live token of the organisation (not confined to a
    subtree: a driver may charge anywhere in the organisation)."""
    sid = await _station_id(principal, station_id)
    uids = await Token.filter(
        organisation_id=principal.organisation_id,
        uid_key=token_uid.strip().upper(),
        deleted_at=None,
    ).values_list("uid", flat=True)
    if not uids:
        raise NotFound(TOKEN_NOT_FOUND, "tokenUid")
    payload = {"connectorId": connector_id, "idTag": str(uids[0])}
    return await run(
        principal=principal,
        station_id=sid,
        action="RemoteStartTransaction",
        payload=payload,
        dispatch=dispatch,
    )


async def remote_stop(
    *,
    principal: Principal,
    session_id: str | None,
    transaction_id: int | None,
    dispatch: Dispatch,
) -> Outcome:
    """RemoteStopTransaction of a session (by id or transaction id) at a station in scope."""
    field_name = "sessionId" if session_id is not None else "transactionId"
    query = ChargingSession.filter(
        station_id__in=Subquery(visible_stations(principal).values("id"))
    )
    if session_id is not None:
        query = query.filter(id=parse_id(session_id) or uuid.UUID(int=0))
    elif transaction_id is not None:
        query = query.filter(transaction_id=transaction_id)
    else:
        raise NotFound(SESSION_NOT_FOUND, field_name)
    session = await query.first()
    if session is None:
        raise NotFound(SESSION_NOT_FOUND, field_name)
    return await run(
        principal=principal,
        station_id=str(session.station_id),
        action="RemoteStopTransaction",
        payload={"transactionId": int(session.transaction_id)},
        dispatch=dispatch,
    )
