"""A station in a test is a real websocket client speaking OCPP-J 1.6 to the real server."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websockets
from websockets.typing import Subprotocol

from domain.operators.passwords import hash_password

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
    ) -> AsyncIterator[Station]:
        headers = basic_auth(username or identifier, password) if password is not None else {}
        async with websockets.connect(
            f"{ws_base}/{organisation}/{identifier}",
            subprotocols=[Subprotocol(p) for p in subprotocols] or None,
            additional_headers=headers,
            open_timeout=10,
        ) as connection:
            yield Station(connection)

    return _connect


@pytest.fixture(scope="session")
def station_password_hash() -> str:
    return hash_password(STATION_PASSWORD)


Snapshot = Callable[[], Awaitable[Any]]
