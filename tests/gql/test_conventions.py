"""GraphQL conventions: clear errors for bad documents, limits, masking, IDE, introspection."""

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from strawberry.extensions import ParserCache, SchemaExtension, ValidationCache

from evcms import db
from evcms.app import create_app


async def test_malformed_document_is_a_clear_error(as_admin, world):
    body = await as_admin.raw("{ me { id ")
    assert body["errors"][0]["message"].startswith("Syntax Error")


async def test_wrong_argument_type_is_a_clear_error(as_admin, world):
    body = await as_admin.raw('{ chargingGroups(page: {limit: "ten"}) { totalCount } }')
    assert "Int cannot represent" in body["errors"][0]["message"]


async def test_unknown_field_is_a_clear_error(as_admin, world):
    body = await as_admin.raw("{ me { password } }")
    assert "Cannot query field 'password'" in body["errors"][0]["message"]


async def test_depth_limit(as_admin, world):
    nested = "parent { " * 15 + "name" + " }" * 15
    body = await as_admin.raw("{ chargingGroups { items { %s } } }" % nested)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_alias_limit(as_admin, world):
    aliases = " ".join(f"a{i}: me {{ id }}" for i in range(40))
    body = await as_admin.raw("{ %s }" % aliases)
    assert "aliases" in body["errors"][0]["message"]


async def test_token_limit(as_admin, world):
    fields = " ".join("__typename" for _ in range(5000))
    body = await as_admin.raw("{ %s }" % fields)
    assert "token" in body["errors"][0]["message"].lower()


WAITING_BACKEND = """
SELECT pid FROM pg_locks
WHERE NOT granted AND relation = $1::regclass AND pid <> pg_backend_pid()
"""


async def _backend_waiting_on_a_lock(
    conn: asyncpg.Connection, request: asyncio.Future, table: str
) -> int:
    for _ in range(500):
        pids = await conn.fetch(WAITING_BACKEND, table)
        if pids:
            (row,) = pids
            return int(row["pid"])
        assert not request.done(), request.result()
        await asyncio.sleep(0.02)
    raise AssertionError("the request never waited on the lock")


async def killed_while_waiting(
    database_url: str, table: str, send: Callable[[], Awaitable[Any]]
) -> Any:
    """What `send()` answers when the database connection of its request is killed while its
    query waits on `table` (as a failover or an administrator would)."""
    creds = db.credentials(database_url)
    locker = await asyncpg.connect(
        host=creds["host"], port=creds["port"], user=creds["user"],
        password=creds["password"], database=creds["database"],
    )  # fmt: skip
    request: asyncio.Future = asyncio.get_running_loop().create_future()
    try:
        async with locker.transaction():
            await locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            request = asyncio.ensure_future(send())
            pid = await _backend_waiting_on_a_lock(locker, request, table)
            assert await locker.fetchval("SELECT pg_terminate_backend($1)", pid)
        return await request
    finally:
        request.cancel()  # when the test failed before the answer came
        await locker.close()


def masked(error: dict[str, Any]) -> str:
    """The reference of a masked error, checking its message and code."""
    ref = str(error["extensions"]["reference"])
    assert re.fullmatch("[0-9A-F]{8}", ref)
    assert error["message"] == (
        f"Error #{ref} encountered. If this error persists, "
        "please consult user manual for further actions."
    )
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "reference": ref}
    return ref


async def test_an_unexpected_failure_is_masked_and_logged_with_its_reference(
    as_admin, database_url, caplog
):
    """One request's database connection is killed while its query waits: the client gets a
    reference, the log has it with the stack."""
    query = "{ chargingStations { totalCount } }"
    with caplog.at_level(logging.ERROR, logger="evcms.graphql"):
        body = await killed_while_waiting(
            database_url, "charging_station", lambda: as_admin.raw(query)
        )
    assert body["data"] == {"chargingStations": None}  # only the failed field is lost
    (error,) = body["errors"]
    ref = masked(error)
    assert (error["locations"], error["path"]) == ([{"line": 1, "column": 3}], ["chargingStations"])
    (record,) = [r for r in caplog.records if ref in r.getMessage()]
    assert (record.name, record.levelno) == ("evcms.graphql", logging.ERROR)
    assert record.getMessage() == f"Error #{ref} in chargingStations"
    assert record.exc_info is not None
    trace = logging.Formatter().formatException(record.exc_info)
    assert "Traceback" in trace and "terminating connection" in trace
    # The database's words stay in the log; the next request gets a fresh connection.
    assert "terminating" not in str(body)
    data = await as_admin(query)
    assert data == {"chargingStations": {"totalCount": 0}}


async def test_a_failure_before_graphql_runs_is_masked_too(as_admin, http, database_url, caplog):
    """The request's authentication (before any field runs) loses its database connection:
    still a GraphQL-shaped JSON answer with a reference in the log, not a plain-text 500."""
    headers = {"Authorization": f"Bearer {as_admin.token}"}
    with caplog.at_level(logging.ERROR, logger="evcms"):
        response = await killed_while_waiting(
            database_url,
            "operator_session",
            lambda: http.post("/graphql", json={"query": "{ me { username } }"}, headers=headers),
        )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    ref = masked(error)
    (record,) = [r for r in caplog.records if ref in r.getMessage()]
    assert record.getMessage() == f"Error #{ref} in POST /graphql"
    assert record.exc_info is not None and "terminating" not in response.text
    assert await as_admin("{ me { username } }") == {"me": {"username": "alpha"}}


async def test_parser_and_validation_caches_serve_a_repeated_query(as_admin, app):
    """Strawberry's caches are on: a repeated document is parsed and validated once."""
    schema = next(r for r in app.routes if getattr(r, "path", "") == "/graphql").app.schema
    caches = {}
    for make in schema.extensions:
        extension = make if isinstance(make, SchemaExtension) else make()
        if isinstance(extension, ParserCache):
            caches["parse"] = extension.cached_parse_document
        if isinstance(extension, ValidationCache):
            caches["validate"] = extension.cached_validate_document
    assert set(caches) == {"parse", "validate"}
    query = "query Probe%s { me { username } }" % uuid.uuid4().hex  # never seen before
    before = {name: cache.cache_info() for name, cache in caches.items()}
    for _ in range(3):
        assert await as_admin(query) == {"me": {"username": "alpha"}}
    for name, cache in caches.items():
        info = cache.cache_info()
        assert (info.misses - before[name].misses, info.hits - before[name].hits) == (1, 2), name


async def test_graphiql_served_outside_production(http, world):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_production_turns_off_ide_and_introspection(settings):
    prod = settings.model_copy(update={"environment": "production"})
    graphql = next(r for r in create_app(prod).routes if getattr(r, "path", "") == "/graphql")
    assert graphql.app.graphql_ide is None
    result = graphql.app.schema.execute_sync("{ __schema { types { name } } }")
    assert result.errors and "introspection" in result.errors[0].message.lower()
    dev = next(r for r in create_app(settings).routes if getattr(r, "path", "") == "/graphql")
    assert dev.app.schema.execute_sync("{ __schema { types { name } } }").errors is None


async def test_health_and_readiness(http):
    assert (await http.get("/healthz")).text == "ok"
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"ready": True, "database": True, "redis": True}


async def test_a_forbidden_field_costs_only_that_field(as_basic):
    body = await as_basic.raw(
        "{ me { username } chargingGroups { totalCount } operators { totalCount } }"
    )
    assert body["data"]["me"] == {"username": "beta"}
    assert body["data"]["chargingGroups"]["totalCount"] >= 1
    assert body["data"]["operators"] is None
    (error,) = body["errors"]
    assert error["path"] == ["operators"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["message"] == "Access denied."
