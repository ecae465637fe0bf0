"""arq worker wiring: the jobs of `workers`, with the database and SMTP set up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker

from evcms import db
from evcms.settings import Settings
from workers.jobs import CRON_JOBS, FUNCTIONS
from workers.mail import MAX_TRIES, SmtpConfig

log = logging.getLogger("evcms")


def build_worker(settings: Settings, *, init_db: bool = True, **kwargs: Any) -> Worker:
    """An arq Worker; `init_db=False` when the process already connected the ORM.

    Other keyword arguments go to arq's Worker (`burst`, `poll_delay`, `cron_jobs`, ...).
    """
    smtp = SmtpConfig.from_url(settings.smtp_url, settings.mail_from) if settings.smtp_url else None

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["smtp"] = smtp
        if init_db:
            await db.init(settings.database_url or "")

    async def shutdown(ctx: dict[str, Any]) -> None:
        if init_db:
            await db.close()

    kwargs.setdefault("cron_jobs", CRON_JOBS)
    return Worker(
        functions=FUNCTIONS,
        redis_settings=RedisSettings.from_dsn(settings.redis_url or ""),
        on_startup=startup,
        on_shutdown=shutdown,
        max_tries=MAX_TRIES,
        handle_signals=False,
        **kwargs,
    )


@contextlib.asynccontextmanager
async def run_in_background(settings: Settings) -> AsyncIterator[Worker]:
    """Run a worker inside this process (the embedded default) until the block ends."""
    worker = build_worker(settings, init_db=False)
    task = asyncio.create_task(worker.async_run())
    try:
        yield worker
    finally:
        await worker.close()
        log.info(
            "worker stopped: %d jobs complete, %d failed, %d retried",
            worker.jobs_complete, worker.jobs_failed, worker.jobs_retried,
        )  # fmt: skip
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
