"""Pieces the benchmarks share: database and Redis servers (from the environment or
embedded), a fresh migrated database that is dropped afterwards, servers in subprocesses and
waiting for them, and reading a process's memory from /proc."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
sys.path.insert(0, str(ROOT / "src"))


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass
class Server:
    """A server in a subprocess (`script --serve KIND --port PORT`)."""

    kind: str
    port: int
    process: subprocess.Popen[bytes]
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(
    script: Path, kind: str, env: dict[str, str], workdir: Path, *extra: str
) -> Server:
    """Run `python SCRIPT --serve KIND --port P [EXTRA]`, output into workdir/KIND.log."""
    port = free_port()
    log_file = workdir / f"{kind}.log"
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(script), "--serve", kind, "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    return Server(kind=kind, port=port, process=process, log_file=log_file)


async def wait_ready(server: Server, within: float = 60.0) -> None:
    """Until GET /healthz answers 200 (or the server exits, or `within` seconds pass)."""
    import httpx

    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.kind} server exited:\n{server.log_file.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{server.url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.kind} server did not start:\n{server.log_file.read_text()}")


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS in /proc/PID/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- database servers and a fresh database --------------------------------------------------


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextlib.asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new database `evcms_bench_<random>` migrated with evcms.db.migrate; dropped after."""
    import asyncpg

    from evcms import db

    creds = db.credentials(server_url)
    admin = await asyncpg.connect(
        host=creds["host"],
        port=creds["port"],
        user=creds["user"],
        password=creds["password"],
        database=creds["database"],
    )
    name = f"evcms_bench_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = with_database(server_url, name)
        await db.migrate(url)
        await db.close()
        yield url
    finally:
        with contextlib.suppress(Exception):
            await db.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@contextlib.contextmanager
def database_servers() -> Iterator[tuple[str, str, str]]:
    """(database server URL, Redis URL, where they came from); embedded when unset."""
    database_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url, "environment"
        return
    from evcms.embedded import EmbeddedServices

    log("DATABASE_URL / REDIS_URL unset: starting embedded services under var/bench")
    services = EmbeddedServices(ROOT / "var" / "bench")
    services.start(postgres=not database_url, redis=not redis_url)
    try:
        assert services.database_url or database_url
        yield (
            database_url or services.database_url or "",
            redis_url or services.redis_url or "",
            "embedded" if not (database_url or redis_url) else "mixed",
        )
    finally:
        services.stop()


def evcms_app(database_url: str, redis_url: str) -> object:
    """The evcms ASGI app with production settings."""
    from evcms.app import create_app
    from evcms.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production",
        database_url=database_url,
        redis_url=redis_url,
        smtp_url=None,
    )
    return create_app(settings)
