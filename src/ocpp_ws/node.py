"""This server node's part in the cluster: it holds some stations' websockets, renews their
leases in Redis, serves commands for them from any node, and marks the stations of nodes
that died without a word as offline. It owns what its connections share: the registry of
connections, the group-commit writer, and how long a command waits for its answer."""

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

from domain.commands.service import Reply, Request
from domain.events import connection, live
from ocpp_ws import commands
from ocpp_ws.batching import GroupCommit
from ocpp_ws.outage import REDIS, Outages
from ocpp_ws.pipeline import Session
from ocpp_ws.registry import Close, Connections
from ocpp_ws.router import Router
from ocpp_ws.throttle import HandshakeThrottle, Limits

log = logging.getLogger("evcms.ocpp.node")
BACKGROUND = "evcms-background:"  # the name prefix of tasks no request waits for
DEFAULT_MAX_FRAME_BYTES = 1_000_000  # as OCPP_MAX_FRAME_BYTES's default


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
        command_timeout: float = commands.DEFAULT_TIMEOUT,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        handshake_limits: Limits | None = None,
    ) -> None:
        self.name = name or default_name()
        self.connections = Connections()
        self.max_frame_bytes = max_frame_bytes  # the largest frame a station may send
        self.handshakes = HandshakeThrottle(redis, handshake_limits)
        self.outages = Outages()  # the dependencies this node has lost, told once
        self.command_timeout = command_timeout  # seconds a command waits for its answer
        self.router = Router(
            redis,
            self.name,
            run_local=self.run_local,
            holds=lambda sid: self.connections.connected(sid) is not None,
            release=self._drop,
            timeout=lambda: self.command_timeout,
            lease=lease,
            outages=self.outages,
        )
        self._task: asyncio.Task[Any] | None = None
        self._writer: GroupCommit | None = None
        self.publish = publish  # live status, once a change is committed

    @property
    def writer(self) -> GroupCommit:
        """The group-commit writer of this node's MeterValues and Heartbeats."""
        if self._writer is None:
            raise RuntimeError("the node has not been started")
        return self._writer

    async def run_local(self, request: Request, node: str) -> Reply:
        return await commands.run_local(
            request, node, connections=self.connections, seconds=self.command_timeout
        )

    async def start(self) -> None:
        self._writer = GroupCommit()
        await self.router.start()
        # Named so that tests counting a request's statements can leave it out.
        self._task = asyncio.create_task(self._keep_leases(), name=f"{BACKGROUND} node leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for sid in self.connections.station_ids():
            with contextlib.suppress(Exception):
                await connection.record_disconnected(station_id=sid, node=self.name)
        await self.router.stop()
        if self._writer is not None:
            await self._writer.close()

    async def attach(self, station_id: uuid.UUID, session: Session, close: Close) -> None:
        """The station's websocket is now on this node (closing an older one here)."""
        await self.connections.register(station_id, session, close)
        await self.router.claim_station(station_id)
        now = datetime.now(UTC)
        await connection.record_connected(station_id=station_id, node=self.name, at=now)
        await self.publish(live.connection_change(station_id, connected=True, at=now))

    async def detach(self, station_id: uuid.UUID, session: Session) -> None:
        """The websocket ended; the station is offline unless it reconnected meanwhile."""
        if not self.connections.unregister(station_id, session):
            return
        await self.router.release_station(station_id)
        if await connection.record_disconnected(station_id=station_id, node=self.name):
            change = live.connection_change(station_id, connected=False, at=datetime.now(UTC))
            await self.publish(change)

    async def _drop(self, station_id: uuid.UUID) -> None:
        """The station connected to another node: our connection to it is stale."""
        connection = self.connections.connected(station_id)
        if connection is None:
            return
        log.info("station %s moved to another node: closing its connection here", station_id)
        try:
            await connection.close()
        except Exception as error:  # the station had already left: nothing to close
            log.info("the connection of station %s was already closed (%r)", station_id, error)

    async def _keep_leases(self) -> None:
        period = max(0.2, self.router.lease / 3)
        rounds = 0
        while True:
            await asyncio.sleep(period)
            try:
                held = self.connections.station_ids()
                moved = await self.router.renew(held)
                for sid in moved:
                    await self._drop(sid)
                rounds += 1
                if rounds % 3 == 0:
                    # Another node may have marked ours offline while we could not renew.
                    ours = [sid for sid in held if sid not in moved]
                    await connection.reassert_presence(station_ids=ours, node=self.name)
                    await self._forget_dead_nodes()
            except Exception as error:  # Redis or the database restarting: the next round retries
                if self.outages.failed(error, refused=0) is None:
                    log.exception("renewing the leases of node %s failed", self.name)
            else:
                self.outages.recovered(REDIS)

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
