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
