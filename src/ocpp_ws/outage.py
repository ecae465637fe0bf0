"""Which of its dependencies (PostgreSQL, Redis) a node has lost, told once: one log line when
a dependency goes, one when it is back with how many messages were refused meanwhile, and
no traceback per refused message (a 10 s cut used to write thousands). A failure that is
not an outage keeps its traceback."""

from __future__ import annotations

import logging
import time

import asyncpg
import redis.exceptions
from tortoise.exceptions import DBConnectionError

log = logging.getLogger("evcms.ocpp")

DATABASE, REDIS = "database", "redis"

_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    DBConnectionError,
)
_REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def dependency_lost(error: BaseException) -> str | None:
    """DATABASE or REDIS when `error` (or what caused it) says that dependency is out of
    reach, else None."""
    seen: BaseException | None = error
    for _ in range(6):  # the error, and what it was raised from
        if seen is None:
            return None
        if isinstance(seen, _REDIS_ERRORS):
            return REDIS
        if isinstance(seen, _DATABASE_ERRORS):
            return DATABASE
        if isinstance(seen, OSError | TimeoutError):
            # A refused or dropped socket, raised bare by asyncpg (redis-py wraps its own).
            return DATABASE
        seen = seen.__cause__ or seen.__context__
    return None


class Outages:
    """One node's lost dependencies, since when, and what was refused meanwhile."""

    def __init__(self) -> None:
        self._since: dict[str, float] = {}
        self._refused: dict[str, int] = {}

    def failed(self, error: BaseException, *, refused: int = 1) -> str | None:
        """Note `error`; the lost dependency's name (logged once per outage), or None when
        the error is no outage (the caller logs it with its traceback)."""
        lost = dependency_lost(error)
        if lost is None:
            return None
        if lost not in self._since:
            self._since[lost], self._refused[lost] = time.monotonic(), 0
            log.warning("%s unavailable (%r): refusing what needs it until it is back", lost, error)
        self._refused[lost] += refused
        return lost

    def recovered(self, dependency: str) -> None:
        """The dependency answered again (a no-op unless it was lost)."""
        since = self._since.pop(dependency, None)
        if since is not None:
            refused = self._refused.pop(dependency, 0)
            log.warning(
                "%s is back after %.1f s; %d messages refused meanwhile",
                dependency, time.monotonic() - since, refused,
            )  # fmt: skip
