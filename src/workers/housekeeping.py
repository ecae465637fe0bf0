"""Close charging sessions no StopTransaction will end (the station vanished)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from arq.cron import cron
from tortoise.transactions import in_transaction

from domain.charging import service as charging

log = logging.getLogger("evcms.housekeeping")
# A station silent this long (heartbeats come every 5 minutes) is gone.
SILENT_FOR = timedelta(hours=2)


async def close_stale_sessions(ctx: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    async with in_transaction():
        closed = await charging.close_stale_sessions(older_than=now - SILENT_FOR, now=now)
    if closed:
        log.info("closed %s charging sessions of vanished stations", closed)
    return closed


FUNCTIONS = [close_stale_sessions]
CRON_JOBS = [cron(close_stale_sessions, minute=set(range(0, 60, 10)))]
