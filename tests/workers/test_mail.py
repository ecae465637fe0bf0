"""The send_email job against a real SMTP server, real Redis and the real arq worker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings
from arq.constants import default_queue_name

from domain.mail import service as mail
from domain.mail.models import MailStatus, OutboxMessage
from evcms.background import Background
from evcms.live_hub import LiveHub
from evcms.settings import Settings
from gql.context import Context, Services
from ocpp_ws.router import Router
from tenancy.actor import ANONYMOUS
from tenancy.auth import LoginPolicy
from tests import factories
from tests.conftest import login
from tests.gqlclient import no_data
from workers.mail import CRON_JOBS, enqueue, job_id, requeue_stale_mail, send_email
from workers.queue import ArqQueue
from workers.smtp import SmtpConfig

SENDER = "evcms <no-reply@evcms.test>"

OUTBOX = """
query($r: String) {
  outboxMessages(recipient: $r) {
    totalCount items { recipient subject body status attempts lastError sentAt }
  }
}
"""
INVITE = """
mutation($u: String!, $e: String!) {
  inviteOperator(input: {username: $u, email: $e}) { operator { id } errors { code } }
}
"""


@pytest.fixture
async def arq_redis(settings: Settings, clean: None) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
    yield pool
    await pool.aclose()


async def message(world, recipient: str = "someone@example.com") -> OutboxMessage:  # type: ignore[no-untyped-def]
    return await mail.compose(
        organisation_id=world.org.id, recipient=recipient, subject="Hello", body="Hi there.\n"
    )


def job_ctx(smtp_url: str | None, job_try: int = 1) -> dict[str, object]:
    """What the worker hands a job: its SMTP configuration and the try number."""
    return {"smtp": SmtpConfig.from_url(smtp_url, SENDER) if smtp_url else None, "job_try": job_try}


async def make_due(redis: ArqRedis, message_id: object) -> None:
    """Time passes: a job deferred by Retry becomes due now."""
    due = {job_id(message_id): time.time() * 1000}
    assert await redis.zadd(default_queue_name, due, xx=True) == 0  # 0 added: it was there


async def test_without_smtp_mail_waits_in_the_outbox_for_admins(
    client, as_admin, world, run_worker
):
    data = await as_admin(INVITE, u="newbie", e="newbie@example.com")
    assert data["inviteOperator"]["errors"] == []
    worker = await run_worker(None)
    assert worker.jobs_complete == 1

    data = await as_admin(OUTBOX, r="NEWBIE@example.com")
    assert data["outboxMessages"]["totalCount"] == 1
    item = data["outboxMessages"]["items"][0]
    assert item["recipient"] == "newbie@example.com"
    assert item["status"] == "OUTBOX"
    assert item["attempts"] == 1
    assert item["lastError"] is None
    assert item["sentAt"]
    assert "http://evcms.test/accept-invitation?token=" in item["body"]

    basic = await client.as_token(await login(client, "beta")).raw(OUTBOX)
    assert no_data(basic)
    assert basic["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    outsider = await client.as_token(await login(client, "omega"))(OUTBOX)
    assert outsider["outboxMessages"] == {"totalCount": 0, "items": []}


async def test_an_admin_below_the_root_reads_no_mail(client, as_admin, world, run_worker):
    """Mail holds reset links of operators above them: only the root's admins read it."""
    await factories.operator(world.g1, "admin", username="delta")
    await as_admin(INVITE, u="newbie", e="newbie@example.com")
    await run_worker(None)
    assert (await as_admin(OUTBOX))["outboxMessages"]["totalCount"] == 1
    delta = client.as_token(await login(client, "delta"))
    assert (await delta(OUTBOX))["outboxMessages"] == {"totalCount": 0, "items": []}


async def test_smtp_down_marks_failed_and_raises_retry(world, smtp_down_url):
    row = await message(world)
    with pytest.raises(Retry) as raised:
        await send_email(job_ctx(smtp_down_url, job_try=2), str(row.id))
    assert raised.value.defer_score == 60_000
    await row.refresh_from_db()
    assert row.status == MailStatus.FAILED
    assert row.attempts == 1
    assert row.last_error and "SMTPConnect" in row.last_error
    assert row.sent_at is None


async def test_last_try_gives_up_without_retry(world, smtp_down_url):
    row = await message(world)
    assert await send_email(job_ctx(smtp_down_url, job_try=5), str(row.id)) == "failed"
    await row.refresh_from_db()
    assert row.status == MailStatus.FAILED


async def test_worker_retries_until_smtp_is_up_and_delivers_once(
    world, arq_redis, run_worker, smtp_down_url, smtp_server, deliver
):
    row = await message(world)
    assert await enqueue(arq_redis, row.id)
    worker = await run_worker(smtp_down_url, max_burst_jobs=1)
    assert (worker.jobs_retried, worker.jobs_complete) == (1, 0)
    await row.refresh_from_db()
    assert (row.status, row.attempts) == (MailStatus.FAILED, 1)
    # Deferred, not lost: the job waits in the queue for its next try.
    score = await arq_redis.zscore(default_queue_name, job_id(row.id))
    assert score is not None and score > time.time() * 1000 + 20_000

    await make_due(arq_redis, row.id)
    worker = await deliver()
    assert worker.jobs_complete == 1
    await row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 2, None)
    assert row.sent_at is not None
    assert [r.rcpt_tos for r in smtp_server.received] == [["someone@example.com"]]
    assert await arq_redis.zcard(default_queue_name) == 0


async def test_delivered_email_has_headers_and_body(
    settings, world, arq_redis, smtp_server, deliver
):
    assert settings.mail_from == "evcms <no-reply@localhost>"
    row = await message(world, "Some.One@Example.com")
    await enqueue(arq_redis, row.id)
    await deliver()
    [received] = smtp_server.received
    assert received.mail_from == "no-reply@localhost"
    assert received.rcpt_tos == ["Some.One@Example.com"]
    email = received.message
    assert email["To"] == "Some.One@Example.com"
    assert email["Subject"] == "Hello"
    assert email["From"] == "evcms <no-reply@localhost>"
    assert email["Message-ID"] == f"<{row.id}@localhost>"
    assert email["Date"]
    assert received.body == "Hi there.\n"


async def test_running_the_job_twice_sends_one_email(world, smtp_server):
    row = await message(world)
    ctx = job_ctx(smtp_server.url)
    assert await send_email(ctx, str(row.id)) == "sent"
    assert await send_email(ctx, str(row.id)) == "skipped"
    assert len(smtp_server.received) == 1
    await row.refresh_from_db()
    assert (row.status, row.attempts) == (MailStatus.SENT, 1)


async def test_a_message_in_the_outbox_is_not_sent_again(world, smtp_server):
    row = await message(world)
    assert await send_email(job_ctx(None), str(row.id)) == "outbox"
    assert await send_email(job_ctx(smtp_server.url), str(row.id)) == "skipped"
    assert smtp_server.received == []


async def test_enqueuing_the_same_message_twice_gives_one_job(
    world, arq_redis, smtp_server, deliver
):
    row = await message(world)
    services = Services(
        redis=arq_redis,
        jobs=ArqQueue(arq_redis),
        link_base="http://evcms.test",
        login_policy=LoginPolicy(),
        dispatch=Router(arq_redis, "test-client").dispatch,
        background=Background(),
        live=LiveHub(arq_redis),
    )
    ctx = Context(actor=ANONYMOUS, services=services)
    ctx.send_mail(row.id)
    ctx.send_mail(row.id)
    await ctx.run_after_commit()
    assert await arq_redis.zcard(default_queue_name) == 1

    worker = await deliver()
    assert worker.jobs_complete == 1
    assert len(smtp_server.received) == 1
    # Its result is kept, so enqueuing it once more still makes no second job.
    assert not await enqueue(arq_redis, row.id)


async def test_refused_recipient_fails_for_good(world, arq_redis, smtp_server, deliver):
    smtp_server.handler.refuse.add("nobody@example.com")
    row = await message(world, "nobody@example.com")
    await enqueue(arq_redis, row.id)
    worker = await deliver()
    assert (worker.jobs_complete, worker.jobs_retried) == (1, 0)
    await row.refresh_from_db()
    assert row.status == MailStatus.FAILED
    assert row.last_error and "550" in row.last_error
    assert smtp_server.received == []


async def test_a_queued_message_whose_job_was_lost_is_sent_by_the_sweep(
    world, arq_redis, run_worker, smtp_server
):
    lost = await message(world, "lost@example.com")
    fresh = await message(world, "fresh@example.com")
    await OutboxMessage.filter(id=lost.id).update(created_at=datetime.now(UTC) - timedelta(hours=1))
    # The worker's cron runs the sweep at start-up; the fresh one is left to its own job.
    await run_worker(smtp_server.url, cron_jobs=CRON_JOBS)
    assert [r.rcpt_tos for r in smtp_server.received] == [["lost@example.com"]]
    await fresh.refresh_from_db()
    assert fresh.status == MailStatus.QUEUED
    assert await requeue_stale_mail({"redis": arq_redis}) == 0


def test_smtp_url_parsing():
    plain = SmtpConfig.from_url("smtp://mailer:p%40ss@mail.example.com:587?starttls=true", SENDER)
    assert (plain.hostname, plain.port, plain.username, plain.password) == (
        "mail.example.com",
        587,
        "mailer",
        "p@ss",
    )
    assert (plain.use_tls, plain.start_tls) == (False, True)
    implicit = SmtpConfig.from_url("smtps://mail.example.com", SENDER)
    assert (implicit.port, implicit.use_tls, implicit.start_tls) == (465, True, None)
    with pytest.raises(ValueError):
        SmtpConfig.from_url("http://mail.example.com", SENDER)
