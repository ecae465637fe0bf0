"""The remote commands of seed 003 (and the ones OCPP 1.6 adds), each checked before
anything is recorded or sent: bad input changes nothing. All run through `commands.run`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from tortoise.expressions import Subquery

from domain.charging.models import ChargingSession, SessionState
from domain.commands import local_list
from domain.commands.models import ConfigurationKey, RemoteCommand
from domain.commands.service import (
    CONFIGURATION_ERROR,
    Dispatch,
    Outcome,
    Reply,
    run,
    station_in_scope,
)
from domain.errors import (
    AMPS_NOT_A_NUMBER,
    AMPS_RANGE,
    CONNECTOR_RANGE,
    KEY_RULE,
    LIST_TOO_LONG,
    LOCATION_RULE,
    POINT_NOT_FOUND,
    RETRIES_RANGE,
    RETRY_INTERVAL_RANGE,
    SESSION_ENDED,
    SESSION_NOT_FOUND,
    STOP_BEFORE_START,
    VALUE_RULE,
    DomainError,
    ErrorCode,
    NotFound,
)
from domain.principal import Principal
from domain.scope import parse_id, visible_stations
from domain.stations.models import ChargingPoint, ChargingStation
from domain.users.tokens import TOKEN_NOT_FOUND, visible_tokens

KEY_MAX, VALUE_MAX = 50, 500  # OCPP 1.6 CiString50 and CiString500
MAX_PROFILE_ID = 1  # the one ChargePointMaxProfile evcms keeps on a station
URL_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp"})
TRIGGERS = frozenset(
    {
        "BootNotification",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StatusNotification",
    }
)


@dataclass(frozen=True)
class Target:
    """Who asks, which station, and the transport: what every command needs."""

    principal: Principal
    station_id: str | uuid.UUID
    dispatch: Dispatch


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field)


async def _connector(
    t: Target, number: int | None, *, zero: bool, field: str = "connectorId"
) -> uuid.UUID:
    """The station in scope, and a connector it has: 0 (the whole station) where `zero`;
    a configured charging point, or any positive number on a station with none set up."""
    sid = await station_in_scope(t.principal, t.station_id)
    if number is None or (zero and number == 0):
        return sid
    if number < 1 or number > 100:
        raise _invalid(CONNECTOR_RANGE, field)
    numbers = await ChargingPoint.filter(station_id=sid).values_list("number", flat=True)
    if numbers and number not in numbers:
        raise NotFound(POINT_NOT_FOUND, field)
    return sid


async def _run(t: Target, action: str, payload: dict[str, Any], **kwargs: Any) -> Outcome:
    return await run(
        principal=t.principal,
        station_id=t.station_id,
        action=action,
        payload=payload,
        dispatch=t.dispatch,
        **kwargs,
    )


async def unlock(t: Target, *, connector_id: int) -> Outcome:
    await _connector(t, connector_id, zero=False)
    return await _run(t, "UnlockConnector", {"connectorId": connector_id})


async def clear_cache(t: Target) -> Outcome:
    return await _run(t, "ClearCache", {})


async def reset(t: Target, *, hard: bool) -> Outcome:
    return await _run(t, "Reset", {"type": "Hard" if hard else "Soft"})


async def set_availability(t: Target, *, available: bool, connector_id: int = 0) -> Outcome:
    await _connector(t, connector_id, zero=True)
    kind = "Operative" if available else "Inoperative"
    return await _run(t, "ChangeAvailability", {"connectorId": connector_id, "type": kind})


async def refresh_configuration(t: Target) -> Outcome:
    return await _run(t, "GetConfiguration", {})


async def change_configuration(t: Target, *, key: str, value: str) -> Outcome:
    sid = await station_in_scope(t.principal, t.station_id)
    key = key.strip()
    if not key or len(key) > KEY_MAX:
        raise _invalid(KEY_RULE, "key")
    if len(value) > VALUE_MAX:
        raise _invalid(VALUE_RULE, "value")
    if await ConfigurationKey.exists(station_id=sid, key=key, readonly=True):
        raise DomainError(ErrorCode.INVALID_INPUT, CONFIGURATION_ERROR, "key")

    async def store(command: RemoteCommand, reply: Reply) -> None:
        if reply.payload.get("status") in ("Accepted", "RebootRequired"):
            await ConfigurationKey.update_or_create(
                defaults={"value": value}, station_id=sid, key=key
            )

    return await _run(t, "ChangeConfiguration", {"key": key, "value": value}, on_answer=store)


async def trigger(t: Target, *, message: str, connector_id: int | None = None) -> Outcome:
    if message not in TRIGGERS:
        raise _invalid(f"{message} cannot be triggered.", "requestedMessage")
    await _connector(t, connector_id, zero=True)
    payload: dict[str, Any] = {"requestedMessage": message}
    if connector_id is not None:
        payload["connectorId"] = connector_id
    return await _run(t, "TriggerMessage", payload)


async def boot_if_online(t: Target) -> Outcome | None:
    """After adoption: ask a connected station to boot again, so it hears it is Accepted
    now (it was told Pending); nothing for a station that is offline."""
    sid = await station_in_scope(t.principal, t.station_id)
    if not await ChargingStation.filter(id=sid, connected_node__isnull=False).exists():
        return None
    return await trigger(t, message="BootNotification")


async def remote_start(t: Target, *, connector_id: int | None, token_uid: str) -> Outcome:
    """RemoteStartTransaction with a live token of a driver the operator sees (a token
    outside the operator's subtree is unknown, as everywhere an operator looks one up)."""
    await _connector(t, connector_id, zero=False)
    uids = await (
        visible_tokens(t.principal)
        .filter(uid_key=token_uid.strip().upper())
        .values_list("uid", flat=True)
    )
    if not uids or len(str(uids[0])) > local_list.ID_TAG_MAX:
        raise NotFound(TOKEN_NOT_FOUND, "tokenUid")
    payload: dict[str, Any] = {"idTag": str(uids[0])}
    if connector_id is not None:
        payload = {"connectorId": connector_id, **payload}
    return await _run(t, "RemoteStartTransaction", payload)


async def remote_stop(
    *,
    principal: Principal,
    session_id: str | None,
    transaction_id: int | None,
    dispatch: Dispatch,
) -> Outcome:
    """RemoteStopTransaction of an active session (by id or transaction id) in scope."""
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
    if session.state != SessionState.ACTIVE:
        raise DomainError(ErrorCode.INVALID_STATE, SESSION_ENDED, field_name)
    t = Target(principal, str(session.station_id), dispatch)
    return await _run(t, "RemoteStopTransaction", {"transactionId": int(session.transaction_id)})


def _location(url: str, field: str = "location") -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in URL_SCHEMES or not parts.netloc or len(url) > 512:
        raise _invalid(LOCATION_RULE, field)
    return url


def _retries(retries: int | None, interval: int | None) -> dict[str, int]:
    out = {}
    if retries is not None:
        if not 0 <= retries <= 100:
            raise _invalid(RETRIES_RANGE, "retries")
        out["retries"] = retries
    if interval is not None:
        if not 0 <= interval <= 86_400:
            raise _invalid(RETRY_INTERVAL_RANGE, "retryInterval")
        out["retryInterval"] = interval
    return out


async def update_firmware(
    t: Target,
    *,
    location: str,
    retrieve_at: datetime | None,
    retries: int | None = None,
    retry_interval: int | None = None,
) -> Outcome:
    at = retrieve_at or datetime.now(UTC)
    payload = {"location": _location(location), "retrieveDate": local_list.wire_time(at)}
    return await _run(t, "UpdateFirmware", {**payload, **_retries(retries, retry_interval)})


async def get_diagnostics(
    t: Target,
    *,
    location: str,
    retries: int | None = None,
    retry_interval: int | None = None,
    start: datetime | None = None,
    stop: datetime | None = None,
) -> Outcome:
    if start and stop and stop < start:
        raise _invalid(STOP_BEFORE_START, "stopTime")
    payload: dict[str, Any] = {"location": _location(location)}
    payload.update(_retries(retries, retry_interval))
    if start:
        payload["startTime"] = local_list.wire_time(start)
    if stop:
        payload["stopTime"] = local_list.wire_time(stop)
    return await _run(t, "GetDiagnostics", payload)


def _amps(value: Decimal) -> float:
    try:
        amps = Decimal(value)
    except (InvalidOperation, TypeError):
        raise _invalid(AMPS_NOT_A_NUMBER, "amps") from None
    if not amps.is_finite() or amps <= 0 or amps > 1000 or amps != round(amps, 1):
        raise _invalid(AMPS_RANGE, "amps")
    return float(amps)


async def set_max_current(t: Target, *, amps: Decimal) -> Outcome:
    """SetChargingProfile ChargePointMaxProfile: a limit for the whole station from now."""
    profile = {
        "chargingProfileId": MAX_PROFILE_ID,
        "stackLevel": 0,
        "chargingProfilePurpose": "ChargePointMaxProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "startSchedule": local_list.wire_time(datetime.now(UTC)),
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": _amps(amps)}],
        },
    }
    return await _run(t, "SetChargingProfile", {"connectorId": 0, "csChargingProfiles": profile})


async def clear_max_current(t: Target) -> Outcome:
    payload = {"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}
    return await _run(t, "ClearChargingProfile", payload)


async def send_local_list(t: Target, *, full: bool) -> Outcome:
    """SendLocalList from the station's access rights: Full, or only the differences from
    the list it accepted last. On Accepted the station's list and version are remembered."""
    sid = await station_in_scope(t.principal, t.station_id)
    station = await ChargingStation.get(id=sid)
    target = await local_list.wanted(station, datetime.now(UTC))
    current = {} if full else await local_list.held(sid)
    entries = (
        [e.as_wire() for e in target.values()] if full else local_list.differential(current, target)
    )
    await _check_list_length(sid, len(entries))
    version = station.local_list_version + 1
    payload = {
        "listVersion": version,
        "updateType": "Full" if full else "Differential",
        "localAuthorizationList": entries,
    }

    async def remember(command: RemoteCommand, reply: Reply) -> None:
        if reply.payload.get("status") == "Accepted":
            await local_list.replace_held(sid, target)
            await ChargingStation.filter(id=sid).update(local_list_version=version)

    return await _run(t, "SendLocalList", payload, on_answer=remember)


async def _check_list_length(station_id: uuid.UUID, length: int) -> None:
    """Refuse a list longer than the station says it takes in one message (when known)."""
    known = await ConfigurationKey.filter(
        station_id=station_id, key="SendLocalListMaxLength"
    ).values_list("value", flat=True)
    limit = str(known[0]) if known else ""
    if limit.isdigit() and length > int(limit):
        message = LIST_TOO_LONG.format(length=length, limit=limit)
        raise DomainError(ErrorCode.INVALID_STATE, message, "stationId")


async def get_local_list_version(t: Target) -> Outcome:
    """GetLocalListVersion; a version other than ours means our copy of the station's list
    is stale, so it is forgotten (the next differential update sends everything)."""
    sid = await station_in_scope(t.principal, t.station_id)

    async def reconcile(command: RemoteCommand, reply: Reply) -> None:
        reported = reply.payload.get("listVersion")
        station = await ChargingStation.get(id=sid)
        if isinstance(reported, int) and reported != station.local_list_version:
            await local_list.replace_held(sid, {})
            station.local_list_version = max(reported, 0)
            await station.save(update_fields=["local_list_version"])

    return await _run(t, "GetLocalListVersion", {}, on_answer=reconcile)
