"""GraphQL conventions: clear errors for bad documents, limits, masking, IDE, introspection."""

import logging

import strawberry

from evcms.app import create_app
from gql.errors import MaskUnexpectedErrors


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


def test_unexpected_errors_are_masked_with_a_logged_reference(caplog):
    @strawberry.type
    class Query:
        @strawberry.field
        def boom(self) -> int:
            raise RuntimeError("secret database detail")

    schema = strawberry.Schema(query=Query, extensions=[MaskUnexpectedErrors])
    with caplog.at_level(logging.ERROR, logger="evcms.graphql"):
        result = schema.execute_sync("{ boom }")
    (error,) = result.errors
    ref = error.extensions["reference"]
    assert error.message == (
        f"Error #{ref} encountered. If this error persists, "
        "please consult user manual for further actions."
    )
    assert "secret" not in error.message
    (record,) = [r for r in caplog.records if r.name == "evcms.graphql"]
    assert ref in record.getMessage()
    assert "secret database detail" in record.exc_text


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
