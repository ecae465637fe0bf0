"""Background jobs by name: the contract between whoever queues a job (a request once its
transaction commits, the worker's own sweeps) and the worker function that runs it.

Each job is spelled once here, with its id: queuing the same job twice while it is queued
or kept as done gives one job (arq's `_job_id`). A test checks that every name has its
worker function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Job:
    function: str  # the worker function's name
    args: tuple[str, ...]  # ids only: a job reads the rest itself, when it runs
    id: str


class JobQueue(Protocol):
    async def enqueue(self, job: Job) -> bool:
        """Queue the job; False when a job of that id is already queued or done."""
        ...


def send_email(message_id: object) -> Job:
    """Deliver one outbox message."""
    return Job("send_email", (str(message_id),), f"send_email:{message_id}")


JOBS = (send_email,)
