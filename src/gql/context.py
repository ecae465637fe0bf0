"""Per-request context: the actor, the request's dataloaders and work to run after commit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from arq import ArqRedis

from domain import jobs
from domain.commands.service import Dispatch
from domain.events.live import LiveFeed
from gql.loaders import Loaders
from tenancy.actor import Actor
from tenancy.auth import LoginPolicy, authenticate


@dataclass
class Services:
    """What the app hands every request (built once at start-up)."""

    redis: ArqRedis  # login throttling
    jobs: jobs.JobQueue  # background jobs, run by the worker
    link_base: str
    login_policy: LoginPolicy
    dispatch: Dispatch  # remote commands reach the station's node through it
    # Run work after the response, on this node (its failures are logged).
    background: Callable[[Callable[[], Awaitable[Any]]], None]
    live: LiveFeed  # this node's one Redis subscription for every live status subscriber


@dataclass
class Context:
    """Over HTTP, one per request. Over a websocket, one per connection: `refresh` then
    reads the session again (every operation and every subscription event), so a
    deactivated operator or an expired session loses access there too."""

    actor: Actor
    services: Services
    request: Any = None
    response: Any = None
    token: str | None = None  # the bearer token the actor was authenticated with
    websocket: bool = False
    connection_params: dict[str, Any] = field(default_factory=dict)  # connection_init's
    loaders: Loaders = field(init=False)
    _after_commit: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.actor)

    async def sign_in(self, token: str | None) -> None:
        """Authenticate `token` (the websocket's connection_init payload)."""
        self.token = token
        await self.refresh()

    async def refresh(self) -> None:
        """The actor read fresh from the session, with dataloaders that cache nothing yet."""
        self.actor = await authenticate(self.token)
        self.loaders = Loaders(self.actor)

    def after_commit(self, job: Callable[[], Awaitable[Any]]) -> None:
        self._after_commit.append(job)

    def send_mail(self, message_id: object) -> None:
        """Deliver an outbox message once the transaction that wrote it has committed."""
        self.after_commit(lambda: self.services.jobs.enqueue(jobs.send_email(message_id)))

    def in_background_after_commit(self, job: Callable[[], Awaitable[Any]]) -> None:
        """Once committed, start `job` without waiting for it (a remote command, say)."""

        async def start() -> None:
            self.services.background(job)

        self.after_commit(start)

    def discard_after_commit(self) -> None:
        self._after_commit.clear()

    async def run_after_commit(self) -> None:
        jobs, self._after_commit = self._after_commit, []
        for job in jobs:
            await job()
