"""What the `evcms` commands share: their errors and output, signal handling, and the
database they work on (DATABASE_URL or the embedded PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, NoReturn

from evcms.settings import Settings


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
def _handling_signals(handler: Callable[[int, FrameType | None], Any]) -> Iterator[None]:
    """`handler` for SIGINT and SIGTERM inside the block, the previous handlers after it."""
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise `Stop` (also when the shell started us with SIGINT ignored,
    as background jobs of scripts are); the previous handlers come back afterwards."""
    with _handling_signals(_raise_stop):
        yield


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """While embedded servers start: a SIGINT or SIGTERM is remembered and raised as `Stop`
    once they have started, so `stop()` knows every server it has to stop."""
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        if not received:
            warn("stopping as soon as the embedded services have started")
        received.append(signum)

    with _handling_signals(remember):
        yield
    if received:
        raise Stop(received[0])


def shield_signals() -> None:
    """While cleaning up: a second Ctrl-C must not leave servers behind."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _already_stopping)


# --- settings, database, logging in --------------------------------------------------------


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
        shield_signals()
        services.stop()


async def connect(url: str, *, migrate: bool) -> None:
    """Open the ORM's connection to `url`, after applying the migrations when asked to."""
    from evcms import db

    if migrate:
        await db.migrate(url)
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
    """A generated password that the password policy accepts for `username`."""
    from domain.errors import DomainError
    from domain.operators.passwords import check_policy, generate_password

    while True:
        password = generate_password()
        try:
            check_policy(password, username=username)
        except DomainError:
            continue
        return password
