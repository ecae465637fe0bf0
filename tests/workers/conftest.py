"""A real SMTP server (aiosmtpd) and the real arq worker, run in burst mode against test Redis.

Tests elsewhere use these fixtures by importing them: `from tests.workers.conftest import ...`.
"""

from __future__ import annotations

import asyncio
import re
import socket
import warnings
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from arq.worker import Worker

from evcms.settings import Settings
from evcms.worker import build_worker

LINK_RE = re.compile(r"(https?://\S+/(accept-invitation|reset-password)\?token=([\w-]+))")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    """One e-mail as the SMTP server got it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        """The decoded text, with SMTP's CRLF line ends as \n."""
        return str(self.message.get_content()).replace("\r\n", "\n")

    def link(self) -> tuple[str, str]:
        """The one link in the body and its token."""
        found = LINK_RE.findall(self.body)
        assert len(found) == 1, self.body
        return found[0][0], found[0][2]


@dataclass
class Collector:
    """aiosmtpd handler: keeps every message; answers 550 for addresses in `refuse`."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    port: int
    handler: Collector

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free port of 127.0.0.1 (in its own thread), empty per test."""
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


@pytest.fixture
def smtp_down_url() -> str:
    """An SMTP URL where nothing listens."""
    return f"smtp://127.0.0.1:{free_port()}"


RunWorker = Callable[..., Awaitable[Worker]]


@pytest.fixture
def run_worker(settings: Settings, clean: None) -> RunWorker:
    """Run the arq worker in burst mode until the queue is empty; `smtp_url=None`: no SMTP."""

    async def run(smtp_url: str | None, **kwargs: Any) -> Worker:
        worker = build_worker(
            settings.model_copy(update={"smtp_url": smtp_url}),
            init_db=False,
            burst=True,
            poll_delay=0.05,
            **{"cron_jobs": [], **kwargs},
        )
        try:
            await asyncio.wait_for(worker.main(), timeout=30)
        finally:
            with warnings.catch_warnings():  # arq's close() calls redis' deprecated close()
                warnings.simplefilter("ignore", DeprecationWarning)
                await worker.close()
        return worker

    return run


@pytest.fixture
def deliver(run_worker: RunWorker, smtp_server: SmtpServer) -> Callable[[], Awaitable[Worker]]:
    """Run the worker with SMTP pointing at `smtp_server`."""

    async def run() -> Worker:
        return await run_worker(smtp_server.url)

    return run
