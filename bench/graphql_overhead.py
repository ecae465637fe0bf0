"""What GraphQL costs over a plain JSON endpoint, measured over real HTTP in one run.

    python bench/graphql_overhead.py [--seconds N] [--concurrency C] [--rounds R]

Uses DATABASE_URL / REDIS_URL when set, embedded PostgreSQL and Redis under var/bench
otherwise. Creates a fresh database (dropped at the end), seeds an organisation with an
admin, 50 groups and 50 more operators, and starts two uvicorn servers in subprocesses with
the same settings (one process, log_level warning, no access log): the evcms app, and a
plain Starlette app that answers the same two questions through the same domain services
(session lookup included, so the same SQL statements). It checks that both answer the same
data, then loads the four endpoints with C connections (wrk when installed, else an httpx
client), each for N seconds in all, split into R interleaved rounds so that a disturbance on
the machine hits every endpoint alike:

    (a) GraphQL `chargingGroup(id) { id name }`          (c) GET /groups/{id}
    (b) GraphQL `operators(page: {limit: 50})`, 7 fields  (d) GET /operators?limit=50

and prints JSON with the requests per second of each, one_object_ratio = a / c (goal at
least 0.2) and list_ratio = b / d (goal at least 0.1). Progress goes to stderr, the JSON
alone to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchkit import (
    HOST,
    Server,
    database_servers,
    evcms_app,
    fresh_database,
    log,
    start_server,
    wait_ready,
)

SCRIPT = Path(__file__).resolve()
GOALS = {"one_object_ratio": 0.2, "list_ratio": 0.1}
ROWS = 50
# The same uvicorn settings for both servers (loop and http: uvicorn's "auto").
LOG_LEVEL = "warning"
UVICORN = {"workers": 1, "log_level": LOG_LEVEL, "access_log": False, "lifespan": "on"}

ONE_OBJECT = "query($id: ID!) { chargingGroup(id: $id) { id name } }"
LIST = (
    f"{{ operators(page: {{limit: {ROWS}}}) "
    "{ items { id username email firstName lastName role status } } }"
)


# --- the servers (run as `--serve graphql|baseline` in a subprocess) -------------------------


def graphql_app(database_url: str, redis_url: str) -> Any:
    return evcms_app(database_url, redis_url)


def baseline_app(database_url: str) -> Any:
    """Plain Starlette: the same session lookup, the same services, JSON of the same shape."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from domain.groups import service as groups
    from domain.operators import service as operators
    from domain.operators.service import OperatorFilter
    from domain.pagination import PageRequest
    from evcms import db
    from tenancy.actor import Actor
    from tenancy.auth import authenticate

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.init(database_url)
        try:
            yield
        finally:
            await db.close()

    async def actor_of(request: Request, action: str) -> Actor | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        actor = await authenticate(token.strip() if scheme.lower() == "bearer" else None)
        return actor if actor.may(action) else None

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def one_group(request: Request) -> JSONResponse:
        actor = await actor_of(request, "group.read")
        if actor is None:
            return JSONResponse({"error": "access denied"}, status_code=403)
        row = await groups.get(principal=actor, group_id=request.path_params["id"])
        group = None if row is None else {"id": str(row.id), "name": row.name}
        return JSONResponse({"data": {"chargingGroup": group}})

    async def operator_list(request: Request) -> JSONResponse:
        actor = await actor_of(request, "operator.read")
        if actor is None:
            return JSONResponse({"error": "access denied"}, status_code=403)
        page = await operators.list_operators(
            principal=actor,
            filter=OperatorFilter(),
            page=PageRequest(limit=int(request.query_params.get("limit", 25))),
        )
        items = [
            {
                "id": str(row.id),
                "username": row.username,
                "email": row.email,
                "firstName": row.first_name,
                "lastName": row.last_name,
                "role": row.role.name,
                "status": row.status.name,
            }
            for row in page.items
        ]
        return JSONResponse({"data": {"operators": {"items": items}}})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/groups/{id}", one_group),
            Route("/operators", operator_list),
        ],
        lifespan=lifespan,
    )


def serve(kind: str, port: int) -> None:
    import uvicorn

    database_url, redis_url = os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_REDIS_URL"]
    app = graphql_app(database_url, redis_url) if kind == "graphql" else baseline_app(database_url)
    uvicorn.run(
        app,
        host=HOST,
        port=port,
        log_level=LOG_LEVEL,
        access_log=False,
        lifespan="on",
    )


# --- database: seed ---------------------------------------------------------------------------


@dataclass
class Seed:
    token: str
    group_id: str
    group_name: str
    operators: int = 0
    groups: int = 0


async def seed(url: str) -> Seed:
    """One organisation: root, 50 groups, an admin at the root and 50 operators below it."""
    from domain.groups import service as groups
    from domain.groups.models import ChargingGroup
    from domain.operators.models import Operator, OperatorRole, OperatorSession, OperatorStatus
    from domain.operators.passwords import new_token
    from domain.organisations.models import Organisation
    from evcms import db

    await db.init(url)
    try:
        org = await Organisation.create(name="Bench Networks", slug="bench")
        root = await groups.create_root(organisation=org, name="Bench Networks")
        made = []
        for n in range(ROWS):
            group_id = uuid.uuid4()
            made.append(
                await ChargingGroup.create(
                    id=group_id,
                    organisation_id=org.id,
                    parent=root,
                    name=f"Site {n:02d}",
                    path=groups.child_path(root.path, group_id),
                )
            )
        admin = await Operator.create(
            organisation_id=org.id,
            base_group=root,
            username="bench-admin",
            email="bench-admin@example.com",
            first_name="Bench",
            last_name="Admin",
            role=OperatorRole.ADMIN,
            status=OperatorStatus.ACTIVE,
        )
        for n in range(ROWS):
            await Operator.create(
                organisation_id=org.id,
                base_group=made[n],
                username=f"operator{n:02d}",
                email=f"operator{n:02d}@example.com",
                first_name=f"First{n:02d}",
                last_name=f"Last{n:02d}",
                role=OperatorRole.BASIC,
                status=OperatorStatus.ACTIVE,
            )
        # A session as tenancy.auth.login opens it (no password check: nothing to measure).
        token, digest = new_token()
        await OperatorSession.create(
            operator=admin, token_hash=digest, expires_at=datetime.now(UTC) + timedelta(hours=2)
        )
        return Seed(
            token=token,
            group_id=str(made[0].id),
            group_name=made[0].name,
            operators=ROWS + 1,
            groups=ROWS + 1,
        )
    finally:
        await db.close()


# --- load -------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    method: str
    url: str
    headers: dict[str, str]
    body: str | None = None
    description: str = ""
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    latency_ms_avg: float | None

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(number: str, unit: str) -> float:
    return float(number) * _UNITS_MS[unit]


def run_wrk(scenario: Scenario, seconds: float, concurrency: int, workdir: Path) -> Load:
    script = workdir / f"{scenario.name}.lua"
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body is not None:
        lines.append(f"wrk.body = [==[{scenario.body}]==]")
    lines += [f'wrk.headers["{k}"] = [==[{v}]==]' for k, v in scenario.headers.items()]
    script.write_text("\n".join(lines) + "\n")
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
    command += ["--timeout", "10s", "-s", str(script), scenario.url]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", out)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s|m)\b", out)
    return Load(
        requests=int(total.group(1)),
        errors=errors,
        seconds=_ms(total.group(2), total.group(3)) / 1000,
        latency_ms_avg=_ms(latency.group(1), latency.group(2)) if latency else None,
    )


async def run_httpx(scenario: Scenario, seconds: float, concurrency: int) -> Load:
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    done = errors = 0
    busy = 0.0
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        deadline = loop.time() + seconds

        async def worker() -> None:
            nonlocal done, errors, busy
            while loop.time() < deadline:
                started = loop.time()
                try:
                    response = await client.request(
                        scenario.method,
                        scenario.url,
                        content=scenario.body,
                        headers=scenario.headers,
                    )
                except httpx.HTTPError:
                    errors += 1
                    continue
                if response.status_code == 200:
                    done += 1
                    busy += loop.time() - started
                else:
                    errors += 1

        started = loop.time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = loop.time() - started
    return Load(
        requests=done + errors,
        errors=errors,
        seconds=elapsed,
        latency_ms_avg=1000 * busy / done if done else None,
    )


async def measure(
    scenario: Scenario, generator: str, seconds: float, concurrency: int, workdir: Path
) -> Load:
    if generator == "wrk":
        return await asyncio.to_thread(run_wrk, scenario, seconds, concurrency, workdir)
    return await run_httpx(scenario, seconds, concurrency)


def combine(loads: list[Load]) -> Load:
    requests = sum(load.requests for load in loads)
    weighted = [(load.latency_ms_avg, load.requests) for load in loads if load.latency_ms_avg]
    return Load(
        requests=requests,
        errors=sum(load.errors for load in loads),
        seconds=sum(load.seconds for load in loads),
        latency_ms_avg=sum(ms * n for ms, n in weighted) / sum(n for _, n in weighted)
        if weighted
        else None,
    )


def ratios_of(rps: dict[str, float]) -> dict[str, float]:
    return {
        "one_object_ratio": round(rps["graphql_one_object"] / rps["baseline_one_object"], 3),
        "list_ratio": round(rps["graphql_list"] / rps["baseline_list"], 3),
    }


async def fetch_data(scenario: Scenario) -> Any:
    """One request; the `data` it answers, refusing errors (the load is only timed)."""
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.request(
            scenario.method, scenario.url, content=scenario.body, headers=scenario.headers
        )
    body = response.json()
    if response.status_code != 200 or body.get("errors") or "data" not in body:
        raise RuntimeError(f"{scenario.name}: {response.status_code} {body}")
    return body["data"]


# --- the run ----------------------------------------------------------------------------------


def pick_generator(choice: str) -> str:
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "httpx"
    if choice == "wrk" and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk), use --load-generator httpx")
    return choice


async def run(args: argparse.Namespace, database_server: str, redis_url: str) -> dict[str, Any]:
    generator = pick_generator(args.load_generator)
    async with fresh_database(database_server) as url:
        seeded = await seed(url)
        log(f"seeded {seeded.groups} groups and {seeded.operators} operators")
        env = {**os.environ, "BENCH_DATABASE_URL": url, "BENCH_REDIS_URL": redis_url}
        with tempfile.TemporaryDirectory(prefix="evcms-bench-") as tmp:
            workdir = Path(tmp)
            servers = [start_server(SCRIPT, kind, env, workdir) for kind in ("graphql", "baseline")]
            try:
                await asyncio.gather(*(wait_ready(s) for s in servers))
                graphql, baseline = servers
                return await run_scenarios(args, generator, seeded, graphql, baseline, workdir)
            finally:
                for server in servers:
                    server.stop()


async def run_scenarios(
    args: argparse.Namespace,
    generator: str,
    seeded: Seed,
    graphql: Server,
    baseline: Server,
    workdir: Path,
) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {seeded.token}"}
    post = {**auth, "Content-Type": "application/json"}
    scenarios = {
        "baseline_one_object": Scenario(
            "baseline_one_object",
            "GET",
            f"{baseline.url}/groups/{seeded.group_id}",
            auth,
            description="(c) Starlette JSON: session lookup + groups.get",
        ),
        "graphql_one_object": Scenario(
            "graphql_one_object",
            "POST",
            f"{graphql.url}/graphql",
            post,
            json.dumps({"query": ONE_OBJECT, "variables": {"id": seeded.group_id}}),
            description="(a) " + ONE_OBJECT,
        ),
        "baseline_list": Scenario(
            "baseline_list",
            "GET",
            f"{baseline.url}/operators?limit={ROWS}",
            auth,
            description=f"(d) Starlette JSON: session lookup + operators.list_operators({ROWS})",
        ),
        "graphql_list": Scenario(
            "graphql_list",
            "POST",
            f"{graphql.url}/graphql",
            post,
            json.dumps({"query": LIST}),
            description="(b) " + LIST,
        ),
    }
    # Same answers from both servers, or the comparison means nothing.
    answers = {name: await fetch_data(s) for name, s in scenarios.items()}
    if answers["graphql_one_object"] != answers["baseline_one_object"]:
        raise RuntimeError(f"one object differs: {answers}")
    if answers["graphql_list"] != answers["baseline_list"]:
        raise RuntimeError("the lists differ")
    if len(answers["graphql_list"]["operators"]["items"]) != ROWS:
        raise RuntimeError("the list is not 50 rows long")

    # Warm every server path up, then load the four endpoints in turn, round after round,
    # so that a disturbance on the machine hits all of them alike.
    if args.warmup > 0:
        for scenario in scenarios.values():
            await measure(scenario, generator, args.warmup, args.concurrency, workdir)
    slice_seconds = args.seconds / args.rounds
    loads: dict[str, list[Load]] = {name: [] for name in scenarios}
    for _ in range(args.rounds):
        for name, scenario in scenarios.items():
            load = await measure(scenario, generator, slice_seconds, args.concurrency, workdir)
            if load.errors:
                raise RuntimeError(f"{name}: {load.errors} failed requests")
            loads[name].append(load)
            log(f"{name}: {load.rps:.0f} req/s")
    for name, scenario in scenarios.items():
        total = combine(loads[name])
        latency = total.latency_ms_avg
        scenario.result = {
            "rps": round(total.rps, 1),
            "requests": total.requests,
            "errors": total.errors,
            "seconds": round(total.seconds, 2),
            "latency_ms_avg": None if latency is None else round(latency, 2),
            "rps_by_round": [round(load.rps, 1) for load in loads[name]],
            "what": scenario.description,
        }
    rps = {name: s.result["rps"] for name, s in scenarios.items()}
    ratios = ratios_of(rps)
    by_round = [
        ratios_of({name: loads[name][r].rps for name in scenarios}) for r in range(args.rounds)
    ]
    return {
        "benchmark": "graphql_overhead",
        "rps": rps,
        **ratios,
        "goals": GOALS,
        "met": {name: ratios[name] >= goal for name, goal in GOALS.items()},
        "ratios_by_round": by_round,
        "scenarios": {name: s.result for name, s in scenarios.items()},
        "baseline_includes_session_lookup": True,
        "baseline": (
            "plain Starlette routes on the same uvicorn settings, calling the same "
            "tenancy.auth.authenticate and domain services (same SQL statements), "
            "json.dumps of the same data"
        ),
        "rows": ROWS,
        "load_generator": generator,
        "seconds_per_endpoint": args.seconds,
        "rounds": args.rounds,
        "warmup_seconds": args.warmup,
        "concurrency": args.concurrency,
        "uvicorn": {
            **UVICORN,
            "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        },
        "graphql_environment": "production",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=6, help="measured load per endpoint (default 6)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved slices the seconds are split in (3)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="connections (default 16)")
    parser.add_argument("--warmup", type=float, default=1, help="unmeasured load first (1 s)")
    parser.add_argument("--load-generator", choices=["auto", "wrk", "httpx"], default="auto")
    parser.add_argument("--serve", choices=["graphql", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    started = time.monotonic()
    with database_servers() as (database_server, redis_url, source):
        result = asyncio.run(run(args, database_server, redis_url))
    result["services"] = source
    result["total_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
