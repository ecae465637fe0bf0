"""Auto configuration (seed 004): the organisation's profile of required keys, run on a
station key by key (a real station client answering each ChangeConfiguration), "fix all"
re-sending only what failed, then a reset. A real server and real websocket clients."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.applications import Starlette

from domain.commands.models import (
    ConfigurationApplication,
    ConfigurationKey,
    ConfigurationRequirement,
    RemoteCommand,
)
from domain.stations.models import ChargingStation
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient
from tests.ocpp_ws.conftest import ERROR, SILENT, mutation
from tests.sqlcount import count_sql

pytestmark = pytest.mark.usefixtures("short_timeout")

ERRORS = "errors { code field message }"
KEYS = "keys { key value status detail updatedAt commandId }"
SUMMARY = (
    "stationId appliedCount rebootRequiredCount failedCount pendingCount configured "
    "resetRequired running"
)
STATUS_FIELDS = f"{{ {KEYS} {SUMMARY} }}"
STATUS = f"query($id: ID!) {{ status: stationAutoConfiguration(stationId: $id) {STATUS_FIELDS} }}"
PROFILE = "{ configurationProfile { key value } }"
SET_PROFILE = f"""mutation($entries: [ConfigurationRequirementInput!]!) {{
  setConfigurationProfile(entries: $entries) {{ profile {{ key value }} {ERRORS} }} }}"""
RUN = f"""mutation($id: ID!) {{ result: runAutoConfiguration(stationId: $id) {{
  status {STATUS_FIELDS} {ERRORS} }} }}"""
FIX = RUN.replace("runAutoConfiguration", "fixAutoConfiguration")

# The profile, and how the station first answers each key (by key order: how it is run).
PROFILE_ENTRIES = {
    "BrokenKey": "1",
    "HeartbeatInterval": "300",
    "LocalAuthorizeOffline": "true",
    "MeterValueSampleInterval": "60",
    "VendorKey": "x",
    "WebSocketPingInterval": "30",
}
FIRST_ANSWERS: dict[str, Any] = {
    "BrokenKey": ERROR,
    "LocalAuthorizeOffline": {"status": "Rejected"},
    "VendorKey": {"status": "NotSupported"},
    "WebSocketPingInterval": {"status": "RebootRequired"},
}
FAILED_FIRST = ["BrokenKey", "LocalAuthorizeOffline", "VendorKey"]
MISSING = {"code": "NOT_FOUND", "field": "stationId", "message": "Charging station does not exist."}
DENIED = {"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}


def entries(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in values.items()]


def change_configuration(answers: dict[str, Any]) -> dict[str, Any]:
    """Station answers: ChangeConfiguration answered per key (Accepted unless listed)."""
    return {"ChangeConfiguration": lambda p: answers.get(p["key"], {"status": "Accepted"})}


def sent_keys(calls: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, str]]:
    assert {action for action, _ in calls} <= {"ChangeConfiguration"}, calls
    return [(payload["key"], payload["value"]) for _, payload in calls]


def by_key(status: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {k["key"]: (k["status"], k["detail"]) for k in status["keys"]}


async def set_profile(actor: GraphQLClient, values: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = await actor(SET_PROFILE, entries=entries(values))
    return data["setConfigurationProfile"]


async def state() -> tuple[list[Any], ...]:
    """Everything auto configuration could change."""
    profile = await ConfigurationRequirement.all().values_list("key", "value")
    applications = await ConfigurationApplication.all().values_list("key", "status", "detail")
    commands_ = await RemoteCommand.all().values_list("id", flat=True)
    keys = await ConfigurationKey.all().values_list("key", "value")
    return sorted(profile), sorted(applications), sorted(map(str, commands_)), sorted(keys)


@pytest.fixture
async def profiled(as_admin, world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    payload = await set_profile(as_admin, PROFILE_ENTRIES)
    assert payload["errors"] == []
    return PROFILE_ENTRIES


@pytest.fixture
def patient(short_timeout: None, app: Starlette) -> Iterator[None]:
    """Commands wait 3 s for an answer: long enough to act while one is in flight."""
    app.state.node.command_timeout = 3
    yield
    app.state.node.command_timeout = 0.5


async def test_run_applies_every_key_and_shows_its_status(as_admin, online, active, profiled):  # type: ignore[no-untyped-def]
    async with online(change_configuration(FIRST_ANSWERS)) as station:
        data = (await as_admin(RUN, id=str(active.id)))["result"]
    assert data["errors"] == []
    assert sent_keys(station.calls) == list(PROFILE_ENTRIES.items())  # one by one, by key
    status = data["status"]
    assert by_key(status) == {
        "BrokenKey": ("FAILED", "InternalError: boom"),
        "HeartbeatInterval": ("APPLIED", "Accepted"),
        "LocalAuthorizeOffline": ("FAILED", "Rejected"),
        "MeterValueSampleInterval": ("APPLIED", "Accepted"),
        "VendorKey": ("FAILED", "NotSupported"),
        "WebSocketPingInterval": ("REBOOT_REQUIRED", "RebootRequired"),
    }
    assert {k: v for k, v in status.items() if k != "keys"} == {
        "stationId": str(active.id),
        "appliedCount": 2,
        "rebootRequiredCount": 1,
        "failedCount": 3,
        "pendingCount": 0,
        "configured": False,
        "resetRequired": True,
        "running": False,
    }
    # Each key is linked to the ChangeConfiguration command that carried it.
    for item in status["keys"]:
        command = await RemoteCommand.get(id=item["commandId"])
        assert (command.action, command.payload) == (
            "ChangeConfiguration",
            {"key": item["key"], "value": item["value"]},
        )
    # The station's known configuration follows what it accepted.
    assert sorted(await ConfigurationKey.all().values_list("key", "value")) == [
        ("HeartbeatInterval", "300"),
        ("MeterValueSampleInterval", "60"),
        ("WebSocketPingInterval", "30"),
    ]
    assert (await as_admin(STATUS, id=str(active.id)))["status"] == status


async def test_fix_all_resends_only_the_failed_keys_then_reset(as_admin, online, active, profiled):  # type: ignore[no-untyped-def]
    answers = dict(FIRST_ANSWERS)
    async with online(change_configuration(answers)) as station:
        await as_admin(RUN, id=str(active.id))
        station.calls.clear()
        answers.clear()  # the station now accepts everything
        fixed = (await as_admin(FIX, id=str(active.id)))["result"]
        assert sent_keys(station.calls) == [(k, PROFILE_ENTRIES[k]) for k in FAILED_FIRST]
        station.calls.clear()
        again = (await as_admin(FIX, id=str(active.id)))["result"]
        assert station.calls == []  # nothing left to fix
        reset = await as_admin(mutation("softReset(stationId: $id)"), id=str(active.id))
        after_reset = (await as_admin(STATUS, id=str(active.id)))["status"]
    assert fixed["errors"] == [] and again["errors"] == []
    assert by_key(fixed["status"]) == {
        **{k: ("APPLIED", "Accepted") for k in PROFILE_ENTRIES},
        "WebSocketPingInterval": ("REBOOT_REQUIRED", "RebootRequired"),
    }
    summary = fixed["status"]
    assert (summary["configured"], summary["resetRequired"], summary["failedCount"]) == (
        True,
        True,
        0,
    )
    assert again["status"] == fixed["status"]
    assert reset["result"]["errors"] == []
    assert (after_reset["configured"], after_reset["resetRequired"]) == (True, False)


async def test_changed_keys_are_pending_removed_ones_gone(as_admin, online, active, profiled):  # type: ignore[no-untyped-def]
    async with online(change_configuration(FIRST_ANSWERS)) as station:
        await as_admin(RUN, id=str(active.id))
        changed = {**PROFILE_ENTRIES, "HeartbeatInterval": "120", "NewKey": "on"}
        del changed["MeterValueSampleInterval"]
        assert (await set_profile(as_admin, changed))["errors"] == []
        before_fix = (await as_admin(STATUS, id=str(active.id)))["status"]
        station.calls.clear()
        fixed = (await as_admin(FIX, id=str(active.id)))["result"]
    assert by_key(before_fix)["HeartbeatInterval"] == ("PENDING", "Not applied yet.")
    assert by_key(before_fix)["NewKey"] == ("PENDING", "Not applied yet.")
    assert "MeterValueSampleInterval" not in by_key(before_fix)
    assert before_fix["pendingCount"] == 2
    # The failed keys again (they fail again), the changed one and the new one.
    assert sent_keys(station.calls) == [
        ("BrokenKey", "1"),
        ("HeartbeatInterval", "120"),
        ("LocalAuthorizeOffline", "true"),
        ("NewKey", "on"),
        ("VendorKey", "x"),
    ]
    assert by_key(fixed["status"])["HeartbeatInterval"] == ("APPLIED", "Accepted")
    assert fixed["status"]["failedCount"] == 3
    stored = await ConfigurationApplication.filter(station_id=active.id).values_list("key", "value")
    assert sorted(stored) == sorted(changed.items())


async def test_offline_station_stops_at_once(as_admin, active, profiled):  # type: ignore[no-untyped-def]
    before = await state()
    for call in (RUN, FIX):
        data = (await as_admin(call, id=str(active.id)))["result"]
        assert data == {
            "status": None,
            "errors": [{"code": "STATION_OFFLINE", "field": "stationId",
                        "message": "Charging station is offline."}],
        }  # fmt: skip
    assert await state() == before  # no command recorded, no status


async def test_station_gone_without_notice_fails_one_command_not_all(as_admin, active, profiled):  # type: ignore[no-untyped-def]
    # The database believes it is connected (a node died without saying so); no node has it.
    await ChargingStation.filter(id=active.id).update(connected_node="ghost-node")
    data = (await as_admin(RUN, id=str(active.id)))["result"]
    assert data["errors"] == [
        {"code": "STATION_OFFLINE", "field": "stationId", "message": "Charging station is offline."}
    ]
    assert await RemoteCommand.all().count() == 1
    details = {detail for _, detail in by_key(data["status"]).values()}
    assert details == {
        "Charging station is offline.",  # the first key
        "Not sent: the charging station went offline.",  # the rest
    }
    assert data["status"]["failedCount"] == len(PROFILE_ENTRIES)


async def test_read_only_key_fails_without_being_sent(as_admin, online, active, profiled):  # type: ignore[no-untyped-def]
    await ConfigurationKey.create(station_id=active.id, key="VendorKey", value="y", readonly=True)
    async with online() as station:
        data = (await as_admin(RUN, id=str(active.id)))["result"]
    assert "VendorKey" not in dict(sent_keys(station.calls))
    key = next(k for k in data["status"]["keys"] if k["key"] == "VendorKey")
    assert (key["status"], key["detail"], key["commandId"]) == (
        "FAILED",
        "Charging point configuration error.",
        None,
    )


@pytest.mark.usefixtures("profiled", "patient")
async def test_a_second_run_is_refused_while_one_is_in_progress(as_admin, online, active):  # type: ignore[no-untyped-def]
    async with online(change_configuration({"BrokenKey": SILENT})) as station:
        first = asyncio.create_task(as_admin(RUN, id=str(active.id)))
        await asyncio.wait_for(station.called.wait(), 10)
        during = (await as_admin(STATUS, id=str(active.id)))["status"]
        second = (await as_admin(RUN, id=str(active.id)))["result"]
        fix = (await as_admin(FIX, id=str(active.id)))["result"]
        done = (await first)["result"]
    busy = {
        "code": "INVALID_STATE",
        "field": "stationId",
        "message": "Auto configuration is already running on this charging station.",
    }
    assert second == {"status": None, "errors": [busy]}
    assert fix == {"status": None, "errors": [busy]}
    assert (during["running"], during["pendingCount"]) == (True, len(PROFILE_ENTRIES))
    assert sent_keys(station.calls) == list(PROFILE_ENTRIES.items())  # the first run's only
    assert by_key(done["status"])["BrokenKey"] == (
        "FAILED",
        "Charging station did not answer in time.",
    )
    assert done["status"]["running"] is False


async def test_a_run_that_died_does_not_block_the_next(as_admin, online, active, profiled):  # type: ignore[no-untyped-def]
    # Left PENDING by a node that stopped mid-run, longer ago than the lease.
    await ConfigurationApplication.create(
        station_id=active.id, key="HeartbeatInterval", value="300", status="pending"
    )
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await ConfigurationApplication.filter(station_id=active.id).update(updated_at=long_ago)
    status = (await as_admin(STATUS, id=str(active.id)))["status"]
    assert (status["running"], by_key(status)["HeartbeatInterval"][0]) == (False, "PENDING")
    async with online() as station:
        data = (await as_admin(FIX, id=str(active.id)))["result"]
    assert data["errors"] == []
    assert ("HeartbeatInterval", "300") in sent_keys(station.calls)
    assert data["status"]["configured"] is True


async def test_basic_operator_may_look_but_not_run(as_admin, as_basic, online, active, profiled):  # type: ignore[no-untyped-def]
    before = await state()
    async with online() as station:
        for call in (RUN, FIX):
            assert (await as_basic(call, id=str(active.id)))["result"] == {
                "status": None,
                "errors": [DENIED],
            }
        profile = await as_basic(SET_PROFILE, entries=entries({"A": "1"}))
        status = (await as_basic(STATUS, id=str(active.id)))["status"]
        listed = (await as_basic(PROFILE))["configurationProfile"]
    assert station.calls == []
    assert profile["setConfigurationProfile"] == {"profile": None, "errors": [DENIED]}
    assert await state() == before
    assert status["pendingCount"] == len(PROFILE_ENTRIES)
    assert listed == entries(PROFILE_ENTRIES)


@pytest.mark.parametrize("who", ["gamma", "delta", "omega"])
@pytest.mark.usefixtures("profiled")
async def test_station_out_of_scope_is_like_a_missing_one(client, world, online, active, who):  # type: ignore[no-untyped-def]
    """gamma: basic at g2; delta: admin at g2; omega: admin of another organisation."""
    if who == "delta":
        await factories.operator(world.g2, "admin", username="delta")
    actor = client.as_token(await login(client, who))
    before = await state()
    async with online() as station:
        for call in (RUN, FIX, STATUS):
            answers = [
                await actor(call, id=station_id)
                for station_id in (str(active.id), "00000000-0000-0000-0000-000000000001", "x")
            ]
            assert answers[0] == answers[1] == answers[2], answers
            if call == STATUS:
                assert answers[0] == {"status": None}
            else:
                expected = DENIED if who == "gamma" else MISSING  # gamma may not configure
                assert answers[0] == {"result": {"status": None, "errors": [expected]}}
    assert station.calls == []
    assert await state() == before


async def test_profile_is_managed_from_the_root_group(client, as_admin, world, profiled):  # type: ignore[no-untyped-def]
    admin_g1 = await factories.operator(world.g1, "admin")
    actor = client.as_token(await login(client, admin_g1.username))
    before = await state()
    payload = await set_profile(actor, {"HeartbeatInterval": "10"})
    assert payload == {"profile": None, "errors": [DENIED]}
    assert await state() == before
    omega = client.as_token(await login(client, "omega"))
    assert (await omega(PROFILE))["configurationProfile"] == []  # profiles stay in their tenant
    cleared = await set_profile(as_admin, {})
    assert cleared == {"profile": [], "errors": []}


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ([("", "1")], "entries[0].key", "INVALID_INPUT"),
        ([("A", "1"), ("   ", "1")], "entries[1].key", "INVALID_INPUT"),
        ([("K" * 51, "1")], "entries[0].key", "INVALID_INPUT"),
        ([("A", "v" * 501)], "entries[0].value", "INVALID_INPUT"),
        ([("HeartbeatInterval", "1"), ("heartbeatinterval", "2")], "entries[1].key",
         "ALREADY_EXISTS"),
        ([(f"Key{n}", "1") for n in range(201)], "entries", "INVALID_INPUT"),
    ],
)  # fmt: skip
async def test_bad_profile_is_refused_and_changes_nothing(as_admin, profiled, values, field, code):  # type: ignore[no-untyped-def]
    before = await state()
    data = await as_admin(SET_PROFILE, entries=[{"key": k, "value": v} for k, v in values])
    payload = data["setConfigurationProfile"]
    assert payload["profile"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert await state() == before


async def test_profile_keys_are_trimmed_and_listed_by_key(as_admin, world):  # type: ignore[no-untyped-def]
    payload = await set_profile(as_admin, {" Zeta ": "", "Alpha": " spaced value "})
    assert payload == {
        "profile": [{"key": "Alpha", "value": " spaced value "}, {"key": "Zeta", "value": ""}],
        "errors": [],
    }
    assert (await as_admin(PROFILE))["configurationProfile"] == payload["profile"]


async def test_status_statements_do_not_grow_with_keys(as_admin, world, active):  # type: ignore[no-untyped-def]
    async def statements(count: int) -> int:
        values = {f"Key{n:03}": str(n) for n in range(count)}
        assert (await set_profile(as_admin, values))["errors"] == []
        await ConfigurationApplication.filter(station_id=active.id).delete()
        for n, key in enumerate(values):  # applied, awaiting a reset, failed in turn
            status = ("applied", "reboot_required", "failed")[n % 3]
            await ConfigurationApplication.create(
                station_id=active.id, key=key, value=values[key], status=status
            )
        with count_sql() as sql:
            data = await as_admin(STATUS, id=str(active.id))
        assert len(data["status"]["keys"]) == count
        return sql.count

    few, many = await statements(3), await statements(60)
    assert few == many
