"""The OCPP-J side of a simulated station: a websocket client that sends one CALL at a
time and waits for its answer, and answers the central system's CALLs as they come."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import websockets
from websockets.typing import Subprotocol

log = logging.getLogger("evcms.simulate")

SUBPROTOCOL = Subprotocol("ocpp1.6")
CALL, CALLRESULT, CALLERROR = 2, 3, 4
Answer = tuple[dict[str, Any], Any]


class CallError(Exception):
    """A CALLERROR: received from the central system, or sent to it."""

    def __init__(self, code: str, description: str = "", details: Any = None) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.details = details or {}


@dataclass
class Stats:
    """Counters shared by every station of a simulation (one event loop: no locks)."""

    stations: int = 0
    connected: int = 0
    accepted: int = 0  # BootNotification answered Accepted
    calls_sent: int = 0  # CALLs answered by the central system
    calls_answered: int = 0  # the central system's CALLs we answered
    call_errors: int = 0  # CALLERRORs received, or CALLs that timed out
    transactions_started: int = 0
    transactions_stopped: int = 0
    connection_failures: int = 0
    last_error: str = ""
    by_action: dict[str, int] = field(default_factory=dict)

    @property
    def messages(self) -> int:
        return self.calls_sent + self.calls_answered

    @property
    def active_transactions(self) -> int:
        return self.transactions_started - self.transactions_stopped


def basic_auth(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class OcppClient:
    """One OCPP-J 1.6 connection as a charge point speaks it."""

    call_timeout = 30.0

    def __init__(self, identifier: str, base_url: str, password: str | None, stats: Stats) -> None:
        self.identifier = identifier
        self.url = f"{base_url.rstrip('/')}/{identifier}"
        self.password = password
        self.stats = stats
        self.received: list[tuple[str, dict[str, Any]]] = []  # the central system's CALLs
        self._connection: websockets.ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._call_lock = asyncio.Lock()
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = asyncio.Event()

    def answer_call(self, action: str, payload: dict[str, Any]) -> Answer:
        """(answer payload, follow-up coroutine function or None); CallError to refuse."""
        raise CallError("NotImplemented", f"{action} is not handled")

    async def connect(self, open_timeout: float = 30.0) -> None:
        headers = basic_auth(self.identifier, self.password) if self.password is not None else {}
        self._connection = await websockets.connect(
            self.url,
            subprotocols=[SUBPROTOCOL],
            additional_headers=headers,
            open_timeout=open_timeout,
            max_queue=None,
        )
        self.closed.clear()
        self.stats.connected += 1
        self._reader = asyncio.create_task(self._read(self._connection))

    def _cancel_tasks(self) -> None:
        """Cancel the follow-ups and loops, except the one calling (a reset's reboot)."""
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()

    async def close(self) -> None:
        """Close the websocket (what a powered-off station does; transactions stay open)."""
        self._cancel_tasks()
        connection, reader = self._connection, self._reader
        self._connection = self._reader = None
        if connection is not None:
            await connection.close()
        if reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read(self, connection: websockets.ClientConnection) -> None:
        try:
            async for frame in connection:
                await self._dispatch(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.stats.connected -= 1
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ConnectionError("connection closed"))
            self._pending.clear()
            self.closed.set()

    async def _dispatch(self, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
            kind, unique_id = message[0], str(message[1])
        except (ValueError, TypeError, IndexError, KeyError):
            log.warning("%s: ignoring a frame that is not OCPP-J: %r", self.identifier, frame)
            return
        if kind == CALL:
            await self._answer(unique_id, str(message[2]), message[3])
            return
        future = self._pending.pop(unique_id, None)
        if future is None or future.done():
            return
        if kind == CALLRESULT:
            future.set_result(message[2])
        else:
            future.set_exception(CallError(*message[2:5]))

    async def _answer(self, unique_id: str, action: str, payload: dict[str, Any]) -> None:
        """Answer the central system's CALL at once; what it asks for runs afterwards."""
        self.received.append((action, payload))
        try:
            response, then = self.answer_call(action, payload)
            reply: list[Any] = [CALLRESULT, unique_id, response]
        except CallError as error:
            reply, then = [CALLERROR, unique_id, error.code, error.description, {}], None
        await self._emit(reply)
        self.stats.calls_answered += 1
        if then is not None:
            self.spawn(then())

    async def _emit(self, message: list[Any]) -> None:
        if self._connection is None:
            raise ConnectionError("not connected")
        await self._connection.send(json.dumps(message, separators=(",", ":")))

    def spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task[Any]:
        """Run a follow-up (the requested message, the remote start) as its own task."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        error = None if task.cancelled() else task.exception()
        gone = isinstance(error, ConnectionError | websockets.ConnectionClosed)
        if error is not None and not gone:
            self.stats.last_error = f"{self.identifier}: {error!r}"
            log.warning("%s: %r", self.identifier, error)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and wait for its CALLRESULT payload (a CALLERROR raises CallError)."""
        async with self._call_lock:
            unique_id = str(next(self._ids))
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = future
            try:
                await self._emit([CALL, unique_id, action, payload])
                result = await asyncio.wait_for(future, self.call_timeout)
            except (CallError, TimeoutError) as error:
                self.stats.call_errors += 1
                self.stats.last_error = f"{self.identifier} {action}: {error}"
                raise
            finally:
                self._pending.pop(unique_id, None)
        self.stats.calls_sent += 1
        self.stats.by_action[action] = self.stats.by_action.get(action, 0) + 1
        return dict(result)
