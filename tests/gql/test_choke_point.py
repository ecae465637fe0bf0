"""The choke point (DESIGN.md, Authorization): every root field, over HTTP.

Unauthenticated calls are refused, basic operators are refused admin-only fields, and a
session ends when it expires, is revoked, or its operator is deactivated or demoted. The
root fields come from the schema, so a new field is covered without touching this file.

The first half of the module builds a valid document for any root field from the GraphQL
schema (tests/gql/test_outsiders.py uses it too).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLOutputType,
    get_named_type,
    get_nullable_type,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from redis.asyncio import Redis

from domain.operators.models import Operator, OperatorRole, OperatorSession, OperatorStatus
from domain.users.models import ChargingUser
from gql.policy import PUBLIC, SIGNED_IN, declared_actions
from gql.schema import MUTATION_ROOTS, QUERY_ROOTS, SUBSCRIPTION_ROOTS, build_schema
from tenancy.policy import allowed
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient

# --- documents for any root field, built from the schema ----------------------------------

STRAWBERRY_SCHEMA = build_schema()
SCHEMA = STRAWBERRY_SCHEMA._schema
Path = tuple[str, ...]


@dataclass(frozen=True)
class RootField:
    operation: str  # "query", "mutation" or "subscription"
    name: str  # as in the GraphQL schema
    action: str  # what its Policy names (or PUBLIC / SIGNED_IN)
    field: GraphQLField

    def __str__(self) -> str:
        return f"{self.operation} {self.name}"

    @property
    def public(self) -> bool:
        return self.action == PUBLIC

    @property
    def admin_only(self) -> bool:
        """Declares an action a basic operator may not perform."""
        return self.action not in (PUBLIC, SIGNED_IN) and not allowed("basic", self.action)


def root_fields(operations: tuple[str, ...] = ("query", "mutation")) -> list[RootField]:
    """Every root field of the schema's `operations` with the action its policy declares."""
    roots = {"query": QUERY_ROOTS, "mutation": MUTATION_ROOTS, "subscription": SUBSCRIPTION_ROOTS}
    actions = declared_actions(*(r for op in operations for r in roots[op]))
    by_graphql_name: dict[tuple[str, str], str] = {}
    converter = STRAWBERRY_SCHEMA.config.name_converter
    for operation in operations:
        for root in roots[operation]:
            for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
                name = converter.get_graphql_name(field)
                by_graphql_name[operation, name] = actions[f"{root.__name__}.{field.name}"]
    out = []
    for operation in operations:
        root_type = getattr(SCHEMA, f"{operation}_type")
        assert root_type is not None
        for name, field in root_type.fields.items():
            out.append(RootField(operation, name, by_graphql_name[operation, name], field))
    return out


ROOT_FIELDS = root_fields()  # over HTTP
SUBSCRIPTION_FIELDS = root_fields(("subscription",))  # over graphql-transport-ws

SECRET = "Xx-123456789"
DATETIME = "2030-01-02T03:04:05+00:00"


def is_required(type_: GraphQLInputType, default: Any) -> bool:
    return is_non_null_type(type_) and default is Undefined


def dummy_string(name: str) -> str:
    """A valid value for a string argument, judged by its name."""
    lowered = name.lower()
    if "password" in lowered:
        return SECRET
    if "email" in lowered or lowered == "recipient":
        return "x@example.com"
    if "username" in lowered:
        return "x-dummy"
    if lowered == "currency":
        return "EUR"
    return "x"


def dummy_leaf(type_: GraphQLNamedType, name: str, enum_choice: int = 0) -> Any:
    if is_enum_type(type_):
        values = list(type_.values)  # type: ignore[attr-defined]
        return values[enum_choice % len(values)]
    return {
        "ID": lambda: str(uuid.uuid4()),
        "String": lambda: dummy_string(name),
        "Int": lambda: 1,
        "Float": lambda: 1.0,
        "Boolean": lambda: True,
        "DateTime": lambda: DATETIME,
        "Date": lambda: DATETIME[:10],
        "Decimal": lambda: "1",
    }.get(type_.name, lambda: "x")()


def dummy_value(
    type_: GraphQLInputType,
    path: Path,
    given: dict[Path, Any] | None = None,
    enums: dict[Path, int] | None = None,
) -> Any:
    """A value for an argument or input field at `path`: `given[path]` if there is one,
    otherwise a dummy; input objects get their required fields and any field under `given`."""
    given = given or {}
    if path in given:
        value = given[path]
        return [value] if is_list_type(get_nullable_type(type_)) else value  # type: ignore[arg-type]
    nullable = get_nullable_type(type_)  # type: ignore[arg-type]
    if is_list_type(nullable):
        return [dummy_value(nullable.of_type, path, given, enums)]  # type: ignore[attr-defined]
    named = get_named_type(type_)
    if is_input_object_type(named):
        assert isinstance(named, GraphQLInputObjectType)
        return {
            name: dummy_value(field.type, (*path, name), given, enums)
            for name, field in named.fields.items()
            if is_required(field.type, field.default_value)
            or any(p[: len(path) + 1] == (*path, name) for p in given)
        }
    return dummy_leaf(named, path[-1], (enums or {}).get(path, 0))


def arguments(
    root: RootField, given: dict[Path, Any] | None = None, enums: dict[Path, int] | None = None
) -> dict[str, Any]:
    """Required arguments with dummy values, and every argument that `given` reaches into."""
    given = given or {}
    return {
        name: dummy_value(arg.type, (name,), given, enums)
        for name, arg in root.field.args.items()
        if is_required(arg.type, arg.default_value) or any(p[0] == name for p in given)
    }


def selection(type_: GraphQLOutputType, depth: int = 3) -> str:
    """Every field without required arguments, objects `depth` levels down; `__typename`
    where that is all there is (unions, interfaces, the depth limit)."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if not is_object_type(named) or depth == 0:
        return "{ __typename }"
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, field in named.fields.items():
        if any(is_required(a.type, a.default_value) for a in field.args.values()):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 1:
            parts.append(f"{name} {selection(field.type, depth - 1)}")
    return "{ %s }" % " ".join(parts or ["__typename"])


def document(root: RootField, args: dict[str, Any], depth: int = 3) -> str:
    """`mutation($input: X!) { field(input: $input) { ... } }` for the given arguments."""
    declared = ", ".join(f"${n}: {root.field.args[n].type}" for n in args)
    passed = ", ".join(f"{n}: ${n}" for n in args)
    head = f"{root.operation}({declared})" if declared else root.operation
    call = f"{root.name}({passed})" if passed else root.name
    return f"{head} {{ {call} {selection(root.field.type, depth)} }}"


@dataclass(frozen=True)
class Call:
    root: RootField
    query: str
    variables: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.root} {json.dumps(self.variables, sort_keys=True)}"


def call(
    root: RootField,
    given: dict[Path, Any] | None = None,
    enums: dict[Path, int] | None = None,
    depth: int = 3,
) -> Call:
    args = arguments(root, given, enums)
    return Call(root, document(root, args, depth), args)


def reference_paths(root: RootField) -> list[Path]:
    """Where a root field takes an id: ID arguments and ID fields of input objects."""
    out: list[Path] = []

    def walk(type_: GraphQLInputType, path: Path, depth: int) -> None:
        named = get_named_type(type_)
        if named.name == "ID":
            out.append(path)
        elif is_input_object_type(named) and depth < 3:
            assert isinstance(named, GraphQLInputObjectType)
            for name, field in named.fields.items():
                walk(field.type, (*path, name), depth + 1)

    for name, arg in root.field.args.items():
        walk(arg.type, (name,), 0)
    return out


def required_enum_paths(root: RootField) -> dict[Path, int]:
    """Required enum arguments and input fields, with how many values each has."""
    out: dict[Path, int] = {}

    def walk(type_: GraphQLInputType, default: Any, path: Path, depth: int) -> None:
        if not is_required(type_, default):
            return
        named = get_named_type(type_)
        if is_enum_type(named):
            out[path] = len(named.values)  # type: ignore[attr-defined]
        elif is_input_object_type(named) and depth < 3:
            assert isinstance(named, GraphQLInputObjectType)
            for name, field in named.fields.items():
                walk(field.type, field.default_value, (*path, name), depth + 1)

    for name, arg in root.field.args.items():
        walk(arg.type, arg.default_value, (name,), 0)
    return out


# --- what a test compares ------------------------------------------------------------------

TABLES_SQL = """
SELECT tablename FROM pg_tables
WHERE schemaname = 'public' AND tablename NOT LIKE 'tortoise%' ORDER BY tablename
"""


async def snapshot(redis: Redis | None = None) -> dict[str, Any]:
    """A digest of every row of every table (and every Redis key), in one statement: a
    request that changes nothing leaves it equal."""
    from tortoise.connection import get_connection

    conn = get_connection("default")
    _, tables = await conn.execute_query(TABLES_SQL)
    digests = " UNION ALL ".join(
        f"SELECT '{name}' AS name, (SELECT count(*) FROM \"{name}\") AS n, "
        f"(SELECT md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
        f'FROM "{name}" r) AS digest'
        for name in (row["tablename"] for row in tables)
    )
    _, rows = await conn.execute_query(digests)
    out: dict[str, Any] = {row["name"]: (row["n"], row["digest"]) for row in rows}
    if redis is not None:
        # Not data: the server node's lease, which it renews every few seconds.
        leases = (b"evcms:node:", b"evcms:station:")
        out["redis"] = sorted(k for k in await redis.keys("*") if not k.startswith(leases))
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The tables (or Redis) whose contents differ, for a readable failure."""
    return [
        name for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)
    ]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code", "") for e in body.get("errors") or []]


def iter_ids(value: Any) -> Iterator[str]:
    """Every string in a response (ids among them)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from iter_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from iter_ids(item)
    elif isinstance(value, str):
        yield value


def admin_only(operation: str) -> list[RootField]:
    return [f for f in ROOT_FIELDS if f.operation == operation and f.admin_only]


NON_PUBLIC = [f for f in ROOT_FIELDS if not f.public]
ADMIN_ONLY_QUERIES = admin_only("query")
ADMIN_ONLY_MUTATIONS = admin_only("mutation")
ME = "{ me { id username role } }"


# --- the schema is what this module covers -------------------------------------------------


def test_every_root_field_is_listed_with_its_policy() -> None:
    assert {(f.operation, f.name) for f in ROOT_FIELDS} == {
        *(("query", n) for n in SCHEMA.query_type.fields),  # type: ignore[union-attr]
        *(("mutation", n) for n in SCHEMA.mutation_type.fields),  # type: ignore[union-attr]
    }
    assert all(f.action for f in ROOT_FIELDS)
    # Only these are open to anyone; a new public field must be added here on purpose.
    assert sorted(f.name for f in ROOT_FIELDS if f.public) == [
        "acceptInvitation",
        "confirmDriverAccount",
        "login",
        "requestPasswordReset",
        "resetPassword",
    ]


def test_every_subscription_field_is_listed_with_its_policy() -> None:
    assert SCHEMA.subscription_type is not None
    assert {f.name for f in SUBSCRIPTION_FIELDS} == set(SCHEMA.subscription_type.fields)
    assert SUBSCRIPTION_FIELDS and all(f.action and not f.public for f in SUBSCRIPTION_FIELDS)


@pytest.mark.parametrize("root", ROOT_FIELDS + SUBSCRIPTION_FIELDS, ids=str)
def test_generated_documents_are_valid(root: RootField) -> None:
    from graphql import parse, validate

    for depth in (1, 3):
        generated = call(root, depth=depth)
        assert validate(SCHEMA, parse(generated.query)) == [], generated.query


# --- not signed in -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "bogus-token"])
async def test_unauthenticated_call_of_every_non_public_root_field_is_refused(
    client: GraphQLClient, world: Any, redis: Redis, token: str | None
) -> None:
    before = await snapshot(redis)
    failures = await signed_out_failures(client.as_token(token))
    assert failures == []
    assert diff(before, await snapshot(redis)) == []


async def signed_out_failures(caller: GraphQLClient) -> list[str]:
    """Non-public root fields that do not answer UNAUTHENTICATED (with null data)."""
    failures = []
    for root in NON_PUBLIC:
        generated = call(root)
        body = await caller.raw(generated.query, generated.variables)
        if error_codes(body) != ["UNAUTHENTICATED"] or (
            body["errors"][0]["message"] != "Not authenticated. Log in first."
            or (body.get("data") or {}).get(root.name) is not None
        ):
            failures.append(f"{generated}: {body}")
    return failures


@pytest.mark.parametrize(
    "init", [{}, {"Authorization": "Bearer not-a-token"}], ids=["no-token", "bogus-token"]
)
async def test_unauthenticated_subscription_of_every_subscription_field_is_refused(
    server: str, world: Any, redis: Redis, init: dict[str, str]
) -> None:
    from tests.gqlws import graphql_ws

    before = await snapshot(redis)
    failures = []
    async with graphql_ws(server, init_payload=init) as anonymous:
        for root in SUBSCRIPTION_FIELDS:
            generated = call(root)
            await anonymous.subscribe(generated.query, **generated.variables)
            message = await anonymous.receive()
            errors = message.get("payload") if message["type"] == "error" else None
            if not errors or [e.get("extensions", {}).get("code") for e in errors] != [
                "UNAUTHENTICATED"
            ]:
                failures.append(f"{generated}: {message}")
    assert failures == []
    assert diff(before, await snapshot(redis)) == []


async def test_a_subscription_over_plain_http_is_refused_clearly(as_admin: GraphQLClient) -> None:
    """It would answer null: graphql-transport-ws (or multipart HTTP) it is."""
    for root in SUBSCRIPTION_FIELDS:
        generated = call(root)
        response = await as_admin.http.post(
            "/graphql",
            json={"query": generated.query, "variables": generated.variables},
            headers={"Authorization": f"Bearer {as_admin.token}"},
        )
        assert (response.status_code, response.json()) == (
            400,
            {
                "data": None,
                "errors": [
                    {
                        "message": "subscriptions are not allowed when using POST",
                        "extensions": {"code": "BAD_REQUEST"},
                    }
                ],
            },
        )


# --- basic operators and admin-only fields -------------------------------------------------


def test_there_are_admin_only_fields() -> None:
    assert ADMIN_ONLY_QUERIES and ADMIN_ONLY_MUTATIONS


async def forbidden_failures(caller: GraphQLClient) -> list[str]:
    """Admin-only queries that do not answer FORBIDDEN (with null data)."""
    failures = []
    for root in ADMIN_ONLY_QUERIES:
        generated = call(root)
        body = await caller.raw(generated.query, generated.variables)
        if error_codes(body) != ["FORBIDDEN"] or (
            body["errors"][0]["message"] != "Access denied."
            or (body.get("data") or {}).get(root.name) is not None
        ):
            failures.append(f"{generated}: {body}")
    return failures


async def test_basic_operator_is_forbidden_admin_only_queries(
    as_basic: GraphQLClient, world: Any
) -> None:
    assert await forbidden_failures(as_basic) == []


async def basic_scope_ids(world: Any) -> list[str | None]:
    """Ids an admin could act on inside the basic operator's subtree (and dummies)."""
    junior = await factories.operator(world.g1a, "basic", username="junior")
    station = await factories.station(world.g1a, points=1)
    user = await factories.charging_user(world.g1a)
    tariff = await factories.tariff(world.g1a)
    user_group = await factories.user_group(world.g1a)
    return [
        None,
        str(junior.id),
        str(world.g1a.id),
        str(station.id),
        str(user.id),
        str(tariff.id),
        str(user_group.id),
        str(world.basic.id),
    ]


def with_ids(root: RootField, value: str | None) -> Call:
    """A call with every id (arguments and input fields) set to `value` (None: dummies)."""
    if value is None:
        return call(root)
    return call(root, dict.fromkeys(reference_paths(root), value))


DENIED = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]


async def access_denied_failures(
    caller: GraphQLClient, redis: Redis, ids: list[str | None]
) -> list[str]:
    """Admin-only mutations that do not answer a payload with ACCESS_DENIED and nothing
    else, or that change something."""
    failures = []
    for root in ADMIN_ONLY_MUTATIONS:
        for value in ids:
            before = await snapshot(redis)
            generated = with_ids(root, value)
            body = await caller.raw(generated.query, generated.variables)
            payload = (body.get("data") or {}).get(root.name) or {}
            rest = [v for k, v in payload.items() if k not in ("errors", "__typename")]
            if "errors" in body or payload.get("errors") != DENIED:
                failures.append(f"{generated}: {body}")
            elif any(v not in (None, False, []) for v in rest):  # no object, no ok
                failures.append(f"{generated}: more than the error: {payload}")
            changed = diff(before, await snapshot(redis))
            if changed:
                failures.append(f"{generated}: changed {changed}")
    return failures


async def test_admin_only_mutations_by_basic_operator_are_access_denied(
    as_basic: GraphQLClient, world: Any, redis: Redis
) -> None:
    ids = await basic_scope_ids(world)
    assert await access_denied_failures(as_basic, redis, ids) == []


async def test_basic_operator_reaches_what_the_policy_allows(
    as_basic: GraphQLClient, world: Any
) -> None:
    """The other side: fields a basic operator may use are not refused at the choke point."""
    for root in ROOT_FIELDS:
        if root.public or root.admin_only or root.operation != "query":
            continue
        generated = call(root)
        body = await as_basic.raw(generated.query, generated.variables)
        assert not {"FORBIDDEN", "UNAUTHENTICATED"} & set(error_codes(body)), (root.name, body)


# --- arguments that need more than their field's action --------------------------------------

# (root field, input path, the action it needs, a document that sets it for a given id):
# placing users in a charging user group needs `user_group.update` on every path to it.
PLACE = "user_group.update"
ARGUMENT_ACTIONS: list[tuple[str, str, str, str]] = [
    ("createChargingUser", "input.userGroupId", PLACE,
     'mutation($v: ID) { createChargingUser(input: {email: "placed@example.com", '
     "userGroupId: $v}) { errors { code field } } }"),
    ("updateChargingUser", "input.userGroupId", PLACE,
     "mutation($v: ID, $user: ID!) { updateChargingUser(input: {id: $user, userGroupId: $v}) "
     "{ errors { code field } } }"),
    ("inviteDrivers", "input.userGroupId", PLACE,
     'mutation($v: ID) { inviteDrivers(input: {emails: ["placed@example.com"], '
     "userGroupId: $v}) { errors { code field } } }"),
    ("inviteDrivers", "input.userGroupId", PLACE,
     'mutation($v: ID) { inviteDrivers(input: {text: "placed@example.com", '
     "userGroupId: $v}) { errors { code field } } }"),
]  # fmt: skip


def input_paths(named: str) -> set[tuple[str, str]]:
    """(root field, path) of every mutation argument or input field called `named`."""
    found: set[tuple[str, str]] = set()

    def walk(root: str, type_: Any, path: str, depth: int) -> None:
        inner = get_named_type(type_)
        if not isinstance(inner, GraphQLInputObjectType) or depth > 3:
            return
        for name, field in inner.fields.items():
            if name == named:
                found.add((root, f"{path}.{name}"))
            walk(root, field.type, f"{path}.{name}", depth + 1)

    for root in ROOT_FIELDS:
        if root.operation != "mutation":
            continue
        for name, arg in root.field.args.items():
            if name == named:
                found.add((root.name, name))
            walk(root.name, arg.type, name, 0)
    return found


def test_every_user_group_argument_declares_what_it_needs() -> None:
    """A new way to place users in a user group must be added to ARGUMENT_ACTIONS (or be a
    field whose own action already requires it)."""
    listed = {(root, path) for root, path, _, _ in ARGUMENT_ACTIONS}
    needing = {(r, p) for r, p in input_paths("userGroupId")
               if allowed("basic", next(f.action for f in ROOT_FIELDS if f.name == r))}  # fmt: skip
    assert needing == listed


@pytest.mark.parametrize(("root", "path", "action", "query"), ARGUMENT_ACTIONS)
async def test_basic_operator_cannot_place_users_in_a_user_group_by_any_path(
    as_basic: GraphQLClient, world: Any, redis: Redis, root: str, path: str, action: str,
    query: str,
) -> None:  # fmt: skip
    assert not allowed("basic", action)
    user_group = await factories.user_group(world.g1)
    driver = await factories.charging_user(world.g1)
    before = await snapshot(redis)
    body = await as_basic.raw(query, {"v": str(user_group.id), "user": str(driver.id)})
    payload = body["data"][root]
    assert payload["errors"] == [{"code": "ACCESS_DENIED", "field": "userGroupId"}], body
    assert diff(before, await snapshot(redis)) == []
    assert not await ChargingUser.filter(user_group_id=user_group.id).exists()


# --- sessions: deactivation, demotion, expiry, logout --------------------------------------


async def test_operator_deactivated_by_an_admin_loses_access_on_the_next_request(
    client: GraphQLClient, as_admin: GraphQLClient, as_basic: GraphQLClient, world: Any
) -> None:
    assert (await as_basic(ME))["me"]["username"] == "beta"
    data = await as_admin(
        "mutation($id: ID!) { setOperatorStatus(id: $id, status: INACTIVE) "
        "{ operator { status } errors { code } } }",
        id=str(world.basic.id),
    )
    assert data["setOperatorStatus"] == {"operator": {"status": "INACTIVE"}, "errors": []}
    await assert_signed_out(as_basic, world)


async def test_operator_made_inactive_in_the_database_loses_access_on_the_next_request(
    as_basic: GraphQLClient, world: Any
) -> None:
    """Without the sessions being revoked: every request reads the operator's status."""
    assert (await as_basic(ME))["me"]["username"] == "beta"
    await Operator.filter(id=world.basic.id).update(status=OperatorStatus.INACTIVE)
    assert await OperatorSession.filter(operator_id=world.basic.id, revoked_at=None).exists()
    await assert_signed_out(as_basic, world)
    # Set active again, the same session works again (it was never revoked) ...
    await Operator.filter(id=world.basic.id).update(status=OperatorStatus.ACTIVE)
    assert (await as_basic(ME))["me"]["username"] == "beta"
    # ... but an invited (not yet activated) status is refused as well.
    await Operator.filter(id=world.basic.id).update(status=OperatorStatus.INVITED)
    await assert_signed_out(as_basic, world)


async def assert_signed_out(caller: GraphQLClient, world: Any) -> None:
    """Every non-public root field answers UNAUTHENTICATED."""
    assert await signed_out_failures(caller) == []


async def second_admin(client: GraphQLClient, world: Any) -> tuple[Operator, GraphQLClient]:
    admin2 = await factories.operator(world.root, "admin", username="alpha2")
    return admin2, client.as_token(await login(client, "alpha2"))


async def test_operator_demoted_by_an_admin_loses_admin_fields_on_the_next_request(
    client: GraphQLClient, as_admin: GraphQLClient, world: Any, redis: Redis
) -> None:
    admin2, as_admin2 = await second_admin(client, world)
    for root in ADMIN_ONLY_QUERIES:  # allowed while an admin
        generated = call(root)
        body = await as_admin2.raw(generated.query, generated.variables)
        assert not {"FORBIDDEN", "UNAUTHENTICATED"} & set(error_codes(body)), (root.name, body)
    data = await as_admin(
        "mutation($id: ID!) { setOperatorRole(id: $id, role: BASIC) "
        "{ operator { role } errors { code } } }",
        id=str(admin2.id),
    )
    assert data["setOperatorRole"] == {"operator": {"role": "BASIC"}, "errors": []}
    await assert_demoted(as_admin2, world, redis)


async def test_operator_demoted_in_the_database_loses_admin_fields_on_the_next_request(
    client: GraphQLClient, world: Any, redis: Redis
) -> None:
    admin2, as_admin2 = await second_admin(client, world)
    assert (await as_admin2(ME))["me"]["role"] == "ADMIN"
    await Operator.filter(id=admin2.id).update(role=OperatorRole.BASIC)
    await assert_demoted(as_admin2, world, redis)


async def assert_demoted(caller: GraphQLClient, world: Any, redis: Redis) -> None:
    assert (await caller(ME))["me"]["role"] == "BASIC"
    assert await forbidden_failures(caller) == []
    ids = [None, str(world.admin.id), str(world.basic.id), str(world.g1.id)]
    assert await access_denied_failures(caller, redis, ids) == []


async def session_of(token_owner: str) -> OperatorSession:
    sessions = await OperatorSession.filter(operator__username=token_owner).order_by("-created_at")
    return sessions[0]


async def test_session_past_its_expiry_is_refused(as_basic: GraphQLClient, world: Any) -> None:
    assert (await as_basic(ME))["me"]["username"] == "beta"
    session = await session_of("beta")
    await OperatorSession.filter(id=session.id).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    await assert_signed_out(as_basic, world)


@pytest.mark.parametrize(
    ("age", "valid"),
    [(timedelta(hours=1, minutes=59), True), (timedelta(hours=2, minutes=1), False)],
    ids=["1h59m", "2h01m"],
)
async def test_session_is_valid_for_two_hours_after_login(
    as_basic: GraphQLClient, world: Any, age: timedelta, valid: bool
) -> None:
    """Move the login back in time: it lasts 2 hours whether or not the operator is active."""
    session = await session_of("beta")
    assert session.expires_at - session.created_at <= timedelta(hours=2)
    await OperatorSession.filter(id=session.id).update(
        created_at=session.created_at - age, expires_at=session.expires_at - age
    )
    if valid:
        assert (await as_basic(ME))["me"]["username"] == "beta"
        # Being active does not extend the session.
        assert (await OperatorSession.get(id=session.id)).expires_at == session.expires_at - age
    else:
        await assert_signed_out(as_basic, world)


LOGOUT = "mutation { logout { ok errors { code message } } }"


async def test_logout_revokes_the_token_and_only_that_one(
    client: GraphQLClient, world: Any, redis: Redis
) -> None:
    first = client.as_token(await login(client, "beta"))
    second = client.as_token(await login(client, "beta"))
    assert (await first(LOGOUT))["logout"] == {"ok": True, "errors": []}
    await assert_signed_out(first, world)
    assert await OperatorSession.filter(operator_id=world.basic.id, revoked_at=None).count() == 1
    assert (await second(ME))["me"]["username"] == "beta"
    # A second logout with the revoked token is just unauthenticated.
    body = await first.raw(LOGOUT)
    assert error_codes(body) == ["UNAUTHENTICATED"]


def normalise(body: dict[str, Any], replace: dict[str, str]) -> str:
    """A response as text with the given strings replaced, error references and times
    blanked: two responses that differ only there are the same answer."""
    text = json.dumps(body, sort_keys=True)
    for old, new in replace.items():
        text = text.replace(old, new)
    text = re.sub(r"Error #[0-9A-F]+", "Error #REF", text)
    text = re.sub(r'"reference": "[0-9A-F]+"', '"reference": "REF"', text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?", "TIME", text)
