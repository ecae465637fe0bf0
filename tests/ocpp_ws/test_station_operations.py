"""Remote commands beyond the basic ones: diagnostics, maximum current, the local
authorization list, configuration, firmware progress; and what a station reports about
them afterwards. A real server, a real station client answering its CALLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.charging.models import ChargingSession
from domain.commands.models import ConfigurationKey, LocalListEntry, RemoteCommand
from domain.events.models import DataTransferRecord, StationEvent
from domain.groups.models import AccessPolicy
from domain.stations.models import ChargingStation
from domain.users.models import Token
from tests import factories
from tests.gqlclient import no_data
from tests.ocpp_ws.conftest import FIELDS, mutation

pytestmark = pytest.mark.usefixtures("short_timeout")


async def commands_and_keys() -> tuple[int, list[Any]]:
    keys = await ConfigurationKey.all().values_list("key", "value")
    return await RemoteCommand.all().count(), sorted(keys)


async def test_get_diagnostics_sends_location_and_window(as_basic, online, active):  # type: ignore[no-untyped-def]
    call = (
        'getDiagnostics(stationId: $id, location: "ftp://diag.example/up", retries: 2, '
        'retryInterval: 60, startTime: "2026-11-01T00:00:00Z", stopTime: "2026-11-02T00:00:00Z")'
    )
    async with online({"GetDiagnostics": {"fileName": "diag-1.zip"}}) as station:
        data = (await as_basic(mutation(call), id=str(active.id)))["result"]
    assert data["errors"] == []
    assert data["command"]["response"] == {"fileName": "diag-1.zip"}
    assert station.calls == [
        (
            "GetDiagnostics",
            {
                "location": "ftp://diag.example/up",
                "retries": 2,
                "retryInterval": 60,
                "startTime": "2026-11-01T00:00:00Z",
                "stopTime": "2026-11-02T00:00:00Z",
            },
        )
    ]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        ('getDiagnostics(stationId: $id, location: "not a url")', "location"),
        ('getDiagnostics(stationId: $id, location: "file:///etc/passwd")', "location"),
        ('getDiagnostics(stationId: $id, location: "ftp://x/y", retries: -1)', "retries"),
        (
            'getDiagnostics(stationId: $id, location: "ftp://x/y", '
            'startTime: "2026-11-02T00:00:00Z", stopTime: "2026-11-01T00:00:00Z")',
            "stopTime",
        ),
        ('updateFirmware(stationId: $id, location: "mailto:fw@example")', "location"),
        ("setMaxCurrent(stationId: $id, amps: -6)", "amps"),
        ("setMaxCurrent(stationId: $id, amps: 0)", "amps"),
        ("setMaxCurrent(stationId: $id, amps: 16.25)", "amps"),
        ("releaseCable(stationId: $id, connectorId: 0)", "connectorId"),
        ("releaseCable(stationId: $id, connectorId: 3)", "connectorId"),
        ("setAvailability(stationId: $id, available: true, connectorId: 7)", "connectorId"),
        ('changeConfiguration(stationId: $id, key: "", value: "1")', "key"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_sent(as_admin, online, active, call, field):  # type: ignore[no-untyped-def]
    before = await commands_and_keys()
    async with online() as station:
        data = (await as_admin(mutation(call), id=str(active.id)))["result"]
    assert data["command"] is None
    assert [e["field"] for e in data["errors"]] == [field]
    assert data["errors"][0]["code"] in ("INVALID_INPUT", "NOT_FOUND")
    assert station.calls == []
    assert await commands_and_keys() == before


async def test_max_current_is_a_charge_point_max_profile(as_admin, online, active):  # type: ignore[no-untyped-def]
    async with online() as station:
        call = mutation("setMaxCurrent(stationId: $id, amps: 16.5)")
        set_ = await as_admin(call, id=str(active.id))
        clear = await as_admin(mutation("clearMaxCurrent(stationId: $id)"), id=str(active.id))
    assert set_["result"]["errors"] == [] and clear["result"]["errors"] == []
    (action, payload), cleared = station.calls
    assert action == "SetChargingProfile"
    profile = payload["csChargingProfiles"]
    assert payload["connectorId"] == 0
    assert profile["chargingProfilePurpose"] == "ChargePointMaxProfile"
    assert profile["chargingSchedule"]["chargingRateUnit"] == "A"
    assert profile["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.5}
    ]
    assert cleared == (
        "ClearChargingProfile",
        {"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"},
    )


async def test_clear_with_no_profile_is_rejected(as_admin, online, active):  # type: ignore[no-untyped-def]
    async with online({"ClearChargingProfile": {"status": "Unknown"}}):
        data = await as_admin(mutation("clearMaxCurrent(stationId: $id)"), id=str(active.id))
    assert data["result"]["command"]["state"] == "REJECTED"
    assert data["result"]["errors"][0]["message"] == (
        "Charging station refused the command (Unknown)."
    )


async def test_configuration_refresh_then_change(as_admin, as_basic, online, active):  # type: ignore[no-untyped-def]
    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
    ]
    query = """query($id: ID!, $s: String) { stationConfiguration(stationId: $id, search: $s) {
        totalCount items { key value readonly } } }"""
    async with online({"GetConfiguration": {"configurationKey": keys}}) as station:
        await as_admin(mutation("refreshConfiguration(stationId: $id)"), id=str(active.id))
        readonly = await as_admin(
            mutation('changeConfiguration(stationId: $id, key: "NumberOfConnectors", value: "3")'),
            id=str(active.id),
        )
        changed = await as_admin(
            mutation('changeConfiguration(stationId: $id, key: "HeartbeatInterval", value: "60")'),
            id=str(active.id),
        )
    assert readonly["result"] == {
        "command": None,
        "errors": [
            {"code": "INVALID_INPUT", "field": "key",
             "message": "Charging point configuration error."}
        ],
    }  # fmt: skip
    assert changed["result"]["command"]["state"] == "ACCEPTED"
    assert [a for a, _ in station.calls] == ["GetConfiguration", "ChangeConfiguration"]
    listed = (await as_basic(query, id=str(active.id), s="heartbeat"))["stationConfiguration"]
    assert listed == {
        "totalCount": 1,
        "items": [{"key": "HeartbeatInterval", "value": "60", "readonly": False}],
    }
    everything = (await as_basic(query, id=str(active.id)))["stationConfiguration"]
    assert [i["key"] for i in everything["items"]] == ["HeartbeatInterval", "NumberOfConnectors"]


async def test_configuration_of_a_station_out_of_scope_is_like_a_missing_one(client, world, active):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    await ConfigurationKey.create(station_id=active.id, key="Secret", value="x")
    gamma = client.as_token(await login(client, "gamma"))
    body = await gamma.raw(
        "query($id: ID!) { stationConfiguration(stationId: $id) { totalCount } }",
        {"id": str(active.id)},
    )
    assert no_data(body)
    assert body["errors"][0]["message"] == "Charging station does not exist."


@pytest.fixture
async def drivers(world, active):  # type: ignore[no-untyped-def]
    """Access is restricted at g1; two drivers with a right on the station, one without."""
    await ChargingStation.filter(id=active.id).update(access_policy=AccessPolicy.RESTRICTED)
    group = await factories.user_group(world.g1)
    a = await factories.charging_user(world.g1, member_of=group)
    b = await factories.charging_user(world.g1)
    outsider = await factories.charging_user(world.g1)
    for user in (a, b):
        await factories.access_right(user, station=active)
    valid_to = datetime(2027, 1, 1, tzinfo=UTC)
    await factories.token(a, "AAAA0001", valid_to=valid_to)
    await factories.token(b, "BBBB0001", status="blocked")
    await factories.token(outsider, "CCCC0001")
    return {"a": a, "b": b, "group": group}


async def test_local_list_full_then_differential(as_admin, online, active, drivers):  # type: ignore[no-untyped-def]
    group_tag = drivers["group"].id.hex[:20]
    async with online() as station:
        full = await as_admin(mutation("sendLocalList(stationId: $id)"), id=str(active.id))
        # Nothing changed: an empty differential update with the next version.
        same = await as_admin(
            mutation("sendLocalList(stationId: $id, full: false)"), id=str(active.id)
        )
        await Token.filter(uid="BBBB0001").update(status="active")
        await Token.filter(uid="AAAA0001").update(deleted_at=datetime.now(UTC))
        diff = await as_admin(
            mutation("sendLocalList(stationId: $id, full: false)"), id=str(active.id)
        )
    assert [d["result"]["errors"] for d in (full, same, diff)] == [[], [], []]
    (_, first), (_, second), (_, third) = station.calls
    assert first == {
        "listVersion": 1,
        "updateType": "Full",
        "localAuthorizationList": [
            {
                "idTag": "AAAA0001",
                "idTagInfo": {
                    "status": "Accepted",
                    "expiryDate": "2027-01-01T00:00:00Z",
                    "parentIdTag": group_tag,
                },
            },
            {"idTag": "BBBB0001", "idTagInfo": {"status": "Blocked"}},
        ],
    }
    assert second == {"listVersion": 2, "updateType": "Differential", "localAuthorizationList": []}
    assert third == {
        "listVersion": 3,
        "updateType": "Differential",
        "localAuthorizationList": [
            {"idTag": "BBBB0001", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "AAAA0001"},
        ],
    }
    assert (await ChargingStation.get(id=active.id)).local_list_version == 3
    held = await LocalListEntry.filter(station_id=active.id).values_list("id_tag", "status")
    assert held == [("BBBB0001", "Accepted")]


async def test_refused_local_list_changes_nothing_we_remember(as_admin, online, active, drivers):  # type: ignore[no-untyped-def]
    async with online({"SendLocalList": {"status": "VersionMismatch"}}):
        data = await as_admin(
            mutation("sendLocalList(stationId: $id, full: false)"), id=str(active.id)
        )
    assert data["result"]["command"]["state"] == "REJECTED"
    assert data["result"]["errors"][0]["message"] == (
        "Charging station refused the command (VersionMismatch)."
    )
    assert (await ChargingStation.get(id=active.id)).local_list_version == 0
    assert await LocalListEntry.filter(station_id=active.id).count() == 0


async def test_local_list_too_long_for_the_station_is_refused(as_admin, online, active, drivers):  # type: ignore[no-untyped-def]
    await ConfigurationKey.create(station_id=active.id, key="SendLocalListMaxLength", value="1")
    async with online() as station:
        data = await as_admin(mutation("sendLocalList(stationId: $id)"), id=str(active.id))
    assert data["result"]["errors"] == [
        {
            "code": "INVALID_STATE",
            "field": "stationId",
            "message": "The list has 2 entries; the station takes at most 1.",
        }
    ]
    assert station.calls == [] and await RemoteCommand.all().count() == 0


async def test_another_list_version_forgets_our_copy(as_admin, online, active, drivers):  # type: ignore[no-untyped-def]
    async with online() as station:
        await as_admin(mutation("sendLocalList(stationId: $id)"), id=str(active.id))
        station.answers["GetLocalListVersion"] = {"listVersion": 7}
        data = await as_admin(mutation("getLocalListVersion(stationId: $id)"), id=str(active.id))
        await as_admin(mutation("sendLocalList(stationId: $id, full: false)"), id=str(active.id))
    assert data["result"]["command"]["response"] == {"listVersion": 7}
    # Our copy was forgotten: the differential update adds every entry again, as version 8.
    _, _, (_, resent) = station.calls
    assert resent["listVersion"] == 8
    assert [e["idTag"] for e in resent["localAuthorizationList"]] == ["AAAA0001", "BBBB0001"]


async def test_firmware_progress_shows_on_command_station_and_feed(as_admin, online, active):  # type: ignore[no-untyped-def]
    call = 'updateFirmware(stationId: $id, location: "https://fw.example/2.bin")'
    async with online({"UpdateFirmware": {}}) as station:
        data = await as_admin(mutation(call), id=str(active.id))
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            assert await station.result("FirmwareStatusNotification", {"status": status}) == {}
        assert await station.result("DiagnosticsStatusNotification", {"status": "Idle"}) == {}
    assert data["result"]["errors"] == []
    command = await RemoteCommand.get(station_id=active.id)
    assert (command.state, command.progress) == ("accepted", "Installed")
    row = await ChargingStation.get(id=active.id)
    assert (row.firmware_status, row.diagnostics_status) == ("Installed", "Idle")
    events = await StationEvent.filter(station_id=active.id).order_by("received_at")
    assert [(e.kind, e.connector_id, e.status) for e in events] == [
        ("firmware", 0, "Downloading"),
        ("firmware", 0, "Downloaded"),
        ("firmware", 0, "Installing"),
        ("firmware", 0, "Installed"),
        ("diagnostics", 0, "Idle"),
    ]


async def test_firmware_status_with_a_bad_value_is_refused_and_not_stored(online, active):  # type: ignore[no-untyped-def]
    async with online() as station:
        answer = await station.call("FirmwareStatusNotification", {"status": "Exploded"})
    assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation"
    assert await StationEvent.filter(station_id=active.id).count() == 0
    assert (await ChargingStation.get(id=active.id)).firmware_status == ""


async def test_data_transfer_is_recorded_and_answered_unknown_vendor(online, active):  # type: ignore[no-untyped-def]
    async with online() as station:
        answer = await station.result(
            "DataTransfer", {"vendorId": "com.example", "messageId": "temp", "data": "21.5"}
        )
        bare = await station.result("DataTransfer", {"vendorId": "com.other"})
    assert answer == {"status": "UnknownVendorId"} and bare == {"status": "UnknownVendorId"}
    rows = await DataTransferRecord.filter(station_id=active.id).order_by("received_at")
    assert [(r.vendor_id, r.message_id, r.data, r.status) for r in rows] == [
        ("com.example", "temp", "21.5", "UnknownVendorId"),
        ("com.other", None, None, "UnknownVendorId"),
    ]


async def test_remote_start_is_linked_to_the_session_it_started(as_admin, online, active):  # type: ignore[no-untyped-def]
    query = "mutation($id: ID!) { result: remoteStart(stationId: $id, connectorId: 2, "
    query += 'tokenUid: "04a1b2c3") '
    async with online() as station:
        data = await as_admin(query + FIELDS + " }", id=str(active.id))
        started = await station.result(
            "StartTransaction",
            {"connectorId": 2, "idTag": "04A1B2C3", "meterStart": 100,
             "timestamp": datetime.now(UTC).isoformat()},
        )  # fmt: skip
        # A later local start with the same tag is not the command's result.
        again = await station.result(
            "StartTransaction",
            {"connectorId": 1, "idTag": "04A1B2C3", "meterStart": 5,
             "timestamp": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()},
        )  # fmt: skip
    command = await RemoteCommand.get(station_id=active.id)
    assert data["result"]["command"]["payload"] == {"connectorId": 2, "idTag": "04A1B2C3"}
    linked = await ChargingSession.get(transaction_id=started["transactionId"])
    other = await ChargingSession.get(transaction_id=again["transactionId"])
    assert linked.remote_command_id == command.id
    assert other.remote_command_id is None


async def test_remote_stop_of_an_ended_session_is_refused(as_admin, online, world, active):  # type: ignore[no-untyped-def]
    session = await ChargingSession.create(
        organisation_id=world.org.id, station_id=active.id, connector_id=1,
        transaction_id=777, start_key="k-777", token_uid="04A1B2C3",
        authorization_status="accepted", meter_start_wh=0, started_at=datetime.now(UTC),
        state="completed",
    )  # fmt: skip
    query = "mutation($s: ID) { result: remoteStop(sessionId: $s) " + FIELDS + " }"
    async with online() as station:
        data = await as_admin(query, s=str(session.id))
    assert data["result"]["errors"] == [
        {"code": "INVALID_STATE", "field": "sessionId",
         "message": "The charging session has ended."}
    ]  # fmt: skip
    assert station.calls == [] and await RemoteCommand.all().count() == 0
