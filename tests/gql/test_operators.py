"""Operators (seed 003): list, edit, status, permission level, delete, each within scope."""

import asyncio

import pytest

from domain.operators.models import Operator
from tests import factories
from tests.conftest import LOGIN, login

LIST = """
query($search: String, $status: OperatorStatus, $role: OperatorRole, $sort: OperatorSortInput) {
  operators(search: $search, status: $status, role: $role, sort: $sort) {
    totalCount items { username status role baseGroup { name } }
  }
}
"""
UPDATE = """
mutation($input: UpdateOperatorInput!) {
  updateOperator(input: $input) {
    operator { username email firstName lastName version baseGroup { name } }
    errors { code field message }
  }
}
"""
SET_STATUS = """
mutation($id: ID!, $status: OperatorStatus!) {
  setOperatorStatus(id: $id, status: $status) { operator { status } errors { code message } }
}
"""
SET_ROLE = """
mutation($id: ID!, $role: OperatorRole!) {
  setOperatorRole(id: $id, role: $role) { operator { role } errors { code message } }
}
"""
DELETE = "mutation($id: ID!) { deleteOperator(id: $id) { deletedId errors { code message } } }"


async def snapshot() -> list[tuple]:
    return sorted(
        (o.username, o.email, o.first_name, o.status, o.role, str(o.base_group_id), o.version)
        for o in await Operator.all()
    )


async def test_admin_lists_operators_in_subtree_with_base_groups(as_admin, world):
    data = await as_admin(LIST)
    assert data["operators"] == {
        "totalCount": 3,
        "items": [
            {
                "username": "alpha",
                "status": "ACTIVE",
                "role": "ADMIN",
                "baseGroup": {"name": "ACME Shopping Malls"},
            },
            {
                "username": "beta",
                "status": "ACTIVE",
                "role": "BASIC",
                "baseGroup": {"name": "ACME Pine Mall"},
            },
            {
                "username": "gamma",
                "status": "ACTIVE",
                "role": "BASIC",
                "baseGroup": {"name": "ACME Birch Mall"},
            },
        ],
    }


async def test_search_filter_and_sort(as_admin, world):
    await factories.operator(world.g2, "basic", username="delta", status="inactive")
    data = await as_admin(LIST, search="ta")
    assert [i["username"] for i in data["operators"]["items"]] == ["beta", "delta"]
    data = await as_admin(LIST, status="INACTIVE")
    assert [i["username"] for i in data["operators"]["items"]] == ["delta"]
    data = await as_admin(LIST, role="BASIC", sort={"field": "USERNAME", "direction": "DESC"})
    assert [i["username"] for i in data["operators"]["items"]] == ["gamma", "delta", "beta"]


async def test_admin_with_lower_base_group_sees_only_their_subtree(client, world):
    await factories.operator(world.g1, "admin", username="pine-admin")
    await factories.operator(world.g1a, "basic", username="garage")
    token = await login(client, "pine-admin")
    data = await client.as_token(token)(LIST)
    assert [i["username"] for i in data["operators"]["items"]] == ["beta", "garage", "pine-admin"]


async def test_basic_operator_edits_themselves(as_basic, world):
    data = await as_basic(
        UPDATE, input={"id": str(world.basic.id), "firstName": "Beta", "email": "b@acme.test"}
    )
    assert data["updateOperator"] == {
        "operator": {
            "username": "beta",
            "email": "b@acme.test",
            "firstName": "Beta",
            "lastName": "",
            "version": 2,
            "baseGroup": {"name": "ACME Pine Mall"},
        },
        "errors": [],
    }


async def test_basic_operator_cannot_edit_others_or_own_base_group(as_basic, world):
    junior = await factories.operator(world.g1a, "basic", username="junior")
    before = await snapshot()
    data = await as_basic(UPDATE, input={"id": str(junior.id), "firstName": "X"})
    assert data["updateOperator"]["errors"] == [
        {"code": "ACCESS_DENIED", "field": "id", "message": "Access denied."}
    ]
    data = await as_basic(
        UPDATE, input={"id": str(world.basic.id), "baseGroupId": str(world.g1a.id)}
    )
    assert data["updateOperator"]["errors"][0]["code"] == "ACCESS_DENIED"
    assert await snapshot() == before


async def test_admin_edits_operator_and_moves_base_group(as_admin, world):
    data = await as_admin(
        UPDATE,
        input={"id": str(world.basic.id), "lastName": "Smith", "baseGroupId": str(world.g2.id)},
    )
    assert data["updateOperator"]["operator"]["baseGroup"] == {"name": "ACME Birch Mall"}
    assert data["updateOperator"]["operator"]["lastName"] == "Smith"


@pytest.mark.parametrize(
    ("changes", "code", "message"),
    [
        ({"email": "not-an-address"}, "INVALID_EMAIL", "Problem with email address."),
        ({"firstName": "x" * 101}, "TOO_LONG", "First name is longer than 100 characters."),
        ({"version": 99}, "CONFLICT", None),
    ],
)
async def test_bad_edits_change_nothing(as_admin, world, changes, code, message):
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(world.basic.id), **changes})
    error = data["updateOperator"]["errors"][0]
    assert error["code"] == code
    if message:
        assert error["message"] == message
    assert await snapshot() == before


async def test_inactive_operator_cannot_log_in(client, as_admin, world):
    data = await as_admin(SET_STATUS, id=str(world.basic.id), status="INACTIVE")
    assert data["setOperatorStatus"] == {"operator": {"status": "INACTIVE"}, "errors": []}
    data = await client(LOGIN, u="beta", p=factories.PASSWORD)
    assert data["login"]["errors"] == [
        {"code": "OPERATOR_INACTIVE", "message": "Operator is inactive."}
    ]
    data = await as_admin(SET_STATUS, id=str(world.basic.id), status="ACTIVE")
    assert data["setOperatorStatus"]["operator"] == {"status": "ACTIVE"}
    assert await login(client, "beta")


async def test_admin_cannot_lock_themselves_out(as_admin, world):
    before = await snapshot()
    for query, args in (
        (SET_STATUS, {"status": "INACTIVE"}),
        (SET_ROLE, {"role": "BASIC"}),
        (DELETE, {}),
    ):
        data = await as_admin(query, id=str(world.admin.id), **args)
        (payload,) = data.values()
        assert payload["errors"][0]["code"] == "INVALID_STATE"
    assert await snapshot() == before


async def test_invited_operator_cannot_be_set_active(as_admin, world):
    invited = await factories.operator(world.g1, "basic", status="invited")
    invited.password_hash = None
    await invited.save()
    data = await as_admin(SET_STATUS, id=str(invited.id), status="ACTIVE")
    assert data["setOperatorStatus"]["errors"][0]["code"] == "INVALID_STATE"


async def test_set_permission_level(as_admin, world):
    data = await as_admin(SET_ROLE, id=str(world.basic.id), role="ADMIN")
    assert data["setOperatorRole"] == {"operator": {"role": "ADMIN"}, "errors": []}


async def test_delete_operator(as_admin, world):
    data = await as_admin(DELETE, id=str(world.basic_g2.id))
    assert data["deleteOperator"] == {"deletedId": str(world.basic_g2.id), "errors": []}
    assert not await Operator.filter(id=world.basic_g2.id).exists()
    data = await as_admin(DELETE, id=str(world.basic_g2.id))
    assert data["deleteOperator"]["errors"] == [
        {"code": "NOT_FOUND", "message": "Operator not found."}
    ]


async def test_lookup_of_operator_outside_scope_is_null(as_basic, world):
    query = "query($id: ID!) { me { username } operator(id: $id) { username } }"
    body = await as_basic.raw(query, {"id": str(world.admin.id)})
    # A basic operator may not read other operators at all.
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_admin_lookup_of_other_org_operator_is_null(as_admin, world):
    data = await as_admin(
        "query($id: ID!) { operator(id: $id) { username } }", id=str(world.admin_b.id)
    )
    assert data == {"operator": None}
    data = await as_admin("query($id: ID!) { operator(id: $id) { username } }", id="garbage")
    assert data == {"operator": None}


INVITE = """
mutation($input: InviteOperatorInput!) {
  inviteOperator(input: $input) { operator { username email } errors { code field message } }
}
"""
EMAIL_TAKEN = [
    {
        "code": "ALREADY_EXISTS",
        "field": "email",
        "message": "Another operator of the organisation already has this e-mail address.",
    }
]


async def test_operator_email_is_unique_in_the_organisation_in_any_case(client, as_admin, world):
    await factories.operator(world.g2, "basic", username="bert", email="bert@example.com")
    before = await snapshot()
    for address in ("bert@example.com", "BERT@example.com", " Bert@Example.COM "):
        data = await as_admin(INVITE, input={"username": "bert4", "email": address})
        assert data["inviteOperator"] == {"operator": None, "errors": EMAIL_TAKEN}
        data = await as_admin(UPDATE, input={"id": str(world.basic.id), "email": address})
        assert data["updateOperator"] == {"operator": None, "errors": EMAIL_TAKEN}
    assert await snapshot() == before
    # One's own address in another case is no clash; another organisation may have it.
    bert = await Operator.get(username="bert")
    data = await as_admin(UPDATE, input={"id": str(bert.id), "email": "Bert@example.com"})
    assert data["updateOperator"]["errors"] == []
    omega = client.as_token(await login(client, "omega"))
    data = await omega(INVITE, input={"username": "bert4", "email": "bert@example.com"})
    assert data["inviteOperator"]["errors"] == []


async def test_concurrent_invitations_with_one_email_give_one_operator(as_admin, world):
    addresses = ["race@example.com", "RACE@example.com", "Race@Example.com"]
    results = await asyncio.gather(
        *(
            as_admin(INVITE, input={"username": f"racer{n}", "email": address})
            for n, address in enumerate(addresses)
        )
    )
    errors = sorted((r["inviteOperator"]["errors"] for r in results), key=len)
    assert errors == [[], EMAIL_TAKEN, EMAIL_TAKEN]
    assert await Operator.filter(email__iexact="race@example.com").count() == 1
