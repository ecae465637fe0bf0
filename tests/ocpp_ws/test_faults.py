"""Faults, counted: stations keep sending MeterValues (resending what was not acknowledged,
and now and then what was, as OCPP's at-least-once allows) to `evcms serve` in a subprocess
that reaches PostgreSQL and Redis through TCP proxies, while the database is cut or the node
is killed; afterwards every acknowledged reading is stored, and stored once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.typing import Subprotocol

from domain.charging.models import MeterSample
from domain.stations.models import ChargingStation
from tests import factories
from tests.ocpp_ws.conftest import STATION_PASSWORD, Station, basic_auth
from tests.proxies import Served, serve_through_proxies

STATIONS = 12  # each sending a reading about every 50 ms
READINGS = 100
BASE = datetime(2026, 1, 1, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture
async def node(database_url, server_urls, tmp_path: Path, clean) -> AsyncIterator[Served]:  # type: ignore[no-untyped-def]
    async with serve_through_proxies(
        database_url, server_urls[1], tmp_path, NODE_LEASE_SECONDS="2"
    ) as served:
        yield served


@pytest.fixture
async def fleet(world, station_password_hash) -> list[ChargingStation]:  # type: ignore[no-untyped-def]
    driver = await factories.charging_user(world.g1)
    await factories.access_right(driver, group=world.g1)
    await factories.token(driver, "TAG-FLEET")
    return [
        await factories.station(world.g1, ocpp_password_hash=station_password_hash)
        for _ in range(STATIONS)
    ]


@contextlib.asynccontextmanager
async def connected(base: str, slug: str, identifier: str) -> AsyncIterator[Station]:
    async with websockets.connect(
        f"{base}/ocpp/{slug}/{identifier}",
        subprotocols=[Subprotocol("ocpp1.6")],
        additional_headers=basic_auth(identifier, STATION_PASSWORD),
        open_timeout=10,
    ) as connection:
        yield Station(connection)


def reading(connector_tx: int, n: int) -> dict[str, Any]:
    at = (BASE + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
    sample = {"value": str(1000 + n), "unit": "Wh"}
    return {"connectorId": 1, "transactionId": connector_tx,
            "meterValue": [{"timestamp": at, "sampledValue": [sample]}]}  # fmt: skip


class Driven:
    """One station's run: what it sent, what was acknowledged; `base` is the node it
    (re)connects to."""

    def __init__(self, row: ChargingStation, base: str, slug: str) -> None:
        self.row, self.base, self.slug = row, base, slug
        self.acknowledged: set[int] = set()
        self.refused = 0
        self.transaction_id = 0

    async def start(self, station: Station) -> None:
        answer = await station.result(
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAG-FLEET", "meterStart": 1000,
             "timestamp": BASE.isoformat().replace("+00:00", "Z")},
        )  # fmt: skip
        self.transaction_id = int(answer["transactionId"])

    async def send(self, station: Station, n: int) -> bool:
        """One MeterValues; every seventh is sent again once acknowledged (as if its answer
        had been lost)."""
        for attempt in range(2 if n % 7 == 0 else 1):
            call = station.call("MeterValues", reading(self.transaction_id, n))
            answer = await asyncio.wait_for(call, 15)
            if answer[0] != 3:
                self.refused += 1
                return attempt > 0
            self.acknowledged.add(n)
        return True

    async def run(self, upto: int, *, pause: float = 0.05) -> None:
        """Send readings 0..upto-1 until each is acknowledged. After a reconnect the last
        acknowledged one is sent again too (its answer may not have arrived)."""
        n, reconnected = 0, False
        while n < upto:
            try:
                async with connected(self.base, self.slug, self.row.identifier) as station:
                    if not self.transaction_id:
                        await self.start(station)
                    if reconnected:
                        n = max(0, n - 1)
                    while n < upto:
                        if await self.send(station, n):
                            n += 1
                        await asyncio.sleep(pause)
            except (OSError, websockets.ConnectionClosed, websockets.InvalidStatus):
                reconnected = True
                await asyncio.sleep(0.3)  # the node went away: a station reconnects


async def stored(row: ChargingStation) -> list[datetime]:
    rows = MeterSample.filter(station_id=row.id).order_by("sampled_at")
    return list(await rows.values_list("sampled_at", flat=True))


async def eventually(check: Any, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "the stations did not get going"
        await asyncio.sleep(0.05)


def ws(url: str) -> str:
    return url.replace("http://", "ws://")


def check_stored_once(runs: list[Driven], times: list[list[datetime]]) -> None:
    for run, found in zip(runs, times, strict=True):
        assert len(found) == len(set(found)), f"{run.row.identifier}: a reading stored twice"
        seconds = {int((t - BASE).total_seconds()) for t in found}
        assert run.acknowledged <= seconds, "an acknowledged reading was lost"
        assert seconds == set(range(READINGS))


async def test_a_database_cut_loses_nothing_acknowledged_and_logs_once(  # type: ignore[no-untyped-def]
    node, world, fleet, station_password_hash
):
    runs = [Driven(row, ws(node.url), world.org.slug) for row in fleet]
    booting = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    async with connected(ws(node.url), world.org.slug, booting.identifier) as station:
        driving = [asyncio.ensure_future(r.run(READINGS)) for r in runs]
        await eventually(lambda: all(len(r.acknowledged) >= 3 for r in runs), 60)
        await node.postgres.stop()  # every connection to PostgreSQL cut, none accepted
        try:
            await asyncio.sleep(1.5)
            # A station that boots meanwhile is told to try again later, not refused.
            boot = await station.result(
                "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
            )
            assert (boot["status"], boot["interval"]) == ("Pending", 30)
            assert (await station.result("Heartbeat", {}))["currentTime"]
            status = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
            refused = await station.call("StatusNotification", status)
            assert refused[0] == 4 and refused[2] == "InternalError" and "later" in refused[3]
            await asyncio.sleep(1.5)
        finally:
            await node.postgres.start()
        await asyncio.wait_for(asyncio.gather(*driving), 120)

    assert sum(r.refused for r in runs) > 0  # the cut was felt
    check_stored_once(runs, [await stored(r.row) for r in runs])
    log = node.log.read_text()
    assert log.count("database unavailable") == 1, log[-3000:]
    assert log.count("database is back") == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


async def test_a_node_killed_loses_nothing_acknowledged(node, server, world, fleet):  # type: ignore[no-untyped-def]
    """The node dies mid-flow (SIGKILL); its stations reconnect to another node (the test
    server, same database and Redis) and resend what may not have been acknowledged."""
    runs = [Driven(row, ws(node.url), world.org.slug) for row in fleet]
    driving = [asyncio.ensure_future(r.run(READINGS)) for r in runs]
    await eventually(lambda: all(len(r.acknowledged) >= 3 for r in runs), 60)
    for run in runs:
        run.base = ws(server)
    node.process.send_signal(signal.SIGKILL)
    await node.process.wait()
    await asyncio.wait_for(asyncio.gather(*driving), 120)
    check_stored_once(runs, [await stored(r.row) for r in runs])
