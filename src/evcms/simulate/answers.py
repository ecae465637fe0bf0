"""How a simulated station answers the central system's CALLs: at once, accepting by
default (or refusing the actions in `StationSettings.refuse`), and then doing what was asked
in a task of its own (the requested message, the remote start, the firmware steps).

Each handler returns (answer payload, follow-up coroutine function or None). A refusal is
the answer's own refusing status; where the answer has none (GetConfiguration,
GetLocalListVersion) it is a CALLERROR NotSupported, and UpdateFirmware and GetDiagnostics
refuse the way OCPP 1.6 says: DownloadFailed, no diagnostics file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from evcms.simulate.client import CallError

if TYPE_CHECKING:
    from evcms.simulate.station import SimulatedStation as Station
    from evcms.simulate.station import StationSettings

Payload = dict[str, Any]
Then = Callable[[], Awaitable[Any]] | None
Answer = tuple[Payload, Then]
Handler = Callable[["Station", Payload, bool], Answer]

# Every CALL a 1.6 central system may send; those without a handler get NotSupported.
CENTRAL_SYSTEM_ACTIONS = frozenset(
    {
        "CancelReservation", "ChangeAvailability", "ChangeConfiguration", "ClearCache",
        "ClearChargingProfile", "DataTransfer", "GetCompositeSchedule", "GetConfiguration",
        "GetDiagnostics", "GetLocalListVersion", "RemoteStartTransaction",
        "RemoteStopTransaction", "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile",
        "TriggerMessage", "UnlockConnector", "UpdateFirmware",
    }
)  # fmt: skip
INTEGER_KEYS = frozenset(
    {
        "ClockAlignedDataInterval", "ConnectionTimeOut", "HeartbeatInterval",
        "MeterValueSampleInterval", "ResetRetries", "TransactionMessageAttempts",
        "TransactionMessageRetryInterval", "WebSocketPingInterval",
    }
)  # fmt: skip
SAMPLED = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"
PROFILES = "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger"


def default_configuration(settings: StationSettings) -> dict[str, tuple[bool, str]]:
    """The OCPP 1.6 configuration keys of a typical AC station: key -> (readonly, value)."""
    connectors = settings.connectors
    return {
        "AllowOfflineTxForUnknownId": (False, "false"),
        "AuthorizationCacheEnabled": (False, "true"),
        "AuthorizeRemoteTxRequests": (False, "false"),
        "ChargeProfileMaxStackLevel": (True, "8"),
        "ChargingScheduleAllowedChargingRateUnit": (True, "Current,Power"),
        "ChargingScheduleMaxPeriods": (True, "24"),
        "ClockAlignedDataInterval": (False, "0"),
        "ConnectionTimeOut": (False, "60"),
        "ConnectorPhaseRotation": (False, ",".join(f"{n}.RST" for n in range(connectors + 1))),
        "GetConfigurationMaxKeys": (True, "50"),
        "HeartbeatInterval": (False, str(int(settings.heartbeat_interval or 300))),
        "LocalAuthListEnabled": (False, "true"),
        "LocalAuthListMaxLength": (True, "100"),
        "LocalAuthorizeOffline": (False, "true"),
        "LocalPreAuthorize": (False, "false"),
        "MaxChargingProfilesInstalled": (True, "8"),
        "MeterValuesAlignedData": (False, "Energy.Active.Import.Register"),
        "MeterValuesSampledData": (False, SAMPLED),
        "MeterValueSampleInterval": (False, str(max(1, round(settings.meter_interval)))),
        "NumberOfConnectors": (True, str(connectors)),
        "ResetRetries": (False, "3"),
        "SendLocalListMaxLength": (True, "100"),
        "StopTransactionOnEVSideDisconnect": (False, "true"),
        "StopTransactionOnInvalidId": (False, "true"),
        "StopTxnAlignedData": (False, ""),
        "StopTxnSampledData": (False, "Energy.Active.Import.Register"),
        "SupportedFeatureProfiles": (True, PROFILES),
        "TransactionMessageAttempts": (False, "3"),
        "TransactionMessageRetryInterval": (False, "60"),
        "UnlockConnectorOnEVSideDisconnect": (False, "true"),
        "WebSocketPingInterval": (False, "0"),
    }


def answer(station: Station, action: str, payload: dict[str, Any]) -> Answer:
    """The answer to one CALL, and what to do once it is sent."""
    handler = HANDLERS.get(action)
    if handler is None:
        code = "NotSupported" if action in CENTRAL_SYSTEM_ACTIONS else "NotImplemented"
        raise CallError(code, f"{action} is not handled by the simulator")
    return handler(station, payload, station.settings.refuses(action))


def _status(accepted: bool, refusal: str = "Rejected") -> dict[str, Any]:
    return {"status": "Accepted" if accepted else refusal}


def reset(station: Station, payload: Payload, refuse: bool) -> Answer:
    if refuse:
        return _status(False), None
    kind = str(payload["type"])

    async def reboot() -> None:
        # A device takes a moment before it restarts (and the answer reaches the server).
        await asyncio.sleep(station.settings.step_seconds)
        station.reboot(kind)

    return _status(True), reboot


def unlock_connector(station: Station, payload: Payload, refuse: bool) -> Answer:
    connector = station.connectors.get(payload["connectorId"])
    if connector is None:
        return {"status": "NotSupported"}, None
    if refuse:
        return {"status": "UnlockFailed"}, None
    if connector.transaction_id is not None:
        connector.interrupt("UnlockCommand")
    return {"status": "Unlocked"}, None


def clear_cache(station: Station, payload: Payload, refuse: bool) -> Answer:
    return _status(not refuse), None


def change_availability(station: Station, payload: Payload, refuse: bool) -> Answer:
    number, operative = payload["connectorId"], payload["type"] == "Operative"
    targets = list(station.connectors) if number == 0 else [number]
    if refuse or any(n not in station.connectors for n in targets):
        return _status(False), None
    if not operative and any(station.connectors[n].transaction_id for n in targets):
        return {"status": "Scheduled"}, None  # after the running transaction
    status = "Available" if operative else "Unavailable"

    async def report() -> None:
        if number == 0:
            await station.send_status(0, status)
        for n in targets:
            await station.send_status(n, status)

    return _status(True), report


def get_configuration(station: Station, payload: Payload, refuse: bool) -> Answer:
    if refuse:
        raise CallError("NotSupported", "GetConfiguration refused by the simulator")
    wanted = payload.get("key") or list(station.configuration)
    config = station.configuration
    known = [
        {"key": key, "readonly": config[key][0], "value": config[key][1]}
        for key in wanted
        if key in config
    ]
    unknown = [key for key in wanted if key not in config]
    return {"configurationKey": known, **({"unknownKey": unknown} if unknown else {})}, None


def change_configuration(station: Station, payload: Payload, refuse: bool) -> Answer:
    key, value = payload["key"], payload["value"]
    if key not in station.configuration:
        return {"status": "NotSupported"}, None
    readonly, _ = station.configuration[key]
    if refuse or readonly or (key in INTEGER_KEYS and not value.isdigit()):
        return _status(False), None
    station.configuration[key] = (False, value)
    if key == "HeartbeatInterval" and int(value) > 0:
        station.heartbeat_interval = float(value)
    if key == "MeterValueSampleInterval" and int(value) > 0:
        station.meter_interval = float(value)
    return _status(True), None


def trigger_message(station: Station, payload: Payload, refuse: bool) -> Answer:
    requested, number = payload["requestedMessage"], payload.get("connectorId")
    if refuse or (number not in (None, 0) and number not in station.connectors):
        return _status(False), None
    numbers = list(station.connectors) if number in (None, 0) else [number]
    senders: dict[str, Callable[[], Awaitable[Any]]] = {
        "BootNotification": station.boot,
        "Heartbeat": station.heartbeat,
        "FirmwareStatusNotification": lambda: station.send_firmware_status(station.firmware),
        "DiagnosticsStatusNotification": lambda: station.send_diagnostics_status(
            station.diagnostics
        ),
        "StatusNotification": lambda: (
            _each(numbers, station.send_status)
            if number is not None
            else station.send_all_statuses()
        ),
        "MeterValues": lambda: _each(numbers, lambda n: station.send_meter_values(n, 0.0)),
    }
    sender = senders.get(requested)
    if sender is None:
        return {"status": "NotImplemented"}, None
    return _status(True), sender


async def _each(numbers: list[int], send: Callable[[int], Awaitable[Any]]) -> None:
    for n in numbers:
        await send(n)


def remote_start(station: Station, payload: Payload, refuse: bool) -> Answer:
    number = payload.get("connectorId")
    free = [n for n, c in station.connectors.items() if not c.busy and c.available]
    if number is None and free:
        number = free[0]
    if refuse or number not in free:
        return _status(False), None
    station.connectors[number].busy = True  # a second RemoteStart now finds it taken
    profile = payload.get("chargingProfile")
    if profile:
        station.connectors[number].limit_w = _limit_w(profile)
    id_tag = str(payload["idTag"])
    return _status(True), lambda: station.charge(number, id_tag=id_tag, remote=True)


def remote_stop(station: Station, payload: Payload, refuse: bool) -> Answer:
    for connector in station.connectors.values():
        if connector.transaction_id == payload["transactionId"] and not refuse:
            connector.interrupt("Remote")
            return _status(True), None
    return _status(False), None


def update_firmware(station: Station, payload: Payload, refuse: bool) -> Answer:
    steps = ["Downloading", "DownloadFailed"] if refuse else [
        "Downloading", "Downloaded", "Installing", "Installed",
    ]  # fmt: skip
    return {}, lambda: _report_steps(station, steps, station.send_firmware_status, "firmware")


def get_diagnostics(station: Station, payload: Payload, refuse: bool) -> Answer:
    if refuse:
        return {}, None  # no diagnostics file: nothing will be uploaded
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    answer = {"fileName": f"diagnostics-{station.identifier}-{stamp}.log"[:255]}
    steps = ["Uploading", "Uploaded"]
    return answer, lambda: _report_steps(station, steps, station.send_diagnostics_status, "diag")


async def _report_steps(
    station: Station, steps: list[str], send: Callable[[str], Awaitable[Any]], what: str
) -> None:
    for step in steps:
        await asyncio.sleep(station.settings.step_seconds)
        if what == "firmware":
            station.firmware = step
        else:
            station.diagnostics = step
        await send(step)


def _limit_w(profile: dict[str, Any]) -> float | None:
    """The first period's limit of a charging profile, in watts."""
    schedule = profile.get("chargingSchedule") or {}
    periods = schedule.get("chargingSchedulePeriod") or []
    if not periods:
        return None
    limit, phases = float(periods[0]["limit"]), int(periods[0].get("numberPhases") or 3)
    return limit if schedule.get("chargingRateUnit") == "W" else limit * 230.0 * phases


def set_charging_profile(station: Station, payload: Payload, refuse: bool) -> Answer:
    number, profile = payload["connectorId"], payload["csChargingProfiles"]
    targets = list(station.connectors) if number == 0 else [number]
    if refuse or any(n not in station.connectors for n in targets):
        return _status(False), None
    if profile["chargingProfilePurpose"] == "TxProfile" and not any(
        station.connectors[n].transaction_id for n in targets
    ):
        return _status(False), None  # OCPP 1.6: a TxProfile needs a running transaction
    station.profiles[int(profile["chargingProfileId"])] = (number, profile)
    _apply_profiles(station)
    return _status(True), None


def clear_charging_profile(station: Station, payload: Payload, refuse: bool) -> Answer:
    def matches(number: int, profile: dict[str, Any]) -> bool:
        checks = [
            ("id", profile["chargingProfileId"]),
            ("connectorId", number),
            ("chargingProfilePurpose", profile["chargingProfilePurpose"]),
            ("stackLevel", profile["stackLevel"]),
        ]
        return all(payload.get(k) is None or payload[k] == v for k, v in checks)

    gone = [pid for pid, (n, p) in station.profiles.items() if matches(n, p)]
    if refuse or not gone:
        return {"status": "Unknown"}, None
    for pid in gone:
        del station.profiles[pid]
    _apply_profiles(station)
    return _status(True), None


def _apply_profiles(station: Station) -> None:
    """Each connector draws at most the lowest limit of the profiles that apply to it."""
    for number, connector in station.connectors.items():
        limits = [
            limit
            for target, profile in station.profiles.values()
            if target in (0, number) and (limit := _limit_w(profile)) is not None
        ]
        connector.limit_w = min(limits) if limits else None


def send_local_list(station: Station, payload: Payload, refuse: bool) -> Answer:
    if refuse:
        return {"status": "Failed"}, None
    entries = {e["idTag"]: e.get("idTagInfo") for e in payload.get("localAuthorizationList", [])}
    if payload["updateType"] == "Full":
        station.local_list = {tag: info for tag, info in entries.items() if info}
    else:
        if payload["listVersion"] <= station.local_list_version:
            return {"status": "VersionMismatch"}, None
        for tag, info in entries.items():
            if info:
                station.local_list[tag] = info
            else:
                station.local_list.pop(tag, None)
    station.local_list_version = int(payload["listVersion"])
    return _status(True), None


def get_local_list_version(station: Station, payload: Payload, refuse: bool) -> Answer:
    if refuse:
        raise CallError("NotSupported", "GetLocalListVersion refused by the simulator")
    return {"listVersion": station.local_list_version}, None


def data_transfer(station: Station, payload: Payload, refuse: bool) -> Answer:
    return _status(not refuse), None


def reserve_now(station: Station, payload: Payload, refuse: bool) -> Answer:
    connector = station.connectors.get(payload["connectorId"])
    if refuse or connector is None:
        return _status(False), None
    if connector.busy or not connector.available:
        return {"status": "Occupied" if connector.available else "Unavailable"}, None
    station.reservations[int(payload["reservationId"])] = connector.number
    return _status(True), None


def cancel_reservation(station: Station, payload: Payload, refuse: bool) -> Answer:
    found = station.reservations.pop(int(payload["reservationId"]), None)
    return _status(found is not None and not refuse), None


HANDLERS: dict[str, Handler] = {
    "Reset": reset,
    "UnlockConnector": unlock_connector,
    "ClearCache": clear_cache,
    "ChangeAvailability": change_availability,
    "GetConfiguration": get_configuration,
    "ChangeConfiguration": change_configuration,
    "TriggerMessage": trigger_message,
    "RemoteStartTransaction": remote_start,
    "RemoteStopTransaction": remote_stop,
    "UpdateFirmware": update_firmware,
    "GetDiagnostics": get_diagnostics,
    "SetChargingProfile": set_charging_profile,
    "ClearChargingProfile": clear_charging_profile,
    "SendLocalList": send_local_list,
    "GetLocalListVersion": get_local_list_version,
    "DataTransfer": data_transfer,
    "ReserveNow": reserve_now,
    "CancelReservation": cancel_reservation,
}
