"""The administration commands on DATABASE_URL or the embedded database: `evcms migrate`,
`evcms bootstrap` (an organisation with its first admin) and `evcms set-password`."""

from __future__ import annotations

import argparse
from typing import Any

from evcms.cli.common import (
    CommandError,
    connect,
    database,
    login_help,
    new_password,
    run_db,
    say,
    stop_on_signals,
)
from evcms.settings import get_settings

# --- migrate --------------------------------------------------------------------------------


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


# --- bootstrap ------------------------------------------------------------------------------


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

    await connect(url, migrate=embedded)
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


# --- set-password ---------------------------------------------------------------------------


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

    await connect(url, migrate=embedded)
    try:
        async with in_transaction():
            return await organisations.set_operator_password(username=username, password=password)
    finally:
        await db.close()
