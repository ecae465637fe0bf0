"""`evcms simulate` against the real server: provisioning over GraphQL, stations that boot,
charge and answer remote commands, all checked in the database and through GraphQL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from domain.charging.models import ChargingSession, MeterSample
from domain.commands.models import ConfigurationKey
from domain.events.models import PointStatus
from domain.stations.models import ChargingStation, StationState
from domain.users.models import Token
from evcms.cli import main as cli_main
from evcms.simulate.provision import ProvisioningError
from evcms.simulate.runner import Options, simulate
from evcms.simulate.station import StationSettings, Stats
from tests.factories import PASSWORD

MEASURANDS = {
    "Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC",
}  # fmt: skip
FIELDS = "{ command { state response error } errors { code field message } }"


async def until(check: Callable[[], Awaitable[Any]], seconds: float = 20.0) -> Any:
    """Poll `check` until it returns something true; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still false after {seconds}s: {check}")
        await asyncio.sleep(0.05)


def options(server: str, world: Any, **station: Any) -> Options:
    return Options(
        url=server,
        organisation=world.org.slug,
        stations=station.pop("stations", 1),
        login="alpha",
        password=PASSWORD,
        progress_seconds=60,
        station=StationSettings(**{"meter_interval": 0.2, "session_seconds": 1.0, **station}),
    )


@contextlib.asynccontextmanager
async def running(opts: Options) -> AsyncIterator[Stats]:
    """The simulation in the background until the block ends (then stopped cleanly)."""
    stop, stats, lines = asyncio.Event(), Stats(), []
    task = asyncio.create_task(simulate(opts, stop=stop, say=lines.append, stats=stats))
    try:
        await until(lambda: _ready(task, stats, opts.stations))
        yield stats
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert stats.call_errors == 0, (stats.last_error, lines)


async def _ready(task: asyncio.Task[Stats], stats: Stats, count: int) -> bool:
    if task.done():
        task.result()
    return stats.accepted == count


async def test_simulated_stations_are_provisioned_boot_and_charge(server, world, clean):  # type: ignore[no-untyped-def]
    opts = options(server, world, stations=3, connectors=2, pause_seconds=0.1)
    async with running(opts) as stats:
        await until(lambda: _completed(6))
    assert stats.transactions_started >= 6
    stations = await ChargingStation.filter(organisation_id=world.org.id).order_by("identifier")
    assert [s.identifier for s in stations] == ["SIM-001", "SIM-002", "SIM-003"]
    for station in stations:
        assert station.state == StationState.ACTIVE
        assert (station.vendor, station.model) == ("evcms", "Simulator")
        assert station.last_seen_at is not None and station.ocpp_password_hash
    assert await PointStatus.filter(point__station__organisation_id=world.org.id).count() == 6
    assert await Token.filter(uid="SIM-TOKEN").count() == 1
    sessions = await ChargingSession.filter(organisation_id=world.org.id)
    # Every session was closed by its StopTransaction, those the shutdown interrupted too.
    assert sessions and all(s.state == "completed" for s in sessions)
    finished = [s for s in sessions if s.stop_reason == "Local"]
    assert len(finished) >= 6
    for session in finished:
        assert session.energy_wh and session.energy_wh > 0
        assert session.authorization_status == "accepted"
        samples = await MeterSample.filter(session_id=session.id)
        assert {s.measurand for s in samples} == MEASURANDS
        energy = sorted(
            (s.sampled_at, s.value) for s in samples if s.measurand == MEASURANDS_ENERGY
        )
        assert [v for _, v in energy] == sorted(v for _, v in energy)  # never goes down
        assert energy[-1][1] == session.meter_stop_wh


MEASURANDS_ENERGY = "Energy.Active.Import.Register"


async def _completed(count: int) -> bool:
    done = await ChargingSession.filter(state="completed", stop_reason="Local").count()
    return done >= count


def mutation(call: str) -> str:
    return f"mutation($id: ID!) {{ result: {call} {FIELDS} }}"


async def station_id(identifier: str = "SIM-001") -> str:
    return str((await ChargingStation.get(identifier=identifier)).id)


async def command(as_admin: Any, call: str, **variables: Any) -> dict[str, Any]:
    data = await as_admin(mutation(call), id=await station_id(), **variables)
    result: dict[str, Any] = data["result"]
    return result


async def test_remote_commands_are_answered_and_carried_out(server, world, as_admin):  # type: ignore[no-untyped-def]
    opts = options(server, world, charge=False, session_seconds=60, step_seconds=0.05)
    async with running(opts) as stats:
        # RemoteStartTransaction: accepted, then the station starts the transaction itself.
        started = await command(
            as_admin, 'remoteStart(stationId: $id, connectorId: 1, tokenUid: "SIM-TOKEN")'
        )
        assert started["command"]["state"] == "ACCEPTED", started
        session = await until(lambda: ChargingSession.get_or_none(connector_id=1, state="active"))
        assert session.token_uid == "SIM-TOKEN"
        await until(lambda: _samples(session.id, "SoC", 5))
        stop = "mutation($t: Int) { result: remoteStop(transactionId: $t) %s }" % FIELDS
        stopped = (await as_admin(stop, t=session.transaction_id))["result"]
        assert stopped["command"]["state"] == "ACCEPTED", stopped
        session = await until(lambda: ChargingSession.get_or_none(id=session.id, state="completed"))
        assert session.stop_reason == "Remote" and session.energy_wh > 0

        # GetConfiguration: the station's keys, stored with their read-only flags.
        refreshed = await command(as_admin, "refreshConfiguration(stationId: $id)")
        assert refreshed["command"]["state"] == "ACCEPTED"
        keys = {k.key: k for k in await ConfigurationKey.all()}
        assert keys["NumberOfConnectors"].value == "2" and keys["NumberOfConnectors"].readonly
        assert not keys["HeartbeatInterval"].readonly and len(keys) > 25

        changed = await command(
            as_admin, 'changeConfiguration(stationId: $id, key: "HeartbeatInterval", value: "60")'
        )
        assert changed["command"] == {
            "state": "ACCEPTED",
            "response": {"status": "Accepted"},
            "error": None,
        }
        readonly = await command(
            as_admin, 'changeConfiguration(stationId: $id, key: "NumberOfConnectors", value: "4")'
        )
        # Refused: by the station, or before it is sent when the stored keys say read-only.
        assert readonly["command"] is None or readonly["command"]["state"] == "REJECTED"
        assert readonly["errors"][0]["message"] == "Charging point configuration error."

        # TriggerMessage: accepted, then the requested message is sent.
        before = stats.by_action.get("Heartbeat", 0)
        triggered = await command(
            as_admin, "triggerMessage(stationId: $id, requestedMessage: HEARTBEAT)"
        )
        assert triggered["command"]["state"] == "ACCEPTED"
        await until(async_true(lambda: stats.by_action.get("Heartbeat", 0) == before + 1))

        # ChangeAvailability of the station: every point reports Unavailable.
        unavailable = await command(as_admin, "setAvailability(stationId: $id, available: false)")
        assert unavailable["command"]["state"] == "ACCEPTED"
        await until(lambda: _point_statuses({"Unavailable"}))

        for call in ("clearCache(stationId: $id)", "releaseCable(stationId: $id, connectorId: 1)"):
            assert (await command(as_admin, call))["command"]["state"] == "ACCEPTED", call

        # Reset: accepted, then the station reconnects and boots again.
        boots = stats.by_action["BootNotification"]
        reset = await command(as_admin, "softReset(stationId: $id)")
        assert reset["command"]["state"] == "ACCEPTED", reset
        await until(async_true(lambda: stats.by_action["BootNotification"] == boots + 1))
        await until(async_true(lambda: stats.connected == 1))


async def _samples(session_id: Any, measurand: str, count: int) -> bool:
    found = await MeterSample.filter(session_id=session_id, measurand=measurand).count()
    return found >= count


def async_true(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def wrapped() -> bool:
        return check()

    return wrapped


async def _point_statuses(wanted: set[str]) -> bool:
    statuses = await PointStatus.all().values_list("status", flat=True)
    return len(statuses) == 2 and set(statuses) == wanted


# (mutation, the refusing answer the command records)
REFUSED = [
    ("releaseCable(stationId: $id, connectorId: 1)", "REJECTED", {"status": "UnlockFailed"}),
    ("clearCache(stationId: $id)", "REJECTED", {"status": "Rejected"}),
    ("softReset(stationId: $id)", "REJECTED", {"status": "Rejected"}),
    ("hardReset(stationId: $id)", "REJECTED", {"status": "Rejected"}),
    ("setAvailability(stationId: $id, available: false)", "REJECTED", {"status": "Rejected"}),
    ('changeConfiguration(stationId: $id, key: "HeartbeatInterval", value: "60")', "REJECTED",
     {"status": "Rejected"}),
    ('triggerMessage(stationId: $id, requestedMessage: HEARTBEAT)', "REJECTED",
     {"status": "Rejected"}),
    ('remoteStart(stationId: $id, connectorId: 1, tokenUid: "SIM-TOKEN")', "REJECTED",
     {"status": "Rejected"}),
    ("refreshConfiguration(stationId: $id)", "FAILED", None),
]  # fmt: skip


async def test_a_refusing_station_refuses_every_command(server, world, as_admin):  # type: ignore[no-untyped-def]
    async with running(options(server, world, charge=False, refuse=frozenset({"*"}))) as stats:
        for call, state, response in REFUSED:
            result = (await command(as_admin, call))["command"]
            assert (result["state"], result["response"]) == (state, response), call
        assert stats.calls_answered == len(REFUSED)
        assert stats.transactions_started == 0 and stats.by_action["BootNotification"] == 1
    assert await ChargingSession.all().count() == 0
    assert await ConfigurationKey.all().count() == 0


# --- the command ----------------------------------------------------------------------------


async def test_evcms_simulate_runs_until_ctrl_c_and_ends_cleanly(server, world, clean):  # type: ignore[no-untyped-def]
    from tests.evcms.test_cli import evcms_command

    process = await asyncio.create_subprocess_exec(
        *evcms_command(), "simulate", "--url", server, "--organisation", world.org.slug,
        "--login", "alpha", "--stations", "2", "--meter-interval", "0.2",
        "--session-seconds", "60", "--pause-seconds", "0", "--progress", "0.3",
        env={**os.environ, "EVCMS_PASSWORD": PASSWORD},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        await until(lambda: _active(4))
        await until(lambda: _soc(8))
    finally:
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "stations 2/2 connected, 2 accepted" in text and "msg/s" in text
    assert "simulated 2 stations" in text and "0 call errors" in text
    # Ctrl-C stopped every open transaction before closing the connections.
    sessions = await ChargingSession.all()
    assert len(sessions) == 4 and {(s.state, s.stop_reason) for s in sessions} == {
        ("completed", "Other")
    }


async def _active(count: int) -> bool:
    return await ChargingSession.filter(state="active").count() >= count


async def _soc(count: int) -> bool:
    return await MeterSample.filter(measurand="SoC").count() >= count


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --station-password, or --login to provision the stations"),
        (["--login", "alpha"], "--login needs --password or the EVCMS_PASSWORD variable"),
        (["--station-password", "x", "--stations", "0"], "--stations must be at least 1"),
        (["--station-password", "x", "--meter-interval", "0"], "--meter-interval must be more"),
        (["--station-password", "x", "--prefix", "a b"], "--prefix may hold letters"),
        (["--station-password", "x", "--url", "ftp://x"], "--url must be an http(s)://"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(args, message, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("EVCMS_PASSWORD", raising=False)
    assert cli_main(["simulate", *args]) == 1
    assert message in capsys.readouterr().err


async def test_wrong_operator_password_is_reported(server, world, clean):  # type: ignore[no-untyped-def]
    opts = options(server, world)
    opts.password = "wrong"
    with pytest.raises(ProvisioningError, match="login as alpha"):
        await simulate(opts, say=lambda line: None)
    assert not await ChargingStation.filter(organisation_id=world.org.id).exists()
