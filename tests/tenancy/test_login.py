import asyncio
from datetime import datetime

from domain.operators.models import OperatorRole, OperatorSession, OperatorStatus
from tests import factories
from tests.conftest import LOGIN, login
from tests.factories import PASSWORD

ME = "{ me { username role status baseGroup { name } } }"


async def test_login_then_me(client, world):
    token = await login(client, "alpha")
    data = await client.as_token(token)(ME)
    assert data["me"] == {
        "username": "alpha",
        "role": "ADMIN",
        "status": "ACTIVE",
        "baseGroup": {"name": "ACME Shopping Malls"},
    }


async def test_wrong_password_is_wrong_credentials(client, world):
    data = await client(LOGIN, u="alpha", p="nope")
    assert data["login"] == {
        "token": None,
        "errors": [{"code": "WRONG_CREDENTIALS", "message": "Wrong credentials."}],
    }


async def test_unknown_user_is_wrong_credentials(client, world):
    data = await client(LOGIN, u="nobody", p=PASSWORD)
    assert data["login"]["errors"][0]["message"] == "Wrong credentials."


async def test_repeated_failures_throttle_the_username(client, world):
    for _ in range(5):
        data = await client(LOGIN, u="alpha", p="wrong")
        assert data["login"]["errors"][0]["code"] == "WRONG_CREDENTIALS"
    # Even the right password is refused while throttled, and the answer says why.
    data = await client(LOGIN, u="alpha", p=PASSWORD)
    assert data["login"] == {
        "token": None,
        "errors": [
            {"code": "THROTTLED", "message": "Too many failed login attempts. Try again later."}
        ],
    }
    # Other usernames are not affected.
    assert await login(client, "beta")


async def test_success_resets_the_failure_count(client, world):
    for _ in range(4):
        await client(LOGIN, u="alpha", p="wrong")
    assert await login(client, "alpha")
    for _ in range(4):
        await client(LOGIN, u="alpha", p="wrong")
    assert await login(client, "alpha")


async def test_session_expires_at_most_two_hours_after_login(client, world):
    data = await client(
        'mutation { login(username: "alpha", password: "%s") { token expiresAt } }' % PASSWORD
    )
    session = await OperatorSession.get(operator_id=world.admin.id)
    expires = datetime.fromisoformat(data["login"]["expiresAt"])
    assert (expires - session.created_at).total_seconds() <= 2 * 3600 + 1


CHANGE = """
mutation($c: String!, $n: String!) {
  changePassword(currentPassword: $c, newPassword: $n) {
    operator { username } errors { code field message }
  }
}
"""


async def test_change_own_password(client, as_basic, world):
    data = await as_basic(CHANGE, c="wrong", n="New-Password-42")
    assert data["changePassword"]["errors"] == [
        {"code": "WRONG_CREDENTIALS", "field": "currentPassword", "message": "Wrong credentials."}
    ]
    data = await as_basic(CHANGE, c=PASSWORD, n="short")
    assert data["changePassword"]["errors"] == [
        {
            "code": "PASSWORD_POLICY",
            "field": "newPassword",
            "message": "Password does not conform to password policy.",
        }
    ]
    data = await as_basic(CHANGE, c=PASSWORD, n="New-Password-42")
    assert data["changePassword"] == {"operator": {"username": "beta"}, "errors": []}
    assert await login(client, "beta", "New-Password-42")


async def test_changing_password_ends_other_sessions_but_not_this_one(client, world):
    other = client.as_token(await login(client, "beta"))
    this = client.as_token(await login(client, "beta"))
    data = await this(CHANGE, c=PASSWORD, n="New-Password-42")
    assert data["changePassword"]["errors"] == []
    assert (await this("{ me { username } }"))["me"] == {"username": "beta"}
    body = await other.raw("{ me { username } }")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_parallel_guesses_get_no_more_than_the_limit(client, world):
    answers = await asyncio.gather(*(client(LOGIN, u="alpha", p=f"guess-{n}") for n in range(60)))
    codes = [a["login"]["errors"][0]["code"] for a in answers]
    assert codes.count("WRONG_CREDENTIALS") == 5
    assert codes.count("THROTTLED") == 55
    # The right password, in the same burst's window, is refused too.
    data = await client(LOGIN, u="alpha", p=PASSWORD)
    assert data["login"]["errors"][0]["code"] == "THROTTLED"


async def test_an_inactive_operators_right_password_counts_like_a_failure(client, world):
    inactive = await factories.operator(world.root, status=OperatorStatus.INACTIVE)
    for _ in range(5):
        data = await client(LOGIN, u=inactive.username, p=PASSWORD)
        assert data["login"]["errors"] == [
            {"code": "OPERATOR_INACTIVE", "message": "Operator is inactive."}
        ]
    data = await client(LOGIN, u=inactive.username, p=PASSWORD)
    assert data["login"]["errors"][0]["code"] == "THROTTLED"


UNLOCK = """
mutation($id: ID!) {
  unlockOperatorLogin(id: $id) { operator { username } errors { code field message } }
}
"""


async def test_a_locked_username_keeps_its_sessions_and_an_admin_lifts_the_lock(
    client, world, as_admin, as_basic
):
    victim = await factories.operator(world.g1, OperatorRole.BASIC)
    session = client.as_token(await login(client, victim.username))
    for _ in range(6):  # someone else guessing
        await client(LOGIN, u=victim.username, p="wrong")
    data = await client(LOGIN, u=victim.username, p=PASSWORD)
    assert data["login"]["errors"][0]["code"] == "THROTTLED"
    assert (await session(ME))["me"]["username"] == victim.username  # still signed in

    refused = await as_basic(UNLOCK, id=str(victim.id))
    assert refused["unlockOperatorLogin"]["errors"][0]["code"] == "ACCESS_DENIED"
    outsider = await factories.operator(world.root_b)
    as_outsider = client.as_token(await login(client, outsider.username))
    hidden = await as_outsider(UNLOCK, id=str(victim.id))
    assert hidden["unlockOperatorLogin"]["errors"] == [
        {"code": "NOT_FOUND", "field": "id", "message": "Operator not found."}
    ]
    data = await client(LOGIN, u=victim.username, p=PASSWORD)
    assert data["login"]["errors"][0]["code"] == "THROTTLED"  # neither of them lifted it

    lifted = await as_admin(UNLOCK, id=str(victim.id))
    assert lifted["unlockOperatorLogin"] == {
        "operator": {"username": victim.username},
        "errors": [],
    }
    assert await login(client, victim.username)
