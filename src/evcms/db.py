"""Tortoise configuration from DATABASE_URL, start-up, shutdown and migrations."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from domain.models import MODEL_MODULES
from evcms.health import PING_TIMEOUT, answers_within

APP = "evcms"


def credentials(url: str) -> dict[str, Any]:
    """asyncpg credentials from a postgres:// URL (a `?host=/dir` names a unix socket dir)."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise ValueError("DATABASE_URL must be a postgres:// or postgresql:// URL")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "host": query.get("host") or parts.hostname or "127.0.0.1",
        "port": parts.port or int(query.get("port", 5432)),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or "postgres",
        "minsize": int(query.get("minsize", 1)),
        "maxsize": int(query.get("maxsize", 10)),
    }


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {
            "default": {"engine": "tortoise.backends.asyncpg", "credentials": credentials(url)}
        },
        "apps": {
            APP: {
                "models": MODEL_MODULES,
                "migrations": "domain.migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init(url: str, *, global_fallback: bool = True) -> None:
    """Connect the ORM. The global fallback lets request tasks see the lifespan's context."""
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=global_fallback)


async def close(*, quietly: bool = False) -> None:
    """Close the ORM's connections; `quietly` for a start-up step's own (Tortoise's
    "Tortoise-ORM shutdown" while starting misleads whoever reads the log)."""
    if not quietly:
        await Tortoise.close_connections()
        return
    tortoise_log = logging.getLogger("tortoise")
    level = tortoise_log.level
    tortoise_log.setLevel(logging.WARNING)
    try:
        await Tortoise.close_connections()
    finally:
        tortoise_log.setLevel(level)


async def migrate(url: str) -> None:
    """Apply every checked-in migration that the database has not seen, then close the
    migration's connections (quietly: "Tortoise-ORM shutdown" at start-up misled readers)."""
    await run_migrations(config=tortoise_config(url))
    await close(quietly=True)


class Probe:
    """Readiness's own connection to PostgreSQL: its answer never waits behind the pool,
    which a node under load keeps busy (a probe that did pulled working nodes)."""

    def __init__(self, url: str) -> None:
        found = credentials(url)
        self._connect = {k: v for k, v in found.items() if k not in {"minsize", "maxsize"}}
        self._connection: asyncpg.Connection | None = None

    async def ping(self, seconds: float = PING_TIMEOUT) -> bool:
        """Whether the database answers within `seconds`."""
        return await answers_within(self._select_one(seconds), seconds, what="PostgreSQL")

    async def _select_one(self, seconds: float) -> object:
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await asyncpg.connect(**self._connect, timeout=seconds)
            return await self._connection.fetchval("SELECT 1")
        except BaseException:  # failed or given up on: connect again next time
            await self.close()
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()
