"""The long-running commands: `evcms serve` (a node, with the embedded PostgreSQL and Redis
when they are not configured, the demo organisation on the first start, and a banner with
the URLs and how to log in) and `evcms worker`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evcms.cli.common import (
    CommandError,
    Stop,
    connect,
    login_help,
    new_password,
    print_settings,
    run_db,
    say,
    shield_signals,
    signals_deferred,
    stop_on_signals,
    warn,
)
from evcms.settings import Settings, get_settings

if TYPE_CHECKING:
    from evcms.embedded import EmbeddedServices

DEMO_NAME = "Demo"
DEMO_SLUG = "demo"
DEMO_ADMIN = "admin"
DEMO_EMAIL = "admin@example.com"


# --- serve ----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from evcms.logging import configure

    settings = get_settings()
    configure(settings.log_level)
    print_settings(settings)
    _check_port(args.host, args.port)
    embedded_db = not settings.database_url
    embedded_redis = not settings.redis_url
    services = None
    server = None
    with stop_on_signals():
        try:
            if embedded_db or embedded_redis:
                from evcms.embedded import EmbeddedServices

                services = EmbeddedServices(settings.data_dir)
                settings = _start_embedded(services, settings, embedded_db, embedded_redis)
            base_url = f"http://{_url_host(args.host)}:{args.port}"
            lines = run_db(_prepare_serve(settings, embedded_db=embedded_db))
            say(*_banner(settings, base_url, args.host, args.port, lines))
            server = uvicorn_server(settings, args.host, args.port, worker=embedded_redis)
            server.run()
        except Stop as stop:
            say(f"Received {signal.Signals(stop.signum).name}, shutting down.")
        finally:
            shield_signals()
            if services is not None:
                _stop_embedded(services)
    if server is not None and not server.started:
        warn("the server did not start; see the log above")
        return 1
    say("evcms stopped.")
    return 0


def _check_port(host: str, port: int) -> None:
    """Fail before starting anything when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _start_embedded(
    services: EmbeddedServices, settings: Settings, postgres: bool, redis: bool
) -> Settings:
    """Start the embedded PostgreSQL and/or Redis; returns the settings with their URLs."""
    from evcms.embedded import EmbeddedBusy

    what = " and ".join(
        name for name, wanted in (("PostgreSQL", postgres), ("Redis", redis)) if wanted
    )
    say(f"Starting embedded {what} (data in {services.data_dir}) ...")
    try:
        with signals_deferred():
            services.start(postgres=postgres, redis=redis)
    except EmbeddedBusy as exc:
        raise CommandError(str(exc)) from None
    settings = settings.model_copy(
        update={
            "database_url": settings.database_url or services.database_url,
            "redis_url": settings.redis_url or services.redis_url,
        }
    )
    say(f"  PostgreSQL: {settings.database_url}", f"  Redis: {settings.redis_url}")
    return settings


def _stop_embedded(services: EmbeddedServices) -> None:
    if services.pids():
        say("Stopping embedded services ...")
        services.stop()
        say("Embedded services stopped.")
    else:
        services.stop()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _prepare_serve(settings: Settings, *, embedded_db: bool) -> list[str]:
    """Migrate the embedded database and create the demo organisation on first start.
    Returns what to tell the user about logging in."""
    from evcms import db

    if not embedded_db:
        return [
            "DATABASE_URL is set: apply migrations with `evcms migrate`, and create an",
            "organisation with its first admin with `evcms bootstrap` (see --help).",
        ]
    assert settings.database_url
    say("Applying database migrations ...")
    await connect(settings.database_url, migrate=True)
    try:
        return await _ensure_demo()
    finally:
        await db.close(quietly=True)  # the app connects again as it starts


async def _ensure_demo() -> list[str]:
    """Create the demo organisation unless organisations exist; returns what to print."""
    from tortoise.transactions import in_transaction

    from domain.operators.models import Operator
    from domain.organisations import service as organisations
    from domain.organisations.models import Organisation

    async with in_transaction():
        if not await Organisation.exists():
            password = new_password(DEMO_ADMIN)
            await organisations.bootstrap(
                name=DEMO_NAME,
                slug=DEMO_SLUG,
                username=DEMO_ADMIN,
                email=DEMO_EMAIL,
                password=password,
            )
            return [
                f'First start: created the demo organisation "{DEMO_NAME}" (slug {DEMO_SLUG})',
                "and its admin operator. The password is shown only this once; keep it:",
                f"  username: {DEMO_ADMIN}",
                f"  password: {password}",
                f"(lost it? `{_evcms()} set-password {DEMO_ADMIN}` prints a new one)",
            ]
        if await Operator.filter(username=DEMO_ADMIN, organisation__slug=DEMO_SLUG).exists():
            return [
                f'The demo organisation "{DEMO_NAME}" and its admin operator '
                f'"{DEMO_ADMIN}" exist already',
                "(its password was printed on the first start). To set a new one, run",
                f"  {_evcms()} set-password {DEMO_ADMIN}",
            ]
        return ["Organisations exist already; log in with one of their operators."]


def _evcms() -> str:
    """How to run evcms from here (scripts/serve does not put it on the PATH)."""
    local = Path(".venv/bin/evcms")
    if local.exists() and Path(sys.argv[0]).resolve() == local.resolve():
        return str(local)
    return "evcms"


def _banner(settings: Settings, base_url: str, host: str, port: int, lines: list[str]) -> list[str]:
    ide = " (GraphiQL IDE in the browser)" if settings.environment != "production" else ""
    ws = f"ws://{_url_host(host)}:{port}"
    return [
        "",
        "=" * 72,
        f"evcms is starting on {base_url}",
        f"  GraphQL: {base_url}/graphql{ide}",
        f"  OCPP:    {ws}/ocpp/{DEMO_SLUG}/{{station identifier}}"
        "  (/ocpp/{organisation slug}/{station identifier})",
        f"  Health:  {base_url}/healthz  {base_url}/readyz",
        "",
        *lines,
        "",
        *login_help(base_url, DEMO_ADMIN),
        "Stop with Ctrl-C.",
        "=" * 72,
        "",
    ]


def uvicorn_server(settings: Settings, host: str, port: int, *, worker: bool) -> Any:
    """The uvicorn server `evcms serve` runs (bench/ocpp_load.py runs the same one)."""
    import uvicorn

    from evcms.app import create_app
    from evcms.tuning import tune_gc

    app = create_app(settings, worker=worker)
    tune_gc()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,  # evcms.logging configured the root logger
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
        # Past this uvicorn closes the websocket (1009) before the frame is held in memory.
        ws_max_size=max(settings.ocpp_max_frame_bytes, settings.graphql_max_body_bytes),
    )
    return uvicorn.Server(config)


# --- worker ---------------------------------------------------------------------------------


def cmd_worker(args: argparse.Namespace) -> int:
    from evcms.logging import configure

    settings = get_settings()
    required = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url}
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise CommandError(
            f"`evcms worker` needs {' and '.join(missing)} (production: PostgreSQL and Redis). "
            "Without them `evcms serve` runs the worker in its own process.",
            status=2,
        )
    configure(settings.log_level)
    print_settings(settings)
    asyncio.run(_run_worker(settings))
    say("evcms worker stopped.")
    return 0


async def _run_worker(settings: Settings) -> None:
    from evcms.worker import build_worker

    worker = build_worker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    run = asyncio.create_task(worker.async_run())
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({run, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stopped.cancel()
        await worker.close()  # cancels running jobs (arq retries them) and disconnects
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
