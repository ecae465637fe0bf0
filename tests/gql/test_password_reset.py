"""Lost password (seed 003, "Log in") and an admin's RESET PASSWORD, through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.mail.models import OutboxMessage
from domain.operators.models import OperatorLink, OperatorStatus
from tests.conftest import LOGIN, login
from tests.factories import PASSWORD
from tests.workers import conftest as mail_fixtures

# The SMTP server and worker fixtures of tests/workers, used here too.
smtp_server = mail_fixtures.smtp_server
run_worker = mail_fixtures.run_worker
deliver = mail_fixtures.deliver

REQUEST = "mutation($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
SEND = "mutation($id: ID!) { sendPasswordReset(id: $id) { ok errors { code field message } } }"
RESET = """
mutation($t: String!, $p: String!) {
  resetPassword(token: $t, password: $p) { operator { username } errors { code field message } }
}
"""
ME = "{ me { username } }"
ADDRESS = "beta@example.com"
NEW_PASSWORD = "Brand-New-Pass-7"
INVALID_TOKEN = {
    "operator": None,
    "errors": [
        {
            "code": "INVALID_TOKEN",
            "field": "token",
            "message": "The link is invalid or has expired.",
        }
    ],
}


async def reset_token(smtp_server, deliver, address: str = ADDRESS) -> str:  # type: ignore[no-untyped-def]
    """Run the worker; the token of the newest reset e-mail to `address`."""
    await deliver()
    received = smtp_server.to(address)[-1]
    assert received.message["Subject"] == "Reset your evcms password"
    link, token = received.link()
    assert link == f"http://evcms.test/reset-password?token={token}"
    return token


async def test_lost_password_is_reset_by_the_emailed_link(client, world, smtp_server, deliver):
    before = client.as_token(await login(client, "beta"))
    data = await client(REQUEST, e="  BETA@Example.com ")
    assert data["requestPasswordReset"] == {"ok": True, "errors": []}
    token = await reset_token(smtp_server, deliver)
    [received] = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert "'beta'" in received.body

    data = await client(RESET, t=token, p=NEW_PASSWORD)
    assert data["resetPassword"] == {"operator": {"username": "beta"}, "errors": []}

    data = await client(LOGIN, u="beta", p=PASSWORD)
    assert data["login"]["errors"] == [
        {"code": "WRONG_CREDENTIALS", "message": "Wrong credentials."}
    ]
    assert await client.as_token(await login(client, "beta", NEW_PASSWORD))(ME) == {
        "me": {"username": "beta"}
    }
    # The session opened before the reset has ended.
    stale = await before.raw(ME)
    assert stale["data"] == {"me": None}
    assert stale["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    data = await client(RESET, t=token, p="Yet-Another-Pass-8")
    assert data["resetPassword"] == INVALID_TOKEN


async def test_unknown_or_inactive_address_answers_ok_and_sends_nothing(
    client, world, smtp_server, deliver
):
    world.basic_g2.status = OperatorStatus.INACTIVE
    await world.basic_g2.save()
    for address in ("nobody@example.com", "not an address", "gamma@example.com"):
        data = await client(REQUEST, e=address)
        assert data["requestPasswordReset"] == {"ok": True, "errors": []}
    assert await OutboxMessage.all().count() == 0
    await deliver()
    assert smtp_server.received == []


async def test_admin_sends_a_reset_link(client, as_admin, world, smtp_server, deliver):
    data = await as_admin(SEND, id=str(world.basic.id))
    assert data["sendPasswordReset"] == {"ok": True, "errors": []}
    token = await reset_token(smtp_server, deliver)
    data = await client(RESET, t=token, p=NEW_PASSWORD)
    assert data["resetPassword"]["operator"] == {"username": "beta"}
    assert await login(client, "beta", NEW_PASSWORD)


async def test_only_an_admin_in_scope_sends_a_reset_link(
    client, as_basic, world, smtp_server, deliver
):
    data = await as_basic(SEND, id=str(world.basic_g2.id))
    assert data["sendPasswordReset"] == {
        "ok": False,
        "errors": [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}],
    }
    outsider = client.as_token(await login(client, "omega"))
    data = await outsider(SEND, id=str(world.basic.id))
    assert data["sendPasswordReset"] == {
        "ok": False,
        "errors": [{"code": "NOT_FOUND", "field": "id", "message": "Operator not found."}],
    }
    await deliver()
    assert smtp_server.received == []


async def test_expired_link_is_refused(client, world, smtp_server, deliver):
    await client(REQUEST, e=ADDRESS)
    token = await reset_token(smtp_server, deliver)
    await OperatorLink.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    data = await client(RESET, t=token, p=NEW_PASSWORD)
    assert data["resetPassword"] == INVALID_TOKEN
    assert await login(client, "beta", PASSWORD)


async def test_a_new_request_replaces_the_earlier_link(client, world, smtp_server, deliver):
    await client(REQUEST, e=ADDRESS)
    first = await reset_token(smtp_server, deliver)
    await client(REQUEST, e=ADDRESS)
    second = await reset_token(smtp_server, deliver)
    assert (await client(RESET, t=first, p=NEW_PASSWORD))["resetPassword"] == INVALID_TOKEN
    data = await client(RESET, t=second, p=NEW_PASSWORD)
    assert data["resetPassword"]["errors"] == []


async def test_weak_password_keeps_the_link_and_the_old_password(
    client, world, smtp_server, deliver
):
    await client(REQUEST, e=ADDRESS)
    token = await reset_token(smtp_server, deliver)
    data = await client(RESET, t=token, p="weak")
    assert data["resetPassword"] == {
        "operator": None,
        "errors": [
            {
                "code": "PASSWORD_POLICY",
                "field": "password",
                "message": "Password does not conform to password policy.",
            }
        ],
    }
    assert await login(client, "beta", PASSWORD)
    data = await client(RESET, t=token, p=NEW_PASSWORD)
    assert data["resetPassword"]["errors"] == []


async def test_an_invitation_link_does_not_reset_a_password(client, as_admin, smtp_server, deliver):
    invite = """
    mutation { inviteOperator(input: {username: "newbie", email: "newbie@example.com"}) {
      errors { code } } }
    """
    assert (await as_admin(invite))["inviteOperator"]["errors"] == []
    await deliver()
    _, token = smtp_server.to("newbie@example.com")[0].link()
    data = await client(RESET, t=token, p=NEW_PASSWORD)
    assert data["resetPassword"] == INVALID_TOKEN
