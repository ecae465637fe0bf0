"""The `evcms` command: serve, worker, migrate, bootstrap, set-password, export-schema,
makemigrations, simulate. Run `evcms --help` or `evcms COMMAND --help`.

This module holds the parser with its help texts and the dispatch to the commands:
`serve` (serve and worker), `admin` (migrate, bootstrap, set-password), `developer`
(export-schema, makemigrations, simulate), and what they share in `common`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TypeAlias

from evcms.cli.admin import cmd_bootstrap, cmd_migrate, cmd_set_password
from evcms.cli.common import CommandError, Stop, warn
from evcms.cli.developer import cmd_export_schema, cmd_makemigrations, cmd_simulate
from evcms.cli.serve import cmd_serve, cmd_worker

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

if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evcms",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    _add_process_commands(commands)
    _add_admin_commands(commands)
    _add_developer_commands(commands)
    return parser


def _command(commands: Commands, name: str, summary: str, details: str) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=f"{summary}\n\n{details}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _add_process_commands(commands: Commands) -> None:
    """serve and worker (evcms.cli.serve)."""
    serve = _command(
        commands,
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

    worker = _command(
        commands,
        "worker",
        "run a background worker (schedules, invoices, e-mail) for production",
        "Needs DATABASE_URL and REDIS_URL. Run as many as you need; SIGINT/SIGTERM stop it.",
    )
    worker.set_defaults(handler=cmd_worker)


def _add_admin_commands(commands: Commands) -> None:
    """migrate, bootstrap and set-password (evcms.cli.admin)."""
    migrate = _command(
        commands,
        "migrate",
        "apply the database migrations",
        "Applies every migration the database has not seen, to DATABASE_URL or, when it is\n"
        "unset, to the embedded database under DATA_DIR.",
    )
    migrate.set_defaults(handler=cmd_migrate)

    bootstrap = _command(
        commands,
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

    set_password = _command(
        commands,
        "set-password",
        "give an operator a new generated password and print it",
        "For the demo admin who lost the printed password (works while `evcms serve` runs).\n"
        "The operator's other sessions end.",
    )
    set_password.add_argument("username")
    set_password.set_defaults(handler=cmd_set_password)


def _add_developer_commands(commands: Commands) -> None:
    """export-schema, makemigrations and simulate (evcms.cli.developer)."""
    export = _command(
        commands,
        "export-schema",
        "print the GraphQL schema (SDL)",
        "evcms export-schema > schema.graphql",
    )
    export.set_defaults(handler=cmd_export_schema)

    makemigrations = _command(
        commands,
        "makemigrations",
        "write a new migration into src/domain/migrations from model changes (developers)",
        "Compares the Tortoise models with the existing migrations; needs no database.",
    )
    makemigrations.add_argument("--name", help="name of the migration (default: automatic)")
    makemigrations.set_defaults(handler=cmd_makemigrations)

    from evcms.simulate import arguments

    simulate = _command(commands, "simulate", arguments.SUMMARY, arguments.DETAILS)
    simulate.epilog = arguments.EXAMPLES
    arguments.add_arguments(simulate)
    simulate.set_defaults(handler=cmd_simulate)


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
