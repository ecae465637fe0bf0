"""Real dependencies that go away: TCP proxies in front of the real PostgreSQL and Redis,
which tests stop (every connection cut) or freeze (connections open, nothing passed on),
and `evcms serve` in a subprocess reaching them through the proxies."""

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
class Served:
    """`evcms serve` in a subprocess, through proxies; its log (stderr) in `log`."""

    url: str
    postgres: Proxy
    redis: Proxy
    process: asyncio.subprocess.Process
    log: Path


@contextlib.asynccontextmanager
async def serve_through_proxies(
    database_url: str, redis_url: str, workdir: Path, **env: str
) -> AsyncIterator[Served]:
    """`evcms serve` using the test database and Redis, each through a proxy."""
    pg_connect, pg_via = postgres_upstream(database_url)
    redis_connect, redis_via = redis_upstream(redis_url)
    postgres, redis = Proxy(pg_connect), Proxy(redis_connect)
    await postgres.start()
    await redis.start()
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in {"SMTP_URL", "ENVIRONMENT"}}
    environment.update(DATABASE_URL=pg_via(postgres.port), REDIS_URL=redis_via(redis.port))
    environment.update(env)
    log = workdir / "serve.log"
    with log.open("wb") as out:  # a file, never a pipe nobody reads (it would fill up)
        process = await asyncio.create_subprocess_exec(
            *evcms_command(), "serve", "--host", "127.0.0.1", "--port", str(port),
            env=environment, cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        await _started(process, url, log)
        yield Served(url, postgres, redis, process, log)
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


async def _started(process: asyncio.subprocess.Process, url: str, log: Path) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for _ in range(240):
            if process.returncode is not None:
                raise AssertionError(log.read_text())  # noqa: ASYNC240 (it has exited)
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.25)
    raise AssertionError("evcms serve did not start")
