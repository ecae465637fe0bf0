"""A station in a test is a real websocket client speaking OCPP-J 1.6 to the real server."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from starlette.applications import Starlette
from websockets.typing import Subprotocol

from domain.operators.passwords import hash_password
from domain.stations.models import ChargingStation
from ocpp_ws import commands
from tests import factories

STATION_PASSWORD = "station-secret-0123"
_ids = itertools.count(1)


class Station:
    """One OCPP-J connection: send CALLs, read what comes back."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection

    async def send_raw(self, text: str) -> None:
        await self.connection.send(text)

    async def receive(self) -> list[Any]:
        frame = await self.connection.recv()
        return list(json.loads(frame))

    async def call(self, action: str, payload: Any) -> list[Any]:
        """Send a CALL and return the CALLRESULT or CALLERROR frame answering it."""
        unique_id = f"m{next(_ids)}"
        await self.send_raw(json.dumps([2, unique_id, action, payload]))
        answer = await self.receive()
        assert answer[1] == unique_id, answer
        return answer

    async def result(self, action: str, payload: Any) -> dict[str, Any]:
        answer = await self.call(action, payload)
        assert answer[0] == 3, answer
        return dict(answer[2])


def basic_auth(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


Connect = Callable[..., Any]


@pytest.fixture
def ws_base(server: str, clean: None) -> str:
    return server.replace("http://", "ws://") + "/ocpp"


@pytest.fixture
def connect(ws_base: str) -> Connect:
    """`async with connect(org_slug, identifier, password=...) as station:`"""

    @asynccontextmanager
    async def _connect(
        organisation: str,
        identifier: str,
        *,
        password: str | None = STATION_PASSWORD,
        username: str | None = None,
        subprotocols: tuple[str, ...] = ("ocpp1.6",),
        source: str | None = None,
    ) -> AsyncIterator[Station]:
        """`source`: the client's address (any 127.x.y.z reaches the server)."""
        headers = basic_auth(username or identifier, password) if password is not None else {}
        local = {"local_addr": (source, 0)} if source else {}
        async with websockets.connect(
            f"{ws_base}/{organisation}/{identifier}",
            subprotocols=[Subprotocol(p) for p in subprotocols] or None,
            additional_headers=headers,
            open_timeout=10,
            **local,
        ) as connection:
            yield Station(connection)

    return _connect


@pytest.fixture(scope="session")
def station_password_hash() -> str:
    return hash_password(STATION_PASSWORD)


Snapshot = Callable[[], Awaitable[Any]]


COMMAND = "command { action payload state response error issuedBy stationId }"
FIELDS = f"{{ {COMMAND} errors {{ code field message }} }}"
ERROR = "error"  # answer with a CALLERROR
SILENT = "silent"  # never answer


def mutation(call: str) -> str:
    """A remote-command mutation on station `$id`, aliased `result`."""
    return f"mutation($id: ID!) {{ result: {call} {FIELDS} }}"


class AnsweringStation:
    """Answers the central system's CALLs (a payload per action, a CALLERROR, or nothing;
    or a function of the CALL's payload returning one of those) while it can still send
    CALLs of its own (`call`, `result`)."""

    def __init__(self, station: Station, answers: dict[str, Any]) -> None:
        self.station = station
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.called = asyncio.Event()
        self._pending: dict[str, asyncio.Future[list[Any]]] = {}

    async def serve(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                frame = await self.station.receive()
                if frame[0] in (3, 4):
                    future = self._pending.pop(frame[1], None)
                    if future is not None:
                        future.set_result(frame)
                    continue
                _, unique_id, action, payload = frame
                self.calls.append((action, payload))
                self.called.set()
                answer = self.answers.get(action, {"status": "Accepted"})
                if callable(answer):  # an answer that depends on the payload
                    answer = answer(payload)
                if answer == SILENT:
                    continue
                if answer == ERROR:
                    reply = [4, unique_id, "InternalError", "boom", {}]
                else:
                    reply = [3, unique_id, answer]
                await self.station.send_raw(json.dumps(reply))

    async def call(self, action: str, payload: Any) -> list[Any]:
        unique_id = f"s{next(_ids)}"
        future = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        await self.station.send_raw(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(future, 10)

    async def result(self, action: str, payload: Any) -> dict[str, Any]:
        answer = await self.call(action, payload)
        assert answer[0] == 3, answer
        return dict(answer[2])


async def eventually(check: Callable[[], Awaitable[bool]], seconds: float = 5) -> None:
    """Wait until the server has caught up with what a client did (a closed socket, say)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the server did not catch up"
        await asyncio.sleep(0.02)


@pytest.fixture
def short_timeout(app: Starlette) -> Iterator[None]:
    """Remote commands wait half a second for an answer."""
    app.state.node.command_timeout = 0.5
    yield
    app.state.node.command_timeout = commands.DEFAULT_TIMEOUT


@pytest.fixture
async def active(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    """A station in group g1 with 2 points, and a driver with token 04A1B2C3."""
    driver = await factories.charging_user(world.g1)
    await factories.token(driver, "04A1B2C3")
    return await factories.station(world.g1, points=2, ocpp_password_hash=station_password_hash)


@pytest.fixture
def online(connect, world, active):  # type: ignore[no-untyped-def]
    """`async with online(answers) as station:` the active station, connected and answering."""

    @contextlib.asynccontextmanager
    async def _online(answers: dict[str, Any] | None = None) -> AsyncIterator[AnsweringStation]:
        async with connect(world.org.slug, active.identifier) as station:
            await station.result("Heartbeat", {})  # registered once it answers
            answering = AnsweringStation(station, answers or {})
            task = asyncio.create_task(answering.serve())
            try:
                yield answering
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return _online
