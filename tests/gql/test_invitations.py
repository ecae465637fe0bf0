"""Inviting an operator (seed 003), end to end: GraphQL, the arq worker, a real SMTP server."""

from __future__ import annotations

from domain.mail.models import OutboxMessage
from domain.operators.models import Operator, OperatorStatus
from tests.conftest import LOGIN, login
from tests.workers import conftest as mail_fixtures

# The SMTP server and worker fixtures of tests/workers, used here too.
smtp_server = mail_fixtures.smtp_server
run_worker = mail_fixtures.run_worker
deliver = mail_fixtures.deliver

INVITE = """
mutation($input: InviteOperatorInput!) {
  inviteOperator(input: $input) {
    operator { id username email status role } errors { code field message }
  }
}
"""
ACCEPT = """
mutation($t: String!, $p: String!) {
  acceptInvitation(token: $t, password: $p) {
    operator { username status } errors { code field message }
  }
}
"""
RESEND = "mutation($id: ID!) { resendInvitation(id: $id) { ok errors { code field message } } }"
ME = "{ me { username status } }"
ADDRESS = "mamercus@acme.example"
NEW_PASSWORD = "Mamerc1nus!Pw"
INVALID_TOKEN = [
    {"code": "INVALID_TOKEN", "field": "token", "message": "The link is invalid or has expired."}
]


async def invite(as_who, username: str = "mamercus", email: str = ADDRESS) -> dict:  # type: ignore[no-untyped-def]
    data = await as_who(
        INVITE, input={"username": username, "email": email, "firstName": "Mamercus"}
    )
    return dict(data["inviteOperator"])


async def delivered_token(smtp_server, deliver, address: str = ADDRESS) -> str:  # type: ignore[no-untyped-def]
    """Run the worker; the token of the newest e-mail to `address`."""
    await deliver()
    link, token = smtp_server.to(address)[-1].link()
    assert link == f"http://evcms.test/accept-invitation?token={token}"
    return token


async def counts() -> tuple[int, int]:
    return await Operator.all().count(), await OutboxMessage.all().count()


async def test_invited_operator_accepts_by_the_emailed_link_and_logs_in(
    client, as_admin, smtp_server, deliver
):
    payload = await invite(as_admin)
    assert payload["errors"] == []
    assert payload["operator"] == {
        "id": payload["operator"]["id"],
        "username": "mamercus",
        "email": ADDRESS,
        "status": "INVITED",
        "role": "BASIC",
    }
    token = await delivered_token(smtp_server, deliver)
    [received] = smtp_server.received
    assert received.rcpt_tos == [ADDRESS]
    assert received.message["To"] == ADDRESS
    assert received.message["Subject"] == "You are invited to evcms"
    assert "Hi Mamercus," in received.body and "'mamercus'" in received.body

    # No password yet: an invited operator cannot log in.
    data = await client(LOGIN, u="mamercus", p=NEW_PASSWORD)
    assert data["login"]["errors"][0]["code"] == "WRONG_CREDENTIALS"

    data = await client(ACCEPT, t=token, p=NEW_PASSWORD)
    assert data["acceptInvitation"] == {
        "operator": {"username": "mamercus", "status": "ACTIVE"},
        "errors": [],
    }
    me = await client.as_token(await login(client, "mamercus", NEW_PASSWORD))(ME)
    assert me["me"] == {"username": "mamercus", "status": "ACTIVE"}

    data = await client(ACCEPT, t=token, p="An0ther!Password")
    assert data["acceptInvitation"] == {"operator": None, "errors": INVALID_TOKEN}


async def test_weak_password_leaves_the_operator_invited(client, as_admin, smtp_server, deliver):
    await invite(as_admin)
    token = await delivered_token(smtp_server, deliver)
    for weak in ("short1!A", "alllowercaseletters", "Mamercus-Password-1"):
        data = await client(ACCEPT, t=token, p=weak)
        assert data["acceptInvitation"] == {
            "operator": None,
            "errors": [
                {
                    "code": "PASSWORD_POLICY",
                    "field": "password",
                    "message": "Password does not conform to password policy.",
                }
            ],
        }
    operator = await Operator.get(username="mamercus")
    assert (operator.status, operator.password_hash) == (OperatorStatus.INVITED, None)
    # The refused attempt did not use up the link.
    data = await client(ACCEPT, t=token, p=NEW_PASSWORD)
    assert data["acceptInvitation"]["operator"]["status"] == "ACTIVE"


async def test_unknown_token_is_refused(client, world):
    data = await client(ACCEPT, t="not-a-token", p=NEW_PASSWORD)
    assert data["acceptInvitation"] == {"operator": None, "errors": INVALID_TOKEN}


async def test_invalid_email_creates_nothing(as_admin, smtp_server, deliver):
    before = await counts()
    for address in ("not-an-email", "two@@example.com", "spaces in@example.com", ""):
        payload = await invite(as_admin, email=address)
        assert payload == {
            "operator": None,
            "errors": [
                {
                    "code": "INVALID_EMAIL",
                    "field": "email",
                    "message": "Problem with email address.",
                }
            ],
        }
    assert await counts() == before
    await deliver()
    assert smtp_server.received == []


async def test_duplicate_username_is_refused(as_admin, smtp_server, deliver):
    before = await counts()
    for username in ("beta", "BETA"):
        payload = await invite(as_admin, username=username)
        assert payload == {
            "operator": None,
            "errors": [
                {
                    "code": "ALREADY_EXISTS",
                    "field": "username",
                    "message": "Username already exists.",
                }
            ],
        }
    assert await counts() == before
    await deliver()
    assert smtp_server.received == []


async def test_resend_mails_a_new_link_and_the_old_one_stops_working(
    client, as_admin, smtp_server, deliver
):
    operator_id = (await invite(as_admin))["operator"]["id"]
    old = await delivered_token(smtp_server, deliver)

    data = await as_admin(RESEND, id=operator_id)
    assert data["resendInvitation"] == {"ok": True, "errors": []}
    new = await delivered_token(smtp_server, deliver)
    assert new != old
    assert len(smtp_server.to(ADDRESS)) == 2

    data = await client(ACCEPT, t=old, p=NEW_PASSWORD)
    assert data["acceptInvitation"] == {"operator": None, "errors": INVALID_TOKEN}
    data = await client(ACCEPT, t=new, p=NEW_PASSWORD)
    assert data["acceptInvitation"]["operator"]["status"] == "ACTIVE"


async def test_resend_is_refused_once_the_operator_is_active(
    client, as_admin, world, smtp_server, deliver
):
    operator_id = (await invite(as_admin))["operator"]["id"]
    await client(ACCEPT, t=await delivered_token(smtp_server, deliver), p=NEW_PASSWORD)
    for target in (operator_id, str(world.basic.id)):
        data = await as_admin(RESEND, id=target)
        assert data["resendInvitation"] == {
            "ok": False,
            "errors": [
                {
                    "code": "INVALID_STATE",
                    "field": "id",
                    "message": "A reminder can be sent only while the operator "
                    "has not activated the account.",
                }
            ],
        }
    await deliver()
    assert len(smtp_server.received) == 1


async def test_resend_for_another_organisation_is_operator_not_found(
    client, as_admin, smtp_server, deliver
):
    operator_id = (await invite(as_admin))["operator"]["id"]
    outsider = client.as_token(await login(client, "omega"))
    data = await outsider(RESEND, id=operator_id)
    assert data["resendInvitation"] == {
        "ok": False,
        "errors": [{"code": "NOT_FOUND", "field": "id", "message": "Operator not found."}],
    }
    await deliver()
    assert len(smtp_server.received) == 1


async def test_basic_operator_cannot_invite_or_resend(as_admin, as_basic, smtp_server, deliver):
    invited_id = (await invite(as_admin))["operator"]["id"]
    await deliver()
    before = await counts()
    denied = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]
    payload = await invite(as_basic, username="sneaky", email="sneaky@example.com")
    assert payload == {"operator": None, "errors": denied}
    data = await as_basic(RESEND, id=invited_id)
    assert data["resendInvitation"] == {"ok": False, "errors": denied}
    assert await counts() == before
    await deliver()
    assert len(smtp_server.received) == 1
