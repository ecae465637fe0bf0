"""The developer commands: `evcms export-schema`, `evcms makemigrations` and
`evcms simulate` (simulated charging stations against a server)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from evcms.cli.common import CommandError, warn
from evcms.settings import get_settings


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
