"""Waiting on a condition instead of sleeping for a while: as fast as the server is, and a
clear failure when the condition never comes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.connection import get_connection

# A lock some other backend asks for and has not been granted (row, table or advisory lock).
WAITING_ON_A_LOCK = "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"


async def eventually(
    check: Callable[[], Awaitable[bool]], seconds: float = 5, what: str = "the condition"
) -> None:
    """Return once `check()` is true; fail after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"{what} did not come"
        await asyncio.sleep(0.02)


async def waits_on_a_lock(pending: asyncio.Future[Any], seconds: float = 5) -> None:
    """Return once a database backend waits for a lock while `pending` runs; fail if
    `pending` finished first (it never waited)."""

    async def waiting() -> bool:
        assert not pending.done(), f"it finished without waiting on a lock: {pending!r}"
        _, rows = await get_connection("default").execute_query(WAITING_ON_A_LOCK)
        return int(rows[0][0]) > 0

    await eventually(waiting, seconds, what="a transaction waiting on a lock")
