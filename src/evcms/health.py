"""Readiness checks that answer in bounded time, even when a dependency hangs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger("evcms")

# Long enough for a loaded server, short enough for a load balancer's probe.
PING_TIMEOUT = 2.0

# Checks given up on, still unwinding: referenced so they are not collected mid-way.
_abandoned: set[asyncio.Future[object]] = set()


async def answers_within(check: Awaitable[object], seconds: float, *, what: str) -> bool:
    """Whether `check` completes with a true result within `seconds`.

    A check that does not is cancelled and left to unwind in the background: its clean-up
    (a pool waiting for a hung server to acknowledge the cancellation) must not hold up
    the answer."""
    task = asyncio.ensure_future(check)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if not done:
        log.warning("readiness: %s did not answer within %s s", what, seconds)
        _abandon(task)
        return False
    if task.exception() is not None:
        log.warning("readiness: %s did not answer: %r", what, task.exception())
        return False
    return bool(task.result())


def _abandon(task: asyncio.Future[object]) -> None:
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Future[object]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not report it as never retrieved
