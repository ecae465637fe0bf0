"""Every arq job of the worker, in one place."""

from __future__ import annotations

from arq.cron import CronJob
from arq.typing import WorkerCoroutine

from workers import housekeeping, mail

FUNCTIONS: list[WorkerCoroutine] = [*mail.FUNCTIONS, *housekeeping.FUNCTIONS]
CRON_JOBS: list[CronJob] = [*mail.CRON_JOBS, *housekeeping.CRON_JOBS]
