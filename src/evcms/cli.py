"""The `evcms` command: serve, worker, migrate, bootstrap, set-password, export-schema,
makemigrations, simulate. Run `evcms --help` or `evcms COMMAND --help`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from evcms.settings import Settings, get_settings

DEMO_NAME = "Demo"
DEMO_SLUG = "demo"
DEMO_ADMIN = "admin"
DEMO_EMAIL = "admin@example.com"

DESCRIPTION = """\
evcms: a multi-tenant charging station management system.

With no configuration, `evcms serve` runs everything on this machine: an embedded
PostgreSQL and Redis keep their data under ./var/ (DATA_DIR), and the first start
creates a demo organisation with an admin operator whose password is printed once.
In production set DATABASE_URL and REDIS_URL and run `evcms migrate`, several
`evcms serve` nodes and `evcms worker` processes. Settings come from the environment
(and an optional .env file); see the README for the full list."""

EPILOG = """\
examples:
  evcms serve --port 8000
  evcms bootstrap --organisation "ACME Charging" --slug acme --username alice \\
        --email alice@acme.example
  evcms set-password admin
  evcms export-schema > schema.graphql
  evcms simulate --login admin --password ... --stations 5"""


class Stop(BaseException):
    """Raised in the main thread when SIGINT or SIGTERM arrives (so `finally` blocks run)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class CommandError(Exception):
    """A failure to report on stderr with a non-zero exit status (no stack trace)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def say(*lines: str) -> None:
    for line in lines:
        print(line, flush=True)


def warn(message: str) -> None:
    print(f"evcms: {message}", file=sys.stderr, flush=True)


# --- signals --------------------------------------------------------------------------------


def _raise_stop(signum: int, frame: FrameType | None) -> NoReturn:
    raise Stop(signum)


def _already_stopping(signum: int, frame: FrameType | None) -> None:
    warn("already stopping, please wait")


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Stop` (also when the shell started us with SIGINT ignored,
    as background jobs of scripts are); the previous handlers come back afterwards."""
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, _raise_stop) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """While embedded servers start: a SIGINT or SIGTERM is remembered and raised as `Stop`
    once they have started, so `stop()` knows every server it has to stop."""
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        if not received:
            warn("stopping as soon as the embedded services have started")
        received.append(signum)

    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, remember) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise Stop(received[0])


def _shield_signals() -> None:
    """While cleaning up: a second Ctrl-C must not leave servers behind."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _already_stopping)


# --- shared helpers -------------------------------------------------------------------------


def print_settings(settings: Settings) -> None:
    say("evcms settings (environment and .env; secrets masked):")
    for name, value in settings.masked().items():
        say(f"  {name}={value if value else '(unset)'}")


@contextlib.contextmanager
def database(settings: Settings) -> Iterator[tuple[str, bool]]:
    """DATABASE_URL, or the embedded PostgreSQL (shared with a running `evcms serve`, or
    started for the duration of the block). Yields the URL and whether it is embedded."""
    if settings.database_url:
        yield settings.database_url, False
        return
    from evcms.embedded import EmbeddedBusy, EmbeddedServices

    services = EmbeddedServices(settings.data_dir)
    try:
        try:
            with signals_deferred():
                services.start(postgres=True, redis=False, share=True)
        except EmbeddedBusy as exc:
            raise CommandError(str(exc)) from None
        assert services.database_url
        yield services.database_url, True
    finally:
        _shield_signals()
        services.stop()


async def _connect(url: str, *, migrate: bool) -> None:
    from evcms import db

    if migrate:
        await db.migrate(url)
        await db.close()
    await db.init(url)


def run_db(coro: Any) -> Any:
    """Run a coroutine that talks to the database; database failures become CommandErrors."""
    import asyncpg
    from tortoise.exceptions import BaseORMException

    try:
        return asyncio.run(coro)
    except (BaseORMException, asyncpg.PostgresError, OSError) as exc:
        raise CommandError(
            f"database error: {exc} (is DATABASE_URL right, and did `evcms migrate` run?)"
        ) from None


def login_help(base_url: str, username: str) -> list[str]:
    return [
        "How to log in:",
        f"  1. POST {base_url}/graphql",
        f'     mutation {{ login(username: "{username}", password: "...") '
        "{ token errors { message } } }",
        "  2. send the token with every request:  Authorization: Bearer <token>",
        "  (the README shows both with curl)",
    ]


def new_password(username: str) -> str:
    from domain.errors import DomainError
    from domain.operators.passwords import check_policy, generate_password

    while True:
        password = generate_password()
        try:
            check_policy(password, username=username)
        except DomainError:
            continue
        return password


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
                from evcms.embedded import EmbeddedBusy, EmbeddedServices

                what = " and ".join(
                    name
                    for name, wanted in (("PostgreSQL", embedded_db), ("Redis", embedded_redis))
                    if wanted
                )
                services = EmbeddedServices(settings.data_dir)
                say(f"Starting embedded {what} (data in {services.data_dir}) ...")
                try:
                    with signals_deferred():
                        services.start(postgres=embedded_db, redis=embedded_redis)
                except EmbeddedBusy as exc:
                    raise CommandError(str(exc)) from None
                settings = settings.model_copy(
                    update={
                        "database_url": settings.database_url or services.database_url,
                        "redis_url": settings.redis_url or services.redis_url,
                    }
                )
                say(f"  PostgreSQL: {settings.database_url}", f"  Redis: {settings.redis_url}")
            base_url = f"http://{_url_host(args.host)}:{args.port}"
            lines = run_db(_prepare_serve(settings, embedded_db=embedded_db))
            say(*_banner(settings, base_url, args.host, args.port, lines))
            server = _uvicorn(settings, args.host, args.port, worker=embedded_redis)
            server.run()
        except Stop as stop:
            say(f"Received {signal.Signals(stop.signum).name}, shutting down.")
        finally:
            _shield_signals()
            if services is not None and services.pids():
                say("Stopping embedded services ...")
                services.stop()
                say("Embedded services stopped.")
            elif services is not None:
                services.stop()
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
    await _connect(settings.database_url, migrate=True)
    try:
        return await _ensure_demo()
    finally:
        await db.close()


async def _ensure_demo() -> list[str]:
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


def _uvicorn(settings: Settings, host: str, port: int, *, worker: bool) -> Any:
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


# --- migrate, bootstrap, set-password ----------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    with stop_on_signals(), database(settings) as (url, embedded):
        say(f"Applying migrations to {'the embedded database' if embedded else 'DATABASE_URL'} ...")
        run_db(_migrate(url))
    say("Migrations applied.")
    return 0


async def _migrate(url: str) -> None:
    from evcms import db

    await db.migrate(url)
    await db.close()


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from domain.errors import DomainError

    settings = get_settings()
    password = args.password or new_password(args.username)
    with stop_on_signals(), database(settings) as (url, embedded):
        try:
            organisation, root, admin = run_db(_bootstrap(url, args, password, embedded))
        except DomainError as exc:
            raise CommandError(f"{exc.message} Nothing was created.") from None
    say(
        f'Created organisation "{organisation.name}" (slug {organisation.slug}) with its root '
        f'group "{root.name}" and the admin operator "{admin.username}".',
    )
    if not args.password:
        say("The password is shown only this once:", f"  password: {password}")
    say(
        f"Charging stations connect to ws://HOST:PORT/ocpp/{organisation.slug}/{{identifier}}.",
        *login_help(settings.public_url.rstrip("/"), admin.username),
    )
    return 0


async def _bootstrap(url: str, args: argparse.Namespace, password: str, embedded: bool) -> Any:
    from tortoise.transactions import in_transaction

    from domain.organisations import service as organisations
    from evcms import db

    await _connect(url, migrate=embedded)
    try:
        async with in_transaction():
            return await organisations.bootstrap(
                name=args.organisation,
                slug=args.slug,
                username=args.username,
                email=args.email,
                password=password,
            )
    finally:
        await db.close()


def cmd_set_password(args: argparse.Namespace) -> int:
    from domain.errors import DomainError

    settings = get_settings()
    password = new_password(args.username)
    with stop_on_signals(), database(settings) as (url, embedded):
        try:
            operator = run_db(_set_password(url, args.username, password, embedded))
        except DomainError as exc:
            raise CommandError(f"{args.username}: {exc.message}") from None
    say(
        f"New password for {operator.username} (shown only this once):",
        f"  password: {password}",
        "Their other sessions have ended.",
    )
    if operator.status.value != "active":
        say(f"Note: the operator's status is {operator.status.value}; they cannot log in.")
    return 0


async def _set_password(url: str, username: str, password: str, embedded: bool) -> Any:
    from tortoise.transactions import in_transaction

    from domain.organisations import service as organisations
    from evcms import db

    await _connect(url, migrate=embedded)
    try:
        async with in_transaction():
            return await organisations.set_operator_password(username=username, password=password)
    finally:
        await db.close()


# --- developer commands ---------------------------------------------------------------------


def cmd_export_schema(args: argparse.Namespace) -> int:
    from gql.schema import sdl

    sys.stdout.write(sdl())
    sys.stdout.flush()
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    import tortoise.cli.cli as tortoise_cli
    from tortoise.config import TortoiseConfig

    import domain
    from evcms.db import tortoise_config

    # The autodetector compares the models with the migration files; it connects nowhere.
    config = tortoise_config(get_settings().database_url or "postgres://postgres@127.0.0.1/evcms")
    tortoise_cli._load_config = lambda ctx: TortoiseConfig.resolve_args(config, None)
    src = Path(domain.__file__).resolve().parent.parent
    cwd = Path.cwd()
    os.chdir(src)
    try:
        asyncio.run(tortoise_cli.makemigrations(None, (), False, args.name))  # type: ignore[arg-type]
    finally:
        os.chdir(cwd)
    return 0


# --- simulate -------------------------------------------------------------------------------


def cmd_simulate(args: argparse.Namespace) -> int:
    import httpx

    from evcms.simulate.arguments import options_from
    from evcms.simulate.provision import ProvisioningError
    from evcms.simulate.runner import SimulationError, main

    try:
        options = options_from(args)
        asyncio.run(main(options))
    except (SimulationError, ProvisioningError) as exc:
        raise CommandError(str(exc)) from None
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach {args.url}: {exc}") from None
    except asyncio.CancelledError:
        warn("stopped at once")
        return 130
    return 0


# --- parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evcms",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    def command(name: str, summary: str, details: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=summary,
            description=f"{summary}\n\n{details}",
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        return sub

    serve = command(
        "serve",
        "run the GraphQL API and OCPP endpoint (one process per node)",
        "Prints every setting (secrets masked). When DATABASE_URL and/or REDIS_URL are unset,\n"
        "starts an embedded PostgreSQL and/or Redis with data under DATA_DIR (./var/),\n"
        "applies migrations, runs the background worker in this process and, on the\n"
        "first start, creates the demo organisation with an admin operator whose generated\n"
        "password is printed once. Ctrl-C or SIGTERM stops the server and then the\n"
        "embedded services.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.set_defaults(handler=cmd_serve)

    worker = command(
        "worker",
        "run a background worker (schedules, invoices, e-mail) for production",
        "Needs DATABASE_URL and REDIS_URL. Run as many as you need; SIGINT/SIGTERM stop it.",
    )
    worker.set_defaults(handler=cmd_worker)

    migrate = command(
        "migrate",
        "apply the database migrations",
        "Applies every migration the database has not seen, to DATABASE_URL or, when it is\n"
        "unset, to the embedded database under DATA_DIR.",
    )
    migrate.set_defaults(handler=cmd_migrate)

    bootstrap = command(
        "bootstrap",
        "create an organisation, its root group and its first admin operator",
        "All in one transaction. Without --password a password is generated and printed\n"
        "once. Refuses, changing nothing, when the slug or the username exists already.",
    )
    bootstrap.add_argument("--organisation", required=True, metavar="NAME", help="its name")
    bootstrap.add_argument(
        "--slug",
        required=True,
        help="its URL name: lower-case letters, digits and dashes (stations connect to "
        "/ocpp/SLUG/IDENTIFIER)",
    )
    bootstrap.add_argument("--username", required=True, help="the admin operator's username")
    bootstrap.add_argument("--email", required=True, help="the admin operator's e-mail address")
    bootstrap.add_argument("--password", help="the admin's password (default: generated)")
    bootstrap.set_defaults(handler=cmd_bootstrap)

    set_password = command(
        "set-password",
        "give an operator a new generated password and print it",
        "For the demo admin who lost the printed password (works while `evcms serve` runs).\n"
        "The operator's other sessions end.",
    )
    set_password.add_argument("username")
    set_password.set_defaults(handler=cmd_set_password)

    export = command(
        "export-schema",
        "print the GraphQL schema (SDL)",
        "evcms export-schema > schema.graphql",
    )
    export.set_defaults(handler=cmd_export_schema)

    makemigrations = command(
        "makemigrations",
        "write a new migration into src/domain/migrations from model changes (developers)",
        "Compares the Tortoise models with the existing migrations; needs no database.",
    )
    makemigrations.add_argument("--name", help="name of the migration (default: automatic)")
    makemigrations.set_defaults(handler=cmd_makemigrations)

    from evcms.simulate import arguments

    simulate = command("simulate", arguments.SUMMARY, arguments.DETAILS)
    simulate.epilog = arguments.EXAMPLES
    arguments.add_arguments(simulate)
    simulate.set_defaults(handler=cmd_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        status: int = args.handler(args)
    except CommandError as exc:
        warn(str(exc))
        return exc.status
    except (Stop, KeyboardInterrupt):
        warn("interrupted")
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
