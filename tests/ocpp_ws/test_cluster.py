"""Several nodes: two real `evcms serve` processes on one PostgreSQL and one Redis. A station
connects to the second; an operator commands it through the first."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from domain.commands.models import RemoteCommand
from domain.stations.models import ChargingStation
from evcms.settings import Settings
from tests.conftest import _free_port, login
from tests.gqlclient import GraphQLClient
from tests.ocpp_ws.conftest import (
    SILENT,
    STATION_PASSWORD,
    AnsweringStation,
    Station,
    basic_auth,
    eventually,
)

LEASE = 1.5  # seconds: how soon a node that died is noticed
COMMAND_TIMEOUT = 20


@dataclass
class Node:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def ws(self, organisation: str, identifier: str) -> str:
        return f"{self.url.replace('http://', 'ws://')}/ocpp/{organisation}/{identifier}"


def _spawn(name: str, settings: Settings, log: Path) -> Node:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "NODE_NAME": name,
        "NODE_LEASE_SECONDS": str(LEASE),
        "OCPP_COMMAND_TIMEOUT_SECONDS": str(COMMAND_TIMEOUT),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "evcms.cli", "serve"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Node(name, f"http://127.0.0.1:{port}", process, log)


async def _start(name: str, settings: Settings, log: Path) -> Node:
    """An `evcms serve` process, once it answers /readyz."""
    node = _spawn(name, settings, log)
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            assert node.process.poll() is None, node.output()
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{node.url}/readyz")).status_code == 200:
                    return node
            await asyncio.sleep(0.1)
    raise AssertionError(f"node {name} did not start: {node.output()}")


def _stop(node: Node) -> None:
    if node.process.poll() is None:
        node.process.send_signal(signal.SIGINT)
        try:
            node.process.wait(20)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()


@pytest.fixture
async def nodes(settings: Settings, clean: None, tmp_path: Path) -> AsyncIterator[list[Node]]:
    started = await asyncio.gather(
        _start("node-a", settings, tmp_path / "a.log"),
        _start("node-b", settings, tmp_path / "b.log"),
    )
    try:
        yield list(started)
    finally:
        for node in started:
            _stop(node)


@pytest.fixture
async def through_a(nodes: list[Node], world: Any) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=nodes[0].url, timeout=60) as http:
        client = GraphQLClient(http)
        yield client.as_token(await login(client, "alpha"))


@contextlib.asynccontextmanager
async def station_on(
    node: Node, organisation: str, identifier: str, answers: dict[str, Any]
) -> AsyncIterator[AnsweringStation]:
    async with websockets.connect(
        node.ws(organisation, identifier),
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(identifier, STATION_PASSWORD),
    ) as connection:
        raw = Station(connection)
        await raw.result("Heartbeat", {})
        station = AnsweringStation(raw, answers)
        task = asyncio.create_task(station.serve())
        try:
            yield station
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def held_by(station: ChargingStation, node: str) -> Callable[[], Any]:
    return ChargingStation.filter(id=station.id, connected_node=node).exists


def command(call: str) -> str:
    fields = "command { state error node response } errors { code message }"
    return f"mutation($id: ID!) {{ result: {call} {{ {fields} }} }}"


async def test_command_through_one_node_reaches_the_station_on_the_other(
    nodes, through_a, world, active
):  # type: ignore[no-untyped-def]
    _, b = nodes
    answers = {"Reset": {"status": "Rejected"}}
    async with station_on(b, world.org.slug, active.identifier, answers) as station:
        await eventually(held_by(active, "node-b"))
        accepted = await through_a(command("clearCache(stationId: $id)"), id=str(active.id))
        refused = await through_a(command("softReset(stationId: $id)"), id=str(active.id))
    assert accepted["result"] == {
        "command": {"state": "ACCEPTED", "error": None, "node": "node-b",
                    "response": {"status": "Accepted"}},
        "errors": [],
    }  # fmt: skip
    assert refused["result"]["command"]["state"] == "REJECTED"
    assert refused["result"]["errors"][0]["code"] == "COMMAND_REJECTED"
    assert station.calls == [("ClearCache", {}), ("Reset", {"type": "Soft"})]
    rows = await RemoteCommand.filter(station_id=active.id).order_by("created_at")
    assert [(r.action, r.state, r.node) for r in rows] == [
        ("ClearCache", "accepted", "node-b"),
        ("Reset", "rejected", "node-b"),
    ]
    # Gone from node B: offline for node A too, at once.
    await eventually(ChargingStation.filter(id=active.id, connected_node=None).exists)
    offline = await through_a(command("clearCache(stationId: $id)"), id=str(active.id))
    assert offline["result"]["errors"] == [
        {"code": "STATION_OFFLINE", "message": "Charging station is offline."}
    ]


async def test_a_station_moving_to_another_node_is_followed(nodes, through_a, world, active):  # type: ignore[no-untyped-def]
    a, b = nodes
    async with station_on(b, world.org.slug, active.identifier, {}):
        await eventually(held_by(active, "node-b"))
        async with station_on(a, world.org.slug, active.identifier, {}) as moved:
            await eventually(held_by(active, "node-a"))
            data = await through_a(command("clearCache(stationId: $id)"), id=str(active.id))
    assert data["result"]["command"]["node"] == "node-a"
    assert moved.calls == [("ClearCache", {})]


async def test_node_dying_fails_the_command_it_holds_with_a_reason(nodes, through_a, world, active):  # type: ignore[no-untyped-def]
    _, b = nodes
    async with station_on(b, world.org.slug, active.identifier, {"ClearCache": SILENT}) as station:
        await eventually(held_by(active, "node-b"))
        issued = asyncio.create_task(
            through_a(command("clearCache(stationId: $id)"), id=str(active.id))
        )
        await asyncio.wait_for(station.called.wait(), 10)
        b.process.kill()  # no goodbye: its lease runs out
        data = (await asyncio.wait_for(issued, COMMAND_TIMEOUT / 2))["result"]
    assert data["command"]["state"] == "FAILED"
    assert data["command"]["error"] == (
        "The server node holding the station's connection stopped after sending the command; "
        "whether the station acted is unknown."
    )
    assert data["errors"] == [
        {"code": "COMMAND_FAILED", "message": "Remote command execution failed."}
    ]
    # The dead node's stations are offline for the others.
    await eventually(ChargingStation.filter(id=active.id, connected_node=None).exists, LEASE * 4)


async def test_command_queued_for_a_node_that_just_died_is_never_sent(
    nodes, through_a, world, active
):  # type: ignore[no-untyped-def]
    _, b = nodes
    async with station_on(b, world.org.slug, active.identifier, {}) as station:
        await eventually(held_by(active, "node-b"))
        b.process.send_signal(signal.SIGSTOP)  # frozen: takes nothing from its inbox
        try:
            data = await through_a(command("clearCache(stationId: $id)"), id=str(active.id))
        finally:
            b.process.send_signal(signal.SIGCONT)
        # Thawed, node B finds the command given up on and does not send it.
        await asyncio.sleep(LEASE)
    assert data["result"]["command"]["state"] == "FAILED"
    assert data["result"]["command"]["error"] == (
        "The server node holding the station's connection stopped before sending the command."
    )
    assert station.calls == []
    row = await RemoteCommand.get(station_id=active.id)
    assert (row.state, row.sent_at) == ("failed", None)
