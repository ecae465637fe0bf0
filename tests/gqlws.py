"""A small graphql-transport-ws client for tests, spoken by hand over `websockets`."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from redis.asyncio import Redis
from websockets.typing import Subprotocol

from evcms.live_hub import LiveHub, channel

PROTOCOL = Subprotocol("graphql-transport-ws")
WAIT = 10.0  # seconds before a test gives up waiting (a hang guard, not a timing check)
_ids = itertools.count(1)


class GraphQLWebSocket:
    """One acknowledged connection: start operations, read what the server sends."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection

    async def subscribe(self, query: str, **variables: Any) -> str:
        operation_id = f"op{next(_ids)}"
        payload = {"query": query, "variables": variables}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        """The next message that is not a ping (answered with a pong)."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), WAIT)
            )
            if message["type"] != "ping":
                return message
            await self.send({"type": "pong"})

    async def next_data(self) -> dict[str, Any]:
        """The data of the next `next` message (fails on anything else)."""
        message = await self.receive()
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        data: dict[str, Any] = message["payload"]["data"]
        return data


@asynccontextmanager
async def graphql_ws(
    server: str,
    *,
    token: str | None = None,
    header_token: str | None = None,
    init_payload: dict[str, Any] | None = None,
) -> AsyncIterator[GraphQLWebSocket]:
    """Open /graphql, send connection_init (with `token` in its payload, or
    `init_payload`), wait for connection_ack. `header_token` goes into the HTTP
    Authorization header of the upgrade request instead."""
    headers = {"Authorization": f"Bearer {header_token}"} if header_token else {}
    if init_payload is None:
        init_payload = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(
        server.replace("http://", "ws://") + "/graphql",
        subprotocols=[PROTOCOL],
        additional_headers=headers,
        open_timeout=WAIT,
    ) as connection:
        client = GraphQLWebSocket(connection)
        await client.send({"type": "connection_init", "payload": init_payload})
        ack = await client.receive()
        assert ack["type"] == "connection_ack", ack
        yield client


async def wait_for_subscribers(
    redis: Redis, hub: LiveHub, organisation_id: uuid.UUID, count: int
) -> None:
    """Until exactly `count` live status subscribers of the organisation are on the
    server's hub, and the hub's one connection listens on the organisation's channel when
    there is any (the server subscribes when the operation starts, and
    graphql-transport-ws does not confirm it; it unsubscribes when the last one ends)."""
    name = channel(organisation_id)

    async def _wait() -> None:
        while True:
            ((_, listening),) = await redis.pubsub_numsub(name)
            if hub.subscribers(organisation_id) == count and int(listening) == min(count, 1):
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(_wait(), WAIT)
