"""Commands from any node to the node holding the station's websocket, through Redis.

Keys (all under `evcms:`):
- `node:{node}:alive`     this node is up; a lease it renews every `lease / 3` seconds
- `station:{id}:node`     which node holds the station's websocket; a lease renewed alike
- `node:{node}:inbox`     a list of requests for the node, taken with BLPOP (once); also
                          "release" notices: the station reconnected to another node
- `command:{id}:claim`    "taken" by the node before it sends, or "abandoned" by the caller
                          who gave up: SET NX, so a command is never run twice
- `command:{id}:reply`    a list the node pushes the outcome onto; the caller BLPOPs it

A caller whose node dies while it waits finds the node's lease gone: a request still in the
inbox is abandoned (failed, never sent); one the node had taken failed with its outcome
unknown. Nothing is lost silently."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, cast

from redis.asyncio import Redis

from domain.commands.service import NODE_LOST, Delivery, Reply, Request
from ocpp_ws.outage import REDIS, Outages

log = logging.getLogger("evcms.ocpp.router")

PREFIX = "evcms:"
GRACE = 5.0  # seconds a caller waits beyond the command timeout for the node's reply
CLAIM_TTL = 3600
NEVER_SENT = f"{NODE_LOST} before sending the command."
UNKNOWN = f"{NODE_LOST} after sending the command; whether the station acted is unknown."

LocalRun = Callable[[Request, str], Awaitable[Reply]]
Release = Callable[[uuid.UUID], Awaitable[None]]

# Renew each station lease (KEYS) that is still this node's (ARGV[1]) or has lapsed; one
# flag per key: 1 renewed, 0 another node holds it.
RENEW = """
local out = {}
for i, key in ipairs(KEYS) do
  local holder = redis.call('GET', key)
  if holder == false or holder == ARGV[1] then
    redis.call('SET', key, ARGV[1], 'EX', ARGV[2])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""


def alive_key(node: str) -> str:
    return f"{PREFIX}node:{node}:alive"


def station_key(station_id: uuid.UUID | str) -> str:
    return f"{PREFIX}station:{station_id}:node"


def inbox_key(node: str) -> str:
    return f"{PREFIX}node:{node}:inbox"


def claim_key(command_id: uuid.UUID | str) -> str:
    return f"{PREFIX}command:{command_id}:claim"


def reply_key(command_id: uuid.UUID | str) -> str:
    return f"{PREFIX}command:{command_id}:reply"


async def _blpop(redis: Redis, key: str, seconds: float) -> Any:
    """BLPOP one key; Redis 6+ takes a fractional timeout, which redis-py types as int."""
    return await cast(Awaitable[Any], redis.blpop([key], timeout=seconds))  # type: ignore[arg-type]


def _encode(reply: Reply) -> str:
    return json.dumps({**asdict(reply), "delivery": reply.delivery.value})


def _decode(text: str | bytes) -> Reply:
    data = json.loads(text)
    return Reply(Delivery(data["delivery"]), data["payload"], data["error"], data["node"])


class Router:
    """The command-routing client of every process; `serve` nodes also run an inbox."""

    def __init__(
        self,
        redis: Redis,
        node: str,
        *,
        run_local: LocalRun | None = None,
        holds: Callable[[uuid.UUID], bool] = lambda _: False,
        release: Release | None = None,
        timeout: Callable[[], float] = lambda: 30.0,
        lease: float = 15.0,
        outages: Outages | None = None,
    ) -> None:
        self.redis, self.node = redis, node
        self.outages = outages or Outages()
        self._run_local, self._holds, self._release = run_local, holds, release
        self._timeout, self.lease = timeout, lease
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- the caller's side -------------------------------------------------------------

    async def dispatch(self, request: Request) -> Reply:
        """Run the request where the station is connected and return the outcome."""
        if self._run_local is not None and self._holds(request.station_id):
            return await self._run_local(request, self.node)
        node = await self.redis.get(station_key(request.station_id))
        holder = node.decode() if isinstance(node, bytes) else node
        if holder is None or holder == self.node or not await self._alive(holder):
            return Reply(Delivery.OFFLINE)
        timeout = self._timeout()
        message = {**asdict(request), "command_id": str(request.command_id)}
        message["station_id"] = str(request.station_id)
        message["deadline"] = time.time() + timeout
        await cast(Awaitable[int], self.redis.rpush(inbox_key(holder), json.dumps(message)))
        return await self._await_reply(request.command_id, holder, timeout + GRACE)

    async def _alive(self, node: str) -> bool:
        return bool(await self.redis.exists(alive_key(node)))

    async def _await_reply(self, command_id: uuid.UUID, node: str, wait: float) -> Reply:
        deadline = asyncio.get_running_loop().time() + wait
        while (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            item = await _blpop(self.redis, reply_key(command_id), min(1.0, remaining))
            if item is not None:
                return _decode(item[1])
            if not await self._alive(node):
                return await self._give_up(command_id, node, lost=True)
        return await self._give_up(command_id, node, lost=False)

    async def _give_up(self, command_id: uuid.UUID, node: str, *, lost: bool) -> Reply:
        abandoned = await self.redis.set(claim_key(command_id), "abandoned", nx=True, ex=CLAIM_TTL)
        if lost:
            return Reply(Delivery.LOST, error=NEVER_SENT if abandoned else UNKNOWN, node=node)
        return Reply(Delivery.TIMEOUT, node=node)

    # --- the node's side ---------------------------------------------------------------

    async def start(self) -> None:
        """Announce this node and serve its inbox until `stop`."""
        await self.redis.set(alive_key(self.node), "1", ex=self._lease_seconds())
        self._spawn(self._serve_inbox())

    async def stop(self) -> None:
        """Stop serving and withdraw the node's lease (callers waiting on it give up)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        with contextlib.suppress(Exception):
            await self.redis.delete(alive_key(self.node))

    def _lease_seconds(self) -> int:
        return max(1, round(self.lease))

    async def renew(self, station_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        """Renew the node's lease and those of its stations; returns the stations another
        node has taken over meanwhile (this node's connection to them is stale)."""
        await self.redis.set(alive_key(self.node), "1", ex=self._lease_seconds())
        if not station_ids:
            return []
        keys = [station_key(sid) for sid in station_ids]
        kept = await cast(
            Awaitable[list[int]],
            self.redis.eval(RENEW, len(keys), *keys, self.node, str(self._lease_seconds() * 2)),
        )
        return [sid for sid, ok in zip(station_ids, kept, strict=True) if not ok]

    async def claim_station(self, station_id: uuid.UUID) -> None:
        """This node holds the station now; the node that held it before drops its (stale)
        connection."""
        previous = await self.redis.set(
            station_key(station_id), self.node, ex=self._lease_seconds() * 2, get=True
        )
        holder = previous.decode() if isinstance(previous, bytes) else previous
        if holder and holder != self.node:
            control = {"kind": "release", "station_id": str(station_id), "by": self.node}
            await cast(Awaitable[int], self.redis.rpush(inbox_key(holder), json.dumps(control)))

    async def release_station(self, station_id: uuid.UUID) -> None:
        """Forget the station's lease, unless another node has taken it over."""
        key = station_key(station_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            if (await pipe.get(key)) in (self.node, self.node.encode()):
                pipe.multi()
                pipe.delete(key)
                with contextlib.suppress(Exception):  # changed meanwhile: not ours any more
                    await pipe.execute()

    async def nodes_alive(self, nodes: list[str]) -> dict[str, bool]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for node in nodes:
                pipe.exists(alive_key(node))
            found = await pipe.execute()
        return {node: bool(n) for node, n in zip(nodes, found, strict=True)}

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve_inbox(self) -> None:
        while True:
            try:
                item = await _blpop(self.redis, inbox_key(self.node), 1)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis restarting: try again shortly
                if self.outages.failed(error, refused=0) is None:
                    log.exception("reading the command inbox of %s failed", self.node)
                await asyncio.sleep(1)
                continue
            self.outages.recovered(REDIS)
            if item is None:
                continue
            message = json.loads(item[1])
            if message.get("kind") == "release":
                if self._release is not None:
                    self._spawn(self._release(uuid.UUID(message["station_id"])))
            else:
                self._spawn(self._handle(message))

    async def _handle(self, message: dict[str, Any]) -> None:
        command_id = message["command_id"]
        request = Request(
            uuid.UUID(command_id),
            uuid.UUID(message["station_id"]),
            message["action"],
            message["payload"],
        )
        taken = await self.redis.set(claim_key(command_id), "taken", nx=True, ex=CLAIM_TTL)
        if not taken or time.time() > float(message["deadline"]):
            return  # the caller gave up on it: never send it
        try:
            if self._run_local is None:
                reply = Reply(Delivery.OFFLINE, node=self.node)
            else:
                reply = await self._run_local(request, self.node)
        except Exception as error:
            log.exception("command %s failed on node %s", command_id, self.node)
            reply = Reply(Delivery.CALL_ERROR, error=str(error), node=self.node)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(reply_key(command_id), _encode(reply))
            pipe.expire(reply_key(command_id), 60)
            await pipe.execute()
