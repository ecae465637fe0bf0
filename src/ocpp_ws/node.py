"""This server node's part in the cluster: it holds some stations' websockets, renews their
leases in Redis, serves commands for them from any node, and marks the stations of nodes
that died without a word as offline."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import uuid
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from tortoise.transactions import in_transaction

from domain.events import connection, live
from ocpp_ws import commands, registry
from ocpp_ws.registry import Close
from ocpp_ws.router import Router

log = logging.getLogger("evcms.ocpp.node")
BACKGROUND = "evcms-background:"  # the name prefix of tasks no request waits for


def default_name() -> str:
    """host-pid-random: unique per process, readable in logs and the command history."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(3)}"


class Node:
    def __init__(
        self,
        redis: Redis,
        *,
        publish: live.Publisher,
        name: str | None = None,
        lease: float = 15.0,
    ) -> None:
        self.name = name or default_name()
        self.router = Router(
            redis,
            self.name,
            run_local=commands.run_local,
            holds=lambda sid: registry.connected(sid) is not None,
            release=self._drop,
            timeout=commands.command_timeout,
            lease=lease,
        )
        self._task: asyncio.Task[Any] | None = None
        self.publish = publish  # live status, once a change is committed

    async def start(self) -> None:
        await self.router.start()
        # Named so that tests counting a request's statements can leave it out.
        self._task = asyncio.create_task(self._keep_leases(), name=f"{BACKGROUND} node leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sid in registry.station_ids():
            with contextlib.suppress(Exception):
                await connection.record_disconnected(station_id=sid, node=self.name)
        await self.router.stop()

    async def attach(self, station_id: uuid.UUID, charge_point: Any, close: Close) -> None:
        """The station's websocket is now on this node (closing an older one here)."""
        await registry.register(station_id, charge_point, close)
        await self.router.claim_station(station_id)
        now = datetime.now(UTC)
        await connection.record_connected(station_id=station_id, node=self.name, at=now)
        await self.publish(live.connection_change(station_id, connected=True, at=now))

    async def detach(self, station_id: uuid.UUID, charge_point: Any) -> None:
        """The websocket ended; the station is offline unless it reconnected meanwhile."""
        if not registry.unregister(station_id, charge_point):
            return
        await self.router.release_station(station_id)
        if await connection.record_disconnected(station_id=station_id, node=self.name):
            change = live.connection_change(station_id, connected=False, at=datetime.now(UTC))
            await self.publish(change)

    async def _drop(self, station_id: uuid.UUID) -> None:
        """The station connected to another node: our connection to it is stale."""
        connection = registry.connected(station_id)
        if connection is not None:
            log.info("station %s moved to another node: closing its connection here", station_id)
            await connection.close()

    async def _keep_leases(self) -> None:
        period = max(0.2, self.router.lease / 3)
        rounds = 0
        while True:
            await asyncio.sleep(period)
            try:
                held = registry.station_ids()
                moved = await self.router.renew(held)
                for sid in moved:
                    await self._drop(sid)
                rounds += 1
                if rounds % 3 == 0:
                    # Another node may have marked ours offline while we could not renew.
                    ours = [sid for sid in held if sid not in moved]
                    await connection.reassert_presence(station_ids=ours, node=self.name)
                    await self._forget_dead_nodes()
            except Exception:  # Redis or the database restarting: the next round retries
                log.exception("renewing the leases of node %s failed", self.name)

    async def _forget_dead_nodes(self) -> None:
        nodes = [n for n in await connection.nodes_holding_stations() if n != self.name]
        alive = await self.router.nodes_alive(nodes)
        dead = [n for n, up in alive.items() if not up]
        if dead:
            async with in_transaction():
                offline = await connection.forget_nodes(dead)
            log.info("nodes %s stopped: %s stations offline", ", ".join(dead), len(offline))
            now = datetime.now(UTC)
            for sid in offline:
                await self.publish(live.connection_change(sid, connected=False, at=now))
