"""The domain's JobQueue on arq."""

from __future__ import annotations

from arq import ArqRedis

from domain.jobs import Job


class ArqQueue:
    def __init__(self, redis: ArqRedis) -> None:
        self.redis = redis

    async def enqueue(self, job: Job) -> bool:
        queued = await self.redis.enqueue_job(job.function, *job.args, _job_id=job.id)
        return queued is not None
