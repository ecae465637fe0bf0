"""Real PostgreSQL and Redis (from DATABASE_URL / REDIS_URL, or embedded), a real uvicorn server.

Each test session gets its own fresh database (migrated once); each test starts from empty
tables and an empty Redis database.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from redis.asyncio import Redis
from starlette.applications import Starlette

from evcms import db
from evcms.app import create_app
from evcms.live_hub import LiveHub
from evcms.settings import Settings
from tests.gqlclient import GraphQLClient

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("admin", "basic", "outsider")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`@pytest.mark.actors("admin", "basic", "outsider")` runs a test once per role."""
    marker = metafunc.definition.get_closest_marker("actors")
    if marker is not None and "actor_role" in metafunc.fixturenames:
        roles = marker.args or ROLES
        metafunc.parametrize("actor_role", roles, ids=list(roles))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """The PostgreSQL server and Redis URLs to test against (embedded when unset)."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url
        return
    from evcms.embedded import EmbeddedServices

    services = EmbeddedServices(ROOT / "var" / "test")
    services.start(postgres=not database_url, redis=not redis_url)
    try:
        database_url = database_url or services.database_url
        redis_url = redis_url or services.redis_url
        assert database_url and redis_url
        yield database_url, redis_url
    finally:
        services.stop()


@pytest.fixture(scope="session")
async def database_url(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A database of its own for this test session, migrated with the checked-in migrations."""
    server_url = server_urls[0]
    name = f"evcms_test_{uuid.uuid4().hex[:12]}"
    creds = db.credentials(server_url)
    admin = await asyncpg.connect(
        host=creds["host"], port=creds["port"], user=creds["user"],
        password=creds["password"], database=creds["database"],
    )  # fmt: skip
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    await db.migrate(url)
    await db.close()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            await db.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def settings(database_url: str, server_urls: tuple[str, str]) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        redis_url=server_urls[1],
        public_url="http://evcms.test",
        smtp_url=None,
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> Starlette:
    """The ASGI app the test server runs."""
    return create_app(settings)


@pytest.fixture(scope="session")
async def server(app: Starlette) -> AsyncIterator[str]:
    """A real uvicorn server in this event loop; yields its base URL."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    task = asyncio.create_task(instance.serve())
    while not instance.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        await task


@pytest.fixture(scope="session")
async def redis(settings: Settings, server: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_url or "")
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def live_hub(app: Starlette, server: str) -> LiveHub:
    """The test server's live status hub (its one Redis pub/sub connection)."""
    hub: LiveHub = app.state.live_hub
    return hub


TABLES_SQL = """
SELECT string_agg(format('%I', tablename), ', ')
FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'tortoise%'
"""


@pytest.fixture
async def clean(server: str, redis: Redis) -> None:
    """Empty tables and Redis: every test that uses the server starts from nothing."""
    from tortoise.connection import get_connection

    conn = get_connection("default")
    _, rows = await conn.execute_query(TABLES_SQL)
    tables = rows[0][0]
    if tables:
        await _truncate(conn, tables)
    await redis.flushdb()


async def _truncate(conn: Any, tables: str, attempts: int = 5) -> None:
    """TRUNCATE locks table after table, while the server may still be finishing what the
    previous test's station left it (a disconnected station's live status reads its station
    and group): PostgreSQL may pick the TRUNCATE as the deadlock's victim; then again."""
    for attempt in range(attempts):
        try:
            await conn.execute_script(f"TRUNCATE {tables} CASCADE")
            return
        except Exception as error:
            if "deadlock detected" not in str(error) or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05)


@pytest.fixture
async def http(server: str, clean: None) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=30) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { token errors { code message } }
}
"""


async def login(client: GraphQLClient, username: str, password: str | None = None) -> str:
    from tests.factories import PASSWORD

    data = await client(LOGIN, u=username, p=password or PASSWORD)
    token = data["login"]["token"]
    assert token, data
    return str(token)


@pytest.fixture
async def world(client: GraphQLClient):  # type: ignore[no-untyped-def]
    """Two organisations with a group tree and operators (see tests.factories.World)."""
    from tests import factories

    return await factories.world()


@pytest.fixture
async def as_admin(client: GraphQLClient, world) -> GraphQLClient:  # type: ignore[no-untyped-def]
    return client.as_token(await login(client, world.admin.username))


@pytest.fixture
async def as_basic(client: GraphQLClient, world) -> GraphQLClient:  # type: ignore[no-untyped-def]
    return client.as_token(await login(client, world.basic.username))


@pytest.fixture
async def as_actor(client: GraphQLClient, world, actor_role: str) -> GraphQLClient:  # type: ignore[no-untyped-def]
    """The actor of `@pytest.mark.actors`: admin at A's root, basic at g1, or admin of B."""
    username = {"admin": "alpha", "basic": "beta", "outsider": "omega"}[actor_role]
    return client.as_token(await login(client, username))
