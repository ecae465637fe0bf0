"""OCPP 1.6J load on the evcms server against a bare websocket server, in one run.

    python bench/ocpp_load.py [--stations 5000] [--seconds 10] [--rounds 4] [--rate 1000]

Uses DATABASE_URL / REDIS_URL when set, embedded PostgreSQL and Redis under var/bench
otherwise. Creates a database evcms_bench_<random> (migrated, dropped at the end) and seeds
an organisation `bench` with N active stations BENCH-00001... sharing one OCPP password
(hashed once, as setStationPassword stores it), one charging point each, and a charging
user whose token may charge at all.

Then it starts both servers as subprocesses on uvloop:

* `bare`: raw `websockets` + `json` answering every CALL with a fixed answer (no validation,
  no database), the ceiling of Python websockets on this machine (with the garbage
  collector settings of `evcms serve`);
* `evcms`: the evcms app as `evcms serve` runs it (its uvicorn configuration and logging,
  production settings): every message validated and persisted before it is answered;

and a load generator in a process of its own (bench/ocpp_loadgen.py) measures, for each:

1. time to connect and boot all N stations (`--handshakes` connections opened at a time;
   one server after the other);
2. server memory per idle connection: the server's RSS after the N stations booted and
   idled for a few seconds, minus its RSS before, over N (from /proc);
3. sustained MeterValues per second at saturation: after a StartTransaction on each station,
   every station sends its next MeterValues (energy, power, current, voltage, SoC) as soon as
   the previous one is answered (`--window`: at most that many in flight in all);
4. p50 and p99 latency at a fixed `--rate` MeterValues per second (default 1000).

Phases 3 and 4 run in `--rounds` rounds alternating between the servers, so that whatever
else the machine is doing hits both alike.

Prints JSON with both servers' figures and each figure's ratio evcms / bare (the goal: a
MeterValues ratio of 0.4 or more), the CPU share of the generator and of the server in each
phase, and `limits`: which load-generator limits were hit. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchkit import (
    HOST,
    ROOT,
    Server,
    database_servers,
    fresh_database,
    log,
    start_server,
    wait_ready,
)

SCRIPT = Path(__file__).resolve()
GENERATOR = SCRIPT.with_name("ocpp_loadgen.py")
GOAL = 0.4  # MeterValues per second, evcms / bare
ORGANISATION = "bench"
PREFIX = "BENCH-"
ID_TAG = "BENCHTAG"
PASSWORD = "bench-station-secret-0123"


# --- the servers (run as `--serve evcms|bare` in a subprocess) ------------------------------


def serve_evcms(port: int) -> None:
    """As `evcms serve` runs it: its logging set-up (LOG_LEVEL, default INFO) and uvicorn
    configuration, production settings."""
    from evcms.cli.serve import uvicorn_server
    from evcms.logging import configure
    from evcms.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production",
        database_url=os.environ["BENCH_DATABASE_URL"],
        redis_url=os.environ["BENCH_REDIS_URL"],
        smtp_url=None,
    )
    configure(settings.log_level)
    uvicorn_server(settings, HOST, port, worker=False).run()


def serve_bare(port: int) -> None:
    """websockets + json: parse each CALL, answer it, nothing else."""
    import itertools
    from datetime import UTC, datetime
    from http import HTTPStatus

    from websockets.asyncio.server import ServerConnection, serve
    from websockets.http11 import Request, Response
    from websockets.typing import Subprotocol

    transaction_ids = itertools.count(1)

    def answer(action: str) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        if action == "BootNotification":
            return {"status": "Accepted", "currentTime": now, "interval": 300}
        if action == "Heartbeat":
            return {"currentTime": now}
        if action == "StartTransaction":
            return {"transactionId": next(transaction_ids), "idTagInfo": {"status": "Accepted"}}
        return {}

    async def handler(connection: ServerConnection) -> None:
        async for text in connection:
            message = json.loads(text)
            if message[0] == 2:
                await connection.send(json.dumps([3, message[1], answer(message[2])]))

    def health(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async def main() -> None:
        from evcms.tuning import tune_gc

        tune_gc()  # as evcms serve does
        async with serve(
            handler, HOST, port, subprotocols=[Subprotocol("ocpp1.6")], process_request=health
        ):
            await asyncio.Future()

    run_loop(main())


def run_loop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


# --- seed -----------------------------------------------------------------------------------


async def seed(url: str, stations: int) -> None:
    """The organisation, N stations with one password hash, a point each, and a driver."""
    from domain.groups import service as groups
    from domain.operators.passwords import hash_secret
    from domain.organisations.models import Organisation
    from domain.stations.models import ChargingPoint, ChargingStation, StationState
    from domain.users.models import AccessRight, ChargingUser, Token
    from evcms import db

    await db.init(url)
    try:
        org = await Organisation.create(name="Bench", slug=ORGANISATION)
        root = await groups.create_root(organisation=org, name="Bench")
        digest = hash_secret(PASSWORD)  # as setStationPassword stores it
        rows = [
            ChargingStation(
                organisation_id=org.id,
                group=root,
                state=StationState.ACTIVE,
                name=f"{PREFIX}{n:05d}",
                identifier=f"{PREFIX}{n:05d}",
                ocpp_password_hash=digest,
            )
            for n in range(1, stations + 1)
        ]
        await ChargingStation.bulk_create(rows, batch_size=1000)
        ids = await ChargingStation.filter(organisation_id=org.id).values_list("id", flat=True)
        points = [ChargingPoint(station_id=i, number=1) for i in ids]
        await ChargingPoint.bulk_create(points, batch_size=1000)
        email = "bench-driver@example.com"
        user = await ChargingUser.create(
            organisation_id=org.id, group=root, email=email, email_key=email
        )
        await Token.create(organisation_id=org.id, user=user, uid=ID_TAG, uid_key=ID_TAG)
        await AccessRight.create(user=user, group=root)
    finally:
        await db.close()


# --- the servers under load ----------------------------------------------------------------


async def measure(args: argparse.Namespace, env: dict[str, str], workdir: Path) -> Any:
    """Start the servers, run the load generator against all of them, stop them."""
    servers = [start_server(SCRIPT, kind, env, workdir) for kind in args.servers]
    try:
        await asyncio.gather(*(wait_ready(server) for server in servers))
        await asyncio.sleep(1.0)  # let start-up settle before the memory baselines
        command = [sys.executable, str(GENERATOR)]
        for server in servers:
            url = f"ws://{HOST}:{server.port}/ocpp/{ORGANISATION}"
            command += ["--target", f"{server.kind}={url}@{server.pid}"]
            log(f"{server.kind}: pid {server.pid}, port {server.port}")
        command += [
            "--stations", str(args.stations), "--prefix", PREFIX, "--password", PASSWORD,
            "--id-tag", ID_TAG, "--seconds", str(args.seconds), "--rounds", str(args.rounds),
            "--warmup", str(args.warmup), "--rate", str(args.rate), "--window", str(args.window),
            "--handshakes", str(args.handshakes), "--idle-seconds", str(args.idle_seconds),
        ]  # fmt: skip
        done = await asyncio.to_thread(
            subprocess.run, command, env=env, cwd=ROOT, stdout=subprocess.PIPE, check=False
        )
        check_alive(servers)
        if done.returncode != 0:
            raise RuntimeError("the load generator failed (see above)")
        return json.loads(done.stdout)
    finally:
        for server in servers:
            server.stop()


def check_alive(servers: list[Server]) -> None:
    for server in servers:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.kind} server died:\n{server.log_file.read_text()}")


def figures(result: dict[str, Any]) -> dict[str, Any]:
    return {
        "connect_and_boot_seconds": result["connect_and_boot"]["seconds"],
        "meter_values_per_second": result.get("saturation", {}).get("messages_per_second"),
        "server_cpu_us_per_meter_values": result.get("saturation", {}).get(
            "server_cpu_us_per_message"
        ),
        "p50_ms_at_fixed_rate": result.get("fixed_rate", {}).get("p50_ms"),
        "p99_ms_at_fixed_rate": result.get("fixed_rate", {}).get("p99_ms"),
        "kib_per_idle_connection": result["memory"]["kib_per_idle_connection"],
    }


def limits(kind: str, result: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The load generator limits a server's figures ran into."""
    hit = []
    for phase in ("connect_and_boot", "saturation", "fixed_rate"):
        share = result.get(phase, {}).get("generator_cpu_share", 0)
        if share >= 0.9:
            hit.append(f"{kind} {phase}: the generator used {share:.0%} of a CPU (CPU-bound)")
    fixed = result.get("fixed_rate", {})
    if fixed and fixed["rate_answered"] < 0.95 * args.rate:
        hit.append(f"{kind} fixed_rate: only {fixed['rate_answered']}/s of {args.rate}/s answered")
    if fixed.get("skipped_busy"):
        hit.append(f"{kind} fixed_rate: {fixed['skipped_busy']} sends skipped (station busy)")
    boot = result["connect_and_boot"]
    if boot["failures"]:
        hit.append(f"{kind} connect_and_boot: {boot['failures']} stations failed")
    if args.window and args.window < args.stations:
        hit.append(f"saturation: at most {args.window} MeterValues in flight (--window)")
    return hit


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


async def run(args: argparse.Namespace, database_server: str, redis_url: str) -> dict[str, Any]:
    async with fresh_database(database_server) as url:
        started = time.monotonic()
        await seed(url, args.stations)
        log(f"seeded {args.stations} stations in {time.monotonic() - started:.1f} s")
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_REDIS_URL": redis_url}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench"), str(ROOT / "src")])
        with tempfile.TemporaryDirectory(prefix="evcms-bench-") as tmp:
            results = await measure(args, env, Path(tmp))
    loop = results.pop("loop")
    out: dict[str, Any] = {"benchmark": "ocpp_load", "stations": args.stations}
    for kind, result in results.items():
        out[kind] = {"figures": figures(result), "phases": result}
    if {"evcms", "bare"} <= set(results):
        ours, bare = out["evcms"]["figures"], out["bare"]["figures"]
        out["ratios_evcms_to_bare"] = {name: ratio(ours[name], bare[name]) for name in ours}
        mv = out["ratios_evcms_to_bare"]["meter_values_per_second"]
        out["goal"] = {"meter_values_ratio": GOAL, "met": mv is not None and mv >= GOAL}
    out["limits"] = [hit for kind, result in results.items() for hit in limits(kind, result, args)]
    out["settings"] = {
        "seconds": args.seconds,
        "rounds": args.rounds,
        "warmup_seconds_per_round": args.warmup,
        "rate": args.rate,
        "window": args.window or args.stations,
        "handshakes_at_once": args.handshakes,
        "idle_seconds": args.idle_seconds,
        "sampled_values_per_meter_values": 5,
        "evcms_server": "evcms serve's uvicorn configuration and logging (LOG_LEVEL)",
        "event_loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "generator": f"one process ({loop}), raw asyncio protocols, pre-serialised frames",
    }
    out["python"] = platform.python_version()
    out["cpus"] = os.cpu_count()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=5000, help="stations (5000)")
    parser.add_argument("--seconds", type=float, default=10, help="each measured phase (10)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (4)")
    parser.add_argument("--warmup", type=float, default=1, help="before each round (1)")
    parser.add_argument("--rate", type=float, default=1000, help="fixed MeterValues/s (1000)")
    parser.add_argument("--window", type=int, default=0, help="most in flight (0: stations)")
    parser.add_argument("--handshakes", type=int, default=100, help="connects at once (100)")
    parser.add_argument("--idle-seconds", type=float, default=3, help="before the RSS (3)")
    parser.add_argument(
        "--servers", nargs="+", choices=["bare", "evcms"], default=["bare", "evcms"]
    )
    parser.add_argument("--serve", choices=["evcms", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "evcms":
        serve_evcms(args.port)
        return
    if args.serve == "bare":
        serve_bare(args.port)
        return
    started = time.monotonic()
    with database_servers() as (database_server, redis_url, source):
        result = asyncio.run(run(args, database_server, redis_url))
    result["services"] = source
    result["total_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
