"""The embedded default: PostgreSQL and Redis under a data directory, and `evcms serve` on it."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest
from redis.asyncio import Redis

from evcms import db
from evcms.embedded import EmbeddedBusy, EmbeddedServices
from tests.evcms.test_cli import PRINTED_PASSWORD, evcms_command


def processes_mentioning(path: Path) -> list[str]:
    """Live processes whose command line names `path` (zombies do not count)."""
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(f"{process.info['pid']} {cmdline}")
    return found


async def query_postgres(url: str, sql: str) -> list[asyncpg.Record]:
    creds = db.credentials(url)
    conn = await asyncpg.connect(
        host=creds["host"], port=creds["port"], user=creds["user"], database=creds["database"]
    )
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_embedded_services_start_serve_stop_and_keep_their_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    services = EmbeddedServices(data_dir)
    await asyncio.to_thread(services.start, postgres=True, redis=True)
    try:
        assert services.database_url and services.redis_url
        pids = services.pids()
        assert len(pids) == 2 and all(psutil.pid_exists(pid) for pid in pids)
        await query_postgres(services.database_url, "CREATE TABLE kept (n int)")
        await query_postgres(services.database_url, "INSERT INTO kept VALUES (42)")
        redis = Redis.from_url(services.redis_url)
        assert await redis.ping()
        await redis.set("kept", "yes")
        await redis.aclose()

        # One owner per data directory; a short-lived command may share its PostgreSQL.
        other = EmbeddedServices(data_dir)
        with pytest.raises(EmbeddedBusy):
            other.start(postgres=True, redis=True)
        other.start(postgres=True, redis=False, share=True)
        assert other.database_url == services.database_url
        other.stop()  # stops nothing it does not own
        assert all(psutil.pid_exists(pid) for pid in pids)
    finally:
        await asyncio.to_thread(services.stop)

    assert not any(psutil.pid_exists(pid) and _alive(pid) for pid in pids)
    assert processes_mentioning(data_dir) == []

    again = EmbeddedServices(data_dir)
    await asyncio.to_thread(again.start, postgres=True, redis=True)
    try:
        assert again.database_url and again.redis_url
        rows = await query_postgres(again.database_url, "SELECT n FROM kept")
        assert [row["n"] for row in rows] == [42]
        redis = Redis.from_url(again.redis_url)
        assert await redis.get("kept") == b"yes"
        await redis.aclose()
    finally:
        await asyncio.to_thread(again.stop)
    assert processes_mentioning(data_dir) == []


def read(path: Path) -> str:
    return path.read_text()


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LOGIN = 'mutation { login(username: "admin", password: "%s") { token errors { message } } }'


async def _serve(
    data_dir: Path, port: int, log: Path, *, log_level: str = "WARNING"
) -> asyncio.subprocess.Process:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL"}
    }
    env.update(DATA_DIR=str(data_dir), LOG_LEVEL=log_level)
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *evcms_command(),
            "serve",
            "--port",
            str(port),
            env=env,
            cwd=data_dir.parent,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
        for _ in range(240):
            if process.returncode is not None:
                pytest.fail(f"evcms serve exited early:\n{read(log)}")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    process.kill()
    pytest.fail(f"evcms serve did not answer /healthz:\n{read(log)}")


async def _log_in(port: int, password: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        body = (await http.post("/graphql", json={"query": LOGIN % password})).json()
        token = body["data"]["login"]["token"]
        assert token, body
        me = await http.post(
            "/graphql",
            json={"query": "{ me { username } }"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert me.json()["data"]["me"] == {"username": "admin"}, me.text
        return str(token)


async def _interrupt(process: asyncio.subprocess.Process, log: Path) -> str:
    process.send_signal(signal.SIGINT)
    try:
        status = await asyncio.wait_for(process.wait(), 60)
    except TimeoutError:
        process.kill()
        raise
    text = read(log)
    assert status == 0, text
    return text


async def test_serve_embedded_first_and_second_start(tmp_path: Path) -> None:
    """`evcms serve` with no configuration: demo admin on the first start, printed once;
    SIGINT stops everything; the second start reuses the data (SIGTERM stops it too)."""
    data_dir = tmp_path / "var"
    port = _free_port()
    log = tmp_path / "serve.log"

    process = await _serve(data_dir, port, log)
    first = read(log)
    for setting in ("ENVIRONMENT=development", "DATABASE_URL=(unset)", "LOG_LEVEL=WARNING"):
        assert setting in first
    assert f"http://127.0.0.1:{port}/graphql" in first
    assert f"ws://127.0.0.1:{port}/ocpp/demo/{{station identifier}}" in first
    passwords = PRINTED_PASSWORD.findall(first)
    assert len(passwords) == 1, first
    await _log_in(port, passwords[0])
    text = await _interrupt(process, log)
    assert "Embedded services stopped." in text
    assert processes_mentioning(data_dir) == []

    process = await _serve(data_dir, port, log, log_level="INFO")
    second = read(log)
    assert not PRINTED_PASSWORD.search(second), second
    assert re.search(r'"admin" exist already', second), second
    assert "set-password admin" in second
    await _log_in(port, passwords[0])
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 60) == 0, read(log)
    assert processes_mentioning(data_dir) == []
    # What an operator reads at INFO: no "shutdown" while starting (the migrations' own
    # connections close quietly), and no signal that nobody sent.
    told = read(log)
    assert told.count("Tortoise-ORM shutdown") == 1, told
    assert "SIGUSR1" not in told, told
    assert "worker stopped:" in told, told
