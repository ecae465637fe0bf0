"""Raw SQL access for the few queries the ORM cannot express; runs in the caller's transaction."""

from __future__ import annotations

from typing import Any

from tortoise.connection import get_connection


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    return await get_connection("default").execute_query_dict(sql, list(params))


async def execute(sql: str, *params: Any) -> int:
    count, _ = await get_connection("default").execute_query(sql, list(params))
    return count


async def advisory_lock(key: str) -> None:
    """Serialise callers on `key` until the transaction ends (so a uniqueness check made
    while holding it cannot race another insert)."""
    await execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)
