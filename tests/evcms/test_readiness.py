"""/readyz against real dependencies that go away: `evcms serve` in a subprocess reaches the
real PostgreSQL and Redis through TCP proxies run here, which the tests stop or freeze."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.connection import get_connection

from tests.proxies import Proxy, serve_through_proxies


@dataclass
class Node:
    url: str
    postgres: Proxy
    redis: Proxy

    async def readyz(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.get("/readyz")
        return response.status_code, response.json()

    async def until(self, expected: tuple[int, dict[str, Any]]) -> None:
        """Wait until /readyz answers `expected` (a pool reconnects on its own schedule)."""
        answer = None
        for _ in range(60):
            answer = await self.readyz()
            if answer == expected:
                return
            await asyncio.sleep(0.5)
        raise AssertionError(f"/readyz kept answering {answer}, not {expected}")


READY = (200, {"ready": True, "database": True, "redis": True})
REDIS_DOWN = (503, {"ready": False, "database": True, "redis": False})
DATABASE_DOWN = (503, {"ready": False, "database": False, "redis": True})


@pytest.fixture(scope="module")
async def node(
    database_url: str, server_urls: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Node]:
    """`evcms serve` using the test database and Redis, each through a proxy."""
    workdir: Path = tmp_path_factory.mktemp("node")  # no .env
    async with serve_through_proxies(database_url, server_urls[1], workdir) as served:
        yield Node(served.url, served.postgres, served.redis)


async def test_ready_when_both_answer(node: Node) -> None:
    assert await node.readyz() == READY


async def test_redis_gone_is_503_naming_redis_until_it_is_back(node: Node) -> None:
    await node.redis.stop()
    assert await node.readyz() == REDIS_DOWN
    await node.redis.start()
    await node.until(READY)


async def test_database_gone_is_503_naming_the_database_until_it_is_back(node: Node) -> None:
    await node.postgres.stop()
    assert await node.readyz() == DATABASE_DOWN
    await node.postgres.start()
    await node.until(READY)


async def test_a_hung_redis_does_not_hang_readiness(node: Node) -> None:
    node.redis.freeze()
    try:
        assert await node.readyz() == REDIS_DOWN
    finally:
        node.redis.thaw()
    await node.until(READY)


async def test_a_hung_database_does_not_hang_readiness(node: Node) -> None:
    node.postgres.freeze()
    try:
        assert await node.readyz() == DATABASE_DOWN
    finally:
        node.postgres.thaw()
    await node.until(READY)


async def test_readiness_does_not_wait_behind_a_busy_pool(http: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    """Every pooled connection busy (a node under load): /readyz still answers at once."""
    conn = get_connection("default")
    busy = [asyncio.ensure_future(conn.execute_query("SELECT pg_sleep(4)")) for _ in range(12)]
    try:
        await asyncio.sleep(0.5)  # the pool is taken, the rest wait for it
        response = await http.get("/readyz", timeout=10)
        assert (response.status_code, response.json()["database"]) == (200, True)
    finally:
        await asyncio.gather(*busy)
