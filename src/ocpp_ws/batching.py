"""Group commit for the messages every station sends all the time (MeterValues, Heartbeat).

One transaction per message costs a few round trips and a commit each; under load that, not
the work, caps the message rate. Instead the handlers of all connections hand their writes
to one writer task, which stores everything that arrived meanwhile in one statement (the
samples of many messages inserted and the last-seen times of their stations updated together,
atomic without a transaction) and then releases each waiting handler, so that a message is
still answered only once it is committed. When a batch fails, each of its messages is
retried alone: one bad message fails only its own answer (a CALLERROR), never another
station's samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import uuid
from datetime import datetime
from typing import NamedTuple

from domain.charging import service as charging
from ocpp_ws.outage import dependency_lost

log = logging.getLogger("evcms.ocpp")

# Messages in one statement, and statements in flight. Stations answered together send
# again together: without a cap each batch would hold all of them, and the database and this
# process would take turns idling; with it, batches overlap (one commits, the next is sent,
# the answers of a third are being handled).
MAX_BATCH = 500
CONCURRENT_BATCHES = 3


class _Write(NamedTuple):
    station_id: uuid.UUID
    seen_at: datetime
    report: charging.MeterReport | None
    done: asyncio.Future[None]


async def _commit(writes: list[_Write]) -> None:
    seen: dict[uuid.UUID, datetime] = {}
    for write in writes:
        if write.station_id not in seen or seen[write.station_id] < write.seen_at:
            seen[write.station_id] = write.seen_at
    reports = [write.report for write in writes if write.report is not None]
    await charging.record_meter_values_many(reports, seen=seen)  # one statement


class GroupCommit:
    """The writer of one node (`ocpp_ws.node.Node.writer`), started in its event loop:
    `await write(...)` returns once it is committed."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._pending: list[_Write] = []
        self._wakeup = asyncio.Event()
        self._slots = asyncio.Semaphore(CONCURRENT_BATCHES)
        self._writing: set[asyncio.Task[None]] = set()
        # A context of its own: the writer must not inherit a caller's transaction.
        self._task = self._loop.create_task(self._run(), context=contextvars.Context())
        self.batches = 0  # how many transactions it committed (for tests and benchmarks)

    async def write(
        self,
        *,
        station_id: uuid.UUID,
        seen_at: datetime,
        report: charging.MeterReport | None = None,
    ) -> None:
        """Store the samples (if any) and the station's last-seen time; raises what the
        database raised when this write, retried alone, failed."""
        done = self._loop.create_future()
        self._pending.append(_Write(station_id, seen_at, report, done))
        self._wakeup.set()
        await done

    async def close(self) -> None:
        """Stop taking writes, once those in flight are committed."""
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                await self._slots.acquire()
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                task = self._loop.create_task(self._write_and_free(batch))
                self._writing.add(task)
                task.add_done_callback(self._writing.discard)

    async def _write_and_free(self, batch: list[_Write]) -> None:
        try:
            await self._write(batch)
        finally:
            self._slots.release()

    async def _write(self, batch: list[_Write]) -> None:
        try:
            await _commit(batch)
        except Exception as error:
            if len(batch) == 1 or dependency_lost(error) is not None:
                for write in batch:  # alone, or no database to retry against
                    _fail(write, error)
                return
            log.warning("a batch of %d writes failed (%r): retrying each alone", len(batch), error)
            for write in batch:
                try:
                    await _commit([write])
                except Exception as alone:
                    _fail(write, alone)
                else:
                    self.batches += 1
                    _succeed(write)
            return
        self.batches += 1
        for write in batch:
            _succeed(write)


def _succeed(write: _Write) -> None:
    if not write.done.done():  # its handler may have gone (the connection closed)
        write.done.set_result(None)


def _fail(write: _Write, error: Exception) -> None:
    if not write.done.done():
        write.done.set_exception(error)
