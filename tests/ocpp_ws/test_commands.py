"""Remote commands: GraphQL mutation -> the connected station (a real websocket client that
answers each CALL as told) -> the command's final state, recorded."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets

from domain.charging.models import ChargingSession
from domain.commands.models import ConfigurationKey, RemoteCommand
from domain.history.models import ManagementRecord
from tests import factories
from tests.ocpp_ws.conftest import ERROR, FIELDS, SILENT, AnsweringStation, mutation

pytestmark = pytest.mark.usefixtures("short_timeout")

# (mutation call, OCPP action, payload sent, accepting answer, refusing answer)
CASES = [
    ("releaseCable(stationId: $id, connectorId: 1)", "UnlockConnector", {"connectorId": 1},
     {"status": "Unlocked"}, {"status": "UnlockFailed"}),
    ("clearCache(stationId: $id)", "ClearCache", {}, None, {"status": "Rejected"}),
    ("softReset(stationId: $id)", "Reset", {"type": "Soft"}, None, {"status": "Rejected"}),
    ("hardReset(stationId: $id)", "Reset", {"type": "Hard"}, None, {"status": "Rejected"}),
    ("setAvailability(stationId: $id, available: false)", "ChangeAvailability",
     {"connectorId": 0, "type": "Inoperative"}, None, {"status": "Rejected"}),
    ("setAvailability(stationId: $id, connectorId: 2, available: true)", "ChangeAvailability",
     {"connectorId": 2, "type": "Operative"}, {"status": "Scheduled"}, {"status": "Rejected"}),
    ('changeConfiguration(stationId: $id, key: "HeartbeatInterval", value: "60")',
     "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"}, None,
     {"status": "NotSupported"}),
    ("triggerMessage(stationId: $id, requestedMessage: STATUS_NOTIFICATION, connectorId: 1)",
     "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 1}, None,
     {"status": "Rejected"}),
    ('remoteStart(stationId: $id, connectorId: 1, tokenUid: "04A1B2C3")',
     "RemoteStartTransaction", {"connectorId": 1, "idTag": "04A1B2C3"}, None,
     {"status": "Rejected"}),
    ('updateFirmware(stationId: $id, location: "https://fw.example/1.bin", '
     'retrieveDate: "2026-01-01T00:00:00+00:00")', "UpdateFirmware",
     {"location": "https://fw.example/1.bin", "retrieveDate": "2026-01-01T00:00:00Z"},
     {}, ERROR),
    ('getDiagnostics(stationId: $id, location: "ftp://diag.example/")', "GetDiagnostics",
     {"location": "ftp://diag.example/"}, {"fileName": "d.zip"}, ERROR),
    ("refreshConfiguration(stationId: $id)", "GetConfiguration", {}, {"configurationKey": []},
     ERROR),
    ("clearMaxCurrent(stationId: $id)", "ClearChargingProfile",
     {"connectorId": 0, "chargingProfilePurpose": "ChargePointMaxProfile"}, None,
     {"status": "Unknown"}),
    ("sendLocalList(stationId: $id)", "SendLocalList",
     {"listVersion": 1, "updateType": "Full", "localAuthorizationList": []}, None,
     {"status": "Failed"}),
    ("getLocalListVersion(stationId: $id)", "GetLocalListVersion", {}, {"listVersion": 0},
     ERROR),
]  # fmt: skip
# Commands whose payload holds the time of sending: refusals only (see
# test_station_operations.py for what they send).
REFUSED_ONLY = [
    ("setMaxCurrent(stationId: $id, amps: 10)", "SetChargingProfile", None, None,
     {"status": "Rejected"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0].split("(")[0] + c[1] for c in CASES])
async def test_accepted_command_reaches_the_station_and_is_recorded(as_admin, online, active, case):  # type: ignore[no-untyped-def]
    call, action, payload, accepting, _ = case
    answer = {"status": "Accepted"} if accepting is None else accepting
    async with online({action: answer}) as station:
        data = (await as_admin(mutation(call), id=str(active.id)))["result"]
    assert data["errors"] == []
    assert data["command"] == {
        "action": action,
        "payload": payload,
        "state": "ACCEPTED",
        "response": answer,
        "error": None,
        "issuedBy": "alpha",
        "stationId": str(active.id),
    }
    assert station.calls == [(action, payload)]
    row = await RemoteCommand.get(station_id=active.id)
    assert (row.state, row.issued_by, row.action, row.response) == (
        "accepted", "alpha", action, answer,
    )  # fmt: skip
    assert row.sent_at and row.completed_at and row.sent_at <= row.completed_at


@pytest.mark.parametrize("case", CASES + REFUSED_ONLY, ids=lambda c: c[0].split("(")[0])
async def test_refusing_station(as_admin, as_basic, online, active, case):  # type: ignore[no-untyped-def]
    """A refusal where the answer has a status; an error answer (CALLERROR) where not."""
    call, action, _, _, refusing = case
    # Advanced settings and firmware: only admins edit stations.
    admin_only = action in ("ChangeConfiguration", "UpdateFirmware")
    who, name = (as_admin, "alpha") if admin_only else (as_basic, "beta")
    async with online({action: refusing}):
        data = (await who(mutation(call), id=str(active.id)))["result"]
    assert data["command"]["issuedBy"] == name
    if refusing == ERROR:
        assert data["command"]["state"] == "FAILED"
        assert data["command"]["error"] == "InternalError: boom"
        assert data["errors"] == [
            {"code": "COMMAND_FAILED", "field": "stationId",
             "message": "Remote command execution failed."}
        ]  # fmt: skip
        return
    assert data["command"]["state"] == "REJECTED"
    assert data["command"]["response"] == refusing
    if action == "ChangeConfiguration":
        assert data["errors"] == [
            {
                "code": "COMMAND_REJECTED",
                "field": "key",
                "message": "Charging point configuration error.",
            }
        ]
    else:
        status = refusing["status"]
        assert data["errors"] == [
            {
                "code": "COMMAND_REJECTED",
                "field": "stationId",
                "message": f"Charging station refused the command ({status}).",
            }
        ]
    row = await RemoteCommand.get(station_id=active.id)
    assert row.state == "rejected"


async def test_refresh_configuration_stores_keys_with_readonly(as_admin, online, active):  # type: ignore[no-untyped-def]
    await ConfigurationKey.create(station_id=active.id, key="Stale", value="x")
    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
        {"key": "NoValue", "readonly": False},
    ]
    async with online({"GetConfiguration": {"configurationKey": keys}}) as station:
        data = await as_admin(mutation("refreshConfiguration(stationId: $id)"), id=str(active.id))
    assert data["result"]["command"]["state"] == "ACCEPTED"
    assert station.calls == [("GetConfiguration", {})]
    rows = await ConfigurationKey.filter(station_id=active.id).order_by("key")
    assert [(r.key, r.value, r.readonly) for r in rows] == [
        ("HeartbeatInterval", "300", False),
        ("NoValue", None, False),
        ("NumberOfConnectors", "2", True),
    ]


async def test_offline_station_fails_at_once(as_admin, active):  # type: ignore[no-untyped-def]
    data = (await as_admin(mutation("clearCache(stationId: $id)"), id=str(active.id)))["result"]
    assert data["errors"] == [
        {"code": "STATION_OFFLINE", "field": "stationId", "message": "Charging station is offline."}
    ]
    assert data["command"]["state"] == "FAILED"
    assert data["command"]["error"] == "Charging station is offline."
    row = await RemoteCommand.get(station_id=active.id)
    assert (row.state, row.error, row.sent_at) == ("failed", "Charging station is offline.", None)


async def test_call_error_fails_the_command(as_admin, online, active):  # type: ignore[no-untyped-def]
    async with online({"Reset": ERROR}):
        data = await as_admin(mutation("softReset(stationId: $id)"), id=str(active.id))
    result = data["result"]
    assert result["errors"] == [
        {"code": "COMMAND_FAILED", "field": "stationId",
         "message": "Remote command execution failed."}
    ]  # fmt: skip
    assert result["command"]["state"] == "FAILED"
    assert result["command"]["error"].startswith("InternalError")
    assert (await RemoteCommand.get(station_id=active.id)).state == "failed"


async def test_no_answer_times_out(as_admin, online, active):  # type: ignore[no-untyped-def]
    async with online({"ClearCache": SILENT}):
        data = await as_admin(mutation("clearCache(stationId: $id)"), id=str(active.id))
    assert data["result"]["command"]["state"] == "TIMED_OUT"
    assert data["result"]["errors"] == [
        {"code": "COMMAND_TIMED_OUT", "field": "stationId",
         "message": "Charging station did not answer in time."}
    ]  # fmt: skip
    assert (await RemoteCommand.get(station_id=active.id)).state == "timed_out"


async def test_second_connection_replaces_the_first(connect, world, as_admin, active):  # type: ignore[no-untyped-def]
    async with connect(world.org.slug, active.identifier) as first:
        await first.result("Heartbeat", {})
        async with connect(world.org.slug, active.identifier) as second:
            await second.result("Heartbeat", {})
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(first.receive(), 5)
            answering = AnsweringStation(second, {})
            task = asyncio.create_task(answering.serve())
            data = await as_admin(mutation("clearCache(stationId: $id)"), id=str(active.id))
            task.cancel()
    assert data["result"]["command"]["state"] == "ACCEPTED"
    assert answering.calls == [("ClearCache", {})]
    # The first connection's end did not unregister the second: once both are gone it is
    # offline, not before.
    data = await as_admin(mutation("clearCache(stationId: $id)"), id=str(active.id))
    assert data["result"]["errors"][0]["message"] == "Charging station is offline."


async def snapshot() -> tuple[list[Any], list[Any]]:
    commands_ = await RemoteCommand.all().values_list("id", "state")
    records = await ManagementRecord.all().values_list("id", flat=True)
    return sorted(map(str, commands_)), sorted(map(str, records))


@pytest.mark.parametrize("who", ["gamma", "omega"])
async def test_station_out_of_scope_is_like_a_missing_one(client, world, online, active, who):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    actor = client.as_token(await login(client, who))
    before = await snapshot()
    async with online() as station:
        for station_id in (str(active.id), "not-a-uuid", "00000000-0000-0000-0000-000000000001"):
            data = await actor(mutation("clearCache(stationId: $id)"), id=station_id)
            assert data["result"] == {
                "command": None,
                "errors": [{"code": "NOT_FOUND", "field": "stationId",
                            "message": "Charging station does not exist."}],
            }  # fmt: skip
    assert station.calls == []
    assert await snapshot() == before


@pytest.mark.parametrize("action", ["UpdateFirmware", "ChangeConfiguration"])
async def test_basic_may_not_update_firmware_or_configuration(as_basic, online, active, action):  # type: ignore[no-untyped-def]
    call = next(c[0] for c in CASES if c[1] == action)  # UpdateFirmware, ChangeConfiguration
    before = await snapshot()
    async with online() as station:
        data = await as_basic(mutation(call), id=str(active.id))
    assert data["result"]["errors"] == [
        {"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}
    ]
    assert station.calls == [] and await snapshot() == before


async def test_remote_stop_by_session_or_transaction(as_admin, online, world, active):  # type: ignore[no-untyped-def]
    session = await ChargingSession.create(
        organisation_id=world.org.id, station_id=active.id, connector_id=1,
        transaction_id=4242, start_key="k-4242", token_uid="04A1B2C3",
        authorization_status="Accepted", meter_start_wh=0, started_at=datetime.now(UTC),
    )  # fmt: skip
    query = "mutation($s: ID, $t: Int) { result: remoteStop(sessionId: $s, transactionId: $t) "
    async with online() as station:
        by_session = await as_admin(query + FIELDS + " }", s=str(session.id))
        by_transaction = await as_admin(query + FIELDS + " }", t=4242)
        missing = await as_admin(query + FIELDS + " }", t=1)
    for data in (by_session, by_transaction):
        assert data["result"]["command"]["state"] == "ACCEPTED"
    assert station.calls == [("RemoteStopTransaction", {"transactionId": 4242})] * 2
    assert missing["result"]["errors"][0]["code"] == "NOT_FOUND"


async def test_station_commands_newest_first(as_admin, as_basic, client, world, online, active):  # type: ignore[no-untyped-def]
    async with online():
        await as_admin(mutation("softReset(stationId: $id)"), id=str(active.id))
        await as_basic(mutation("clearCache(stationId: $id)"), id=str(active.id))
    query = """query($id: ID!) { stationCommands(stationId: $id) {
        totalCount items { action issuedBy state } } }"""
    data = (await as_basic(query, id=str(active.id)))["stationCommands"]
    assert data == {
        "totalCount": 2,
        "items": [
            {"action": "ClearCache", "issuedBy": "beta", "state": "ACCEPTED"},
            {"action": "Reset", "issuedBy": "alpha", "state": "ACCEPTED"},
        ],
    }
    from tests.conftest import login

    gamma = client.as_token(await login(client, "gamma"))
    body = await gamma.raw(query, {"id": str(active.id)})
    assert body["errors"][0]["message"] == "Charging station does not exist."


async def test_station_commands_statement_count_does_not_grow(as_admin, world, active):  # type: ignore[no-untyped-def]
    from tests.sqlcount import count_sql

    query = """query($id: ID!) { stationCommands(stationId: $id, page: {limit: 100}) {
        totalCount items { id action payload state response error issuedBy stationId
        createdAt sentAt completedAt } } }"""
    counts = []
    for total in (10, 100):
        await RemoteCommand.filter(station_id=active.id).delete()
        await RemoteCommand.bulk_create(
            [
                RemoteCommand(
                    organisation_id=world.org.id,
                    station_id=active.id,
                    issued_by="alpha",
                    action="ClearCache",
                    payload={},
                    state="accepted",
                )
                for _ in range(total)
            ]
        )
        with count_sql() as sql:
            data = await as_admin(query, id=str(active.id))
        assert data["stationCommands"]["totalCount"] == total
        counts.append(sql.count)
    assert counts[0] == counts[1], counts


async def test_station_leaving_while_a_command_waits_fails_it_at_once(
    connect, world, as_admin, active, app
):  # type: ignore[no-untyped-def]
    app.state.node.command_timeout = 30
    async with connect(world.org.slug, active.identifier) as station:
        await station.result("Heartbeat", {})
        answering = AnsweringStation(station, {"ClearCache": SILENT})
        serving = asyncio.create_task(answering.serve())
        started = asyncio.get_running_loop().time()
        issued = asyncio.create_task(
            as_admin(mutation("clearCache(stationId: $id)"), id=str(active.id))
        )
        await asyncio.wait_for(answering.called.wait(), 10)
        await station.connection.close()
    data = (await issued)["result"]
    await serving
    assert asyncio.get_running_loop().time() - started < 10
    assert data["errors"][0]["message"] == "Remote command execution failed."
    assert data["command"]["state"] == "FAILED"
    assert data["command"]["error"] == "Station disconnected before answering."


async def test_remote_start_needs_a_token_of_the_organisation(as_admin, online, world, active):  # type: ignore[no-untyped-def]
    other_driver = await factories.charging_user(world.root_b)
    await factories.token(other_driver, "0THER0RG")
    before = await snapshot()
    query = "mutation($id: ID!, $uid: String!) { result: remoteStart(stationId: $id, "
    query += "connectorId: 1, tokenUid: $uid) " + FIELDS + " }"
    async with online() as station:
        for uid in ("0THER0RG", "NOSUCHTAG"):
            data = await as_admin(query, id=str(active.id), uid=uid)
            assert data["result"] == {
                "command": None,
                "errors": [
                    {"code": "NOT_FOUND", "field": "tokenUid", "message": "Token not found."}
                ],
            }
        # Token ids compare case-insensitively; the station gets the token's own spelling.
        data = await as_admin(query, id=str(active.id), uid="04a1b2c3")
    assert station.calls == [("RemoteStartTransaction", {"connectorId": 1, "idTag": "04A1B2C3"})]
    assert data["result"]["command"]["state"] == "ACCEPTED"
    assert len(before[0]) == 0 and len((await snapshot())[0]) == 1


async def test_an_answer_just_before_the_station_closes_counts(
    connect, world, as_admin, active, app
):  # type: ignore[no-untyped-def]
    """A station answers Reset and reboots at once: the answer arrived, the command was
    accepted (not failed as 'disconnected before answering')."""
    app.state.node.command_timeout = 30
    async with connect(world.org.slug, active.identifier) as station:
        await station.result("Heartbeat", {})
        issued = asyncio.create_task(
            as_admin(mutation("softReset(stationId: $id)"), id=str(active.id))
        )
        kind, unique_id, action, _ = await asyncio.wait_for(station.receive(), 10)
        assert (kind, action) == (2, "Reset")
        await station.send_raw(json.dumps([3, unique_id, {"status": "Accepted"}]))
        await station.connection.close()
    data = (await issued)["result"]
    assert data["errors"] == [] and data["command"]["state"] == "ACCEPTED"
