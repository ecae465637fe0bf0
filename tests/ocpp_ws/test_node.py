"""A node's lease rounds on a real Redis: stations another node has taken over are dropped
here, each of them, even when a connection is already gone."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from domain.events import live
from ocpp_ws.node import Node
from ocpp_ws.router import station_key
from tests.ocpp_ws.conftest import eventually


async def nothing(change: live.Change) -> None:
    """A node that publishes no live status (no station of this test is in the database)."""


async def test_a_stale_connection_already_gone_does_not_end_the_round(
    redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    node = Node(redis, publish=nothing, name=f"test-{uuid.uuid4().hex[:6]}", lease=0.6)
    gone, alive = uuid.uuid4(), uuid.uuid4()
    closed: list[uuid.UUID] = []

    async def close_gone() -> None:  # the station had left already (SIGSTOP, then resumed)
        raise RuntimeError("Unexpected ASGI message 'websocket.close'")

    async def close_alive() -> None:
        closed.append(alive)

    session: Any = object()  # the registry only keeps it to tell connections apart
    await node.connections.register(gone, session, close_gone)
    await node.connections.register(alive, session, close_alive)
    await node.start()
    try:
        for sid in (gone, alive):  # both taken over by another node meanwhile
            await redis.set(station_key(sid), "another-node", ex=30)
        with caplog.at_level(logging.INFO, logger="evcms.ocpp.node"):

            async def dropped() -> bool:
                return closed == [alive]

            await eventually(dropped, 10)
            await asyncio.sleep(node.router.lease)  # another round or two
    finally:
        await node.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert "already closed" in caplog.text
