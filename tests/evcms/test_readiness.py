"""/readyz against real dependencies that go away: `evcms serve` in a subprocess reaches the
real PostgreSQL and Redis through TCP proxies run here, which the tests stop or freeze."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest

from evcms import db
from tests.conftest import _free_port
from tests.evcms.test_cli import evcms_command

Connect = Callable[[], Any]  # -> awaitable (reader, writer) to the real server


class Proxy:
    """Forwards TCP connections to a real server. `stop()` closes the port and every
    connection through it; `freeze()` keeps them open but passes nothing on (a hung server)."""

    def __init__(self, upstream: Connect) -> None:
        self.upstream = upstream
        self.port = _free_port()
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self.flowing.set()
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self.flowing.wait()  # a frozen server accepts, then never answers
            up_reader, up_writer = await self.upstream()
            self.writers.add(up_writer)
            pumps = [self._pump(reader, up_writer), self._pump(up_reader, writer)]
            tasks = [asyncio.ensure_future(p) for p in pumps]
            self.tasks.update(tasks)
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            up_writer.transport.abort()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            self.writers.discard(writer)


def postgres_upstream(url: str) -> tuple[Connect, Callable[[int], str]]:
    """How to reach the PostgreSQL server of `url`, and the URL through a proxy port."""
    creds = db.credentials(url)
    host, port = creds["host"], creds["port"]
    if host.startswith("/"):  # a unix socket directory (the embedded server)
        path = f"{host}/.s.PGSQL.{port}"
        connect: Connect = lambda: asyncio.open_unix_connection(path)  # noqa: E731
    else:
        connect = lambda: asyncio.open_connection(host, port)  # noqa: E731
    auth = creds["user"] + (f":{creds['password']}" if creds["password"] else "")

    def via(proxy_port: int) -> str:
        return f"postgres://{auth}@127.0.0.1:{proxy_port}/{creds['database']}"

    return connect, via


def redis_upstream(url: str) -> tuple[Connect, Callable[[int], str]]:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        number = parse_qs(parts.query).get("db", ["0"])[-1]
        connect: Connect = lambda: asyncio.open_unix_connection(parts.path)  # noqa: E731
    else:
        number = parts.path.lstrip("/") or "0"
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
        connect = lambda: asyncio.open_connection(host, port)  # noqa: E731

    def via(proxy_port: int) -> str:
        netloc = f"127.0.0.1:{proxy_port}"
        if parts.password:
            netloc = f"{parts.username or ''}:{parts.password}@{netloc}"
        return urlunsplit(("redis", netloc, f"/{number}", "", ""))

    return connect, via


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
    pg_connect, pg_via = postgres_upstream(database_url)
    redis_connect, redis_via = redis_upstream(server_urls[1])
    postgres, redis = Proxy(pg_connect), Proxy(redis_connect)
    await postgres.start()
    await redis.start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"SMTP_URL", "ENVIRONMENT"}}
    env.update(DATABASE_URL=pg_via(postgres.port), REDIS_URL=redis_via(redis.port))
    cwd: Path = tmp_path_factory.mktemp("node")  # no .env
    process = await asyncio.create_subprocess_exec(
        *evcms_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
        env=env, cwd=cwd, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        await _started(process, url)
        yield Node(url, postgres, redis)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
        await postgres.stop()
        await redis.stop()


async def _started(process: asyncio.subprocess.Process, url: str) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for _ in range(240):
            if process.returncode is not None:
                assert process.stderr is not None
                raise AssertionError((await process.stderr.read()).decode())
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.25)
    raise AssertionError("evcms serve did not start")


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
