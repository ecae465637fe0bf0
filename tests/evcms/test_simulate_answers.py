"""Every answer a simulated station gives, accepting or refusing, and every message it sends
afterwards, conforms to the OCPP 1.6 schemas (the ones the server validates with)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest

from evcms.simulate import answers
from evcms.simulate.answers import CallError
from evcms.simulate.station import SimulatedStation, StationSettings
from ocpp_ws.validation import validate

PROFILE = {
    "chargingProfileId": 3, "stackLevel": 0, "chargingProfilePurpose": "ChargePointMaxProfile",
    "chargingProfileKind": "Absolute",
    "chargingSchedule": {"chargingRateUnit": "A",
                         "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]},
}  # fmt: skip
REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("Reset", {"type": "Soft"}),
    ("UnlockConnector", {"connectorId": 1}),
    ("ClearCache", {}),
    ("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}),
    ("GetConfiguration", {}),
    ("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]}),
    ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}),
    ("ChangeConfiguration", {"key": "NoSuchKey", "value": "1"}),
    ("TriggerMessage", {"requestedMessage": "BootNotification"}),
    ("TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 2}),
    ("TriggerMessage", {"requestedMessage": "MeterValues", "connectorId": 1}),
    ("TriggerMessage", {"requestedMessage": "FirmwareStatusNotification"}),
    ("TriggerMessage", {"requestedMessage": "DiagnosticsStatusNotification"}),
    ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
    ("RemoteStartTransaction", {"connectorId": 2, "idTag": "REMOTE-1"}),
    ("RemoteStopTransaction", {"transactionId": 41}),
    ("UpdateFirmware", {"location": "https://fw.example/2.bin",
                        "retrieveDate": "2030-01-01T00:00:00Z"}),
    ("GetDiagnostics", {"location": "ftp://diag.example/"}),
    ("SetChargingProfile", {"connectorId": 0, "csChargingProfiles": PROFILE}),
    ("ClearChargingProfile", {"id": 3}),
    ("SendLocalList", {"listVersion": 2, "updateType": "Full",
                       "localAuthorizationList": [{"idTag": "A1",
                                                   "idTagInfo": {"status": "Accepted"}}]}),
    ("GetLocalListVersion", {}),
    ("DataTransfer", {"vendorId": "com.example", "messageId": "hello", "data": "x"}),
    ("ReserveNow", {"connectorId": 1, "expiryDate": "2030-01-01T00:00:00Z", "idTag": "A1",
                    "reservationId": 5}),
    ("CancelReservation", {"reservationId": 5}),
]  # fmt: skip
CANNED = {
    "BootNotification": {"status": "Accepted", "currentTime": "2030-01-01T00:00:00Z",
                         "interval": 300},
    "Heartbeat": {"currentTime": "2030-01-01T00:00:00Z"},
    "Authorize": {"idTagInfo": {"status": "Accepted"}},
    "StartTransaction": {"transactionId": 77, "idTagInfo": {"status": "Accepted"}},
    "StopTransaction": {"idTagInfo": {"status": "Accepted"}},
}  # fmt: skip


class OfflineStation(SimulatedStation):
    """A simulated station whose CALLs are checked against their schema and answered here."""

    def __init__(self, **settings: Any) -> None:
        quick = {"session_seconds": 0.05, "meter_interval": 0.01, **settings}
        super().__init__("SIM-T", "ws://unused/ocpp/t", None, StationSettings(**quick))
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        validate("1.6", action, payload)
        self.sent.append((action, payload))
        return dict(CANNED.get(action, {}))


async def answer_and_follow(station: OfflineStation, action: str, payload: dict[str, Any]) -> Any:
    validate("1.6", action, payload)
    try:
        response, then = answers.answer(station, action, payload)
    except CallError as error:
        assert error.code == "NotSupported"
        return error
    validate("1.6", action, response, response=True)
    if then is not None:
        await asyncio.wait_for(then(), 5)
    return response


@pytest.mark.parametrize("refuse", [False, True], ids=["accepting", "refusing"])
@pytest.mark.parametrize(("action", "payload"), REQUESTS, ids=[r[0] for r in REQUESTS])
async def test_answers_and_follow_ups_conform(action, payload, refuse):  # type: ignore[no-untyped-def]
    station = OfflineStation(step_seconds=0, refuse=frozenset({"*"} if refuse else ()))
    await station.start_transaction(1)  # so that RemoteStop and SetChargingProfile apply
    station.connectors[1].transaction_id = 41
    station.sent.clear()
    await answer_and_follow(station, action, payload)
    if refuse:
        refused_follow_ups = {"UpdateFirmware": ["Downloading", "DownloadFailed"]}
        statuses = [p.get("status") for _, p in station.sent]
        assert statuses == refused_follow_ups.get(action, [])


async def test_accepted_commands_take_effect() -> None:
    station = OfflineStation(step_seconds=0, connectors=2)
    await answer_and_follow(station, "RemoteStartTransaction", {"connectorId": 2, "idTag": "R"})
    actions = [a for a, _ in station.sent]
    assert actions[:3] == ["StatusNotification", "StartTransaction", "StatusNotification"]
    assert station.sent[1][1]["idTag"] == "R" and "Authorize" not in actions
    assert station.sent[-1][1]["status"] == "Available"  # the session ran and ended
    await answer_and_follow(station, "UpdateFirmware", REQUESTS[16][1])
    assert [p["status"] for a, p in station.sent if a == "FirmwareStatusNotification"] == [
        "Downloading", "Downloaded", "Installing", "Installed",
    ]  # fmt: skip
    await answer_and_follow(station, "SetChargingProfile", REQUESTS[18][1])
    assert station.connectors[1].limit_w == pytest.approx(10 * 230 * 3)
    await answer_and_follow(station, "ClearChargingProfile", {"id": 3})
    assert station.connectors[1].limit_w is None
    await answer_and_follow(station, "SendLocalList", REQUESTS[20][1])
    assert await answer_and_follow(station, "GetLocalListVersion", {}) == {"listVersion": 2}
    stale = {"listVersion": 2, "updateType": "Differential"}
    assert await answer_and_follow(station, "SendLocalList", stale) == {"status": "VersionMismatch"}
    await answer_and_follow(station, "ChangeConfiguration", REQUESTS[6][1])
    assert station.meter_interval == 30.0
    assert await answer_and_follow(station, "GetConfiguration", {"key": ["NoSuchKey"]}) == {
        "configurationKey": [],
        "unknownKey": ["NoSuchKey"],
    }


async def test_unknown_actions_get_the_spec_error_codes() -> None:
    station = OfflineStation()
    with pytest.raises(CallError) as unknown:
        answers.answer(station, "MakeCoffee", {})
    with pytest.raises(CallError) as unhandled:
        answers.answer(station, "GetCompositeSchedule", {"connectorId": 1, "duration": 60})
    assert (unknown.value.code, unhandled.value.code) == ("NotImplemented", "NotSupported")


async def test_meter_values_are_realistic() -> None:
    station = OfflineStation(connectors=1, max_power_w=11_000)
    await station.start_transaction(1)
    readings = []
    for _ in range(5):
        await station.send_meter_values(1, seconds=360.0)  # six minutes each
        readings.append({v["measurand"]: float(v["value"]) for v in station.sent[-1][1]
                         ["meterValue"][0]["sampledValue"]})  # fmt: skip
    energy = [r["Energy.Active.Import.Register"] for r in readings]
    assert all(b - a == pytest.approx(1_100, rel=0.05) for a, b in itertools.pairwise(energy))
    for r in readings:
        assert 215 < r["Voltage"] < 245 and 10_000 < r["Power.Active.Import"] <= 11_000
        assert r["Current.Import"] == pytest.approx(r["Power.Active.Import"] / 3 / r["Voltage"],
                                                    rel=0.01)  # fmt: skip
    assert [r["SoC"] for r in readings] == sorted(r["SoC"] for r in readings)
