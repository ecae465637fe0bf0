"""The GraphQL endpoint as a public HTTP endpoint: bodies that are not GraphQL requests, size
limits, several operations, the GraphQL-over-HTTP media type, and text no field may hold."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from gql.schema import build_schema
from tests.gqlclient import GraphQLClient

CREATE_GROUP = """
mutation($input: CreateChargingGroupInput!) {
  createChargingGroup(input: $input) { errors { code field message } }
}
"""
LOGIN = """
mutation($username: String!) {
  login(username: $username, password: "x") { token errors { code field message } }
}
"""


def bad_request(response: httpx.Response) -> str:
    """A 400 answered in GraphQL's shape; its message."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    return str(error["message"])


@pytest.mark.parametrize(
    "body", [b"null", b'"x"', b"3", b"true", b"[]", b'[{"query": "{ __typename }"}]']
)
async def test_json_that_is_not_an_object_is_a_bad_request(http, body):
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert bad_request(response)


async def test_invalid_utf8_is_a_bad_request(http):
    response = await http.post(
        "/graphql",
        content=b'{"query": "{ __typename \xff }"}',
        headers={"Content-Type": "application/json"},
    )
    assert "UTF-8" in bad_request(response)


async def test_malformed_json_and_other_bad_requests_are_graphql_shaped(http):
    response = await http.post(
        "/graphql", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert "JSON" in bad_request(response)
    response = await http.post("/graphql", content=b"query", headers={"Content-Type": "text/plain"})
    assert bad_request(response)


async def test_a_body_over_the_limit_is_refused_with_413(http, settings):
    limit = settings.graphql_max_body_bytes
    padding = "x" * limit
    response = await http.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"p": padding}}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    # Streamed without a Content-Length: counted as it arrives.

    async def chunks():
        yield b'{"query": "{ __typename }", "variables": {"p": "'
        for _ in range(limit // 65536 + 2):
            yield b"y" * 65536
        yield b'"}}'

    response = await http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    # Just under the limit still works.
    response = await http.post("/graphql", json={"query": "{ __typename }"})
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_several_operations_need_an_operation_name(http):
    document = "query A { __typename } query B { __typename }"
    body = (await http.post("/graphql", json={"query": document})).json()
    assert body.get("data") is None
    assert "operation name" in body["errors"][0]["message"].lower()
    body = (await http.post("/graphql", json={"query": document, "operationName": "B"})).json()
    assert body == {"data": {"__typename": "Query"}}


async def test_the_graphql_response_media_type(http):
    accept = {"Accept": "application/graphql-response+json"}
    ok = await http.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    assert ok.json() == {"data": {"__typename": "Query"}}
    # With it, a document that does not validate is a 400 (GraphQL over HTTP, 6.4.2).
    bad = await http.post("/graphql", json={"query": "{ nope }"}, headers=accept)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in bad.json()
    # Without it, as before: application/json, 200.
    plain = await http.post("/graphql", json={"query": "{ nope }"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("application/json")


async def test_without_introspection_errors_suggest_no_names():
    schema = build_schema(introspection=False)
    result = await schema.execute("{ chargingStaton { id } }")
    assert result.errors
    assert all("Did you mean" not in e.message for e in result.errors)
    open_schema = build_schema(introspection=True)
    result = await open_schema.execute("{ chargingStaton { id } }")
    assert result.errors and "Did you mean" in result.errors[0].message


@pytest.mark.parametrize(
    "text", ["a\u0000b", "tab\tok\u0007bell", "\u001b[31m", "del\u007f", "lone \ud800 surrogate"]
)
async def test_control_characters_are_refused_at_the_edge(http, caplog, text):
    # As the JSON of a client would spell them (\\u0000, a lone \\ud800).
    request = json.dumps({"query": LOGIN, "variables": {"username": text}}, ensure_ascii=True)
    with caplog.at_level(logging.ERROR):
        response = await http.post(
            "/graphql", content=request.encode(), headers={"Content-Type": "application/json"}
        )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["login"]["token"] is None
    assert body["data"]["login"]["errors"] == [
        {
            "code": "INVALID_INPUT",
            "field": "username",
            "message": "Text must not contain control characters.",
        }
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_control_characters_in_nested_inputs_and_queries(as_admin: GraphQLClient, caplog):
    with caplog.at_level(logging.ERROR):
        body = await as_admin.raw(CREATE_GROUP, {"input": {"name": "a\u0000"}})
        assert body["data"]["createChargingGroup"]["errors"] == [
            {
                "code": "INVALID_INPUT",
                "field": "name",
                "message": "Text must not contain control characters.",
            }
        ]
        body = await as_admin.raw('{ chargingStations(search: "x\\u0000") { totalCount } }')
        assert body["data"] is None or body["data"].get("chargingStations") is None
        assert body["errors"][0]["message"] == "Text must not contain control characters."
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_tabs_and_newlines_are_text(as_admin: GraphQLClient):
    body = await as_admin.raw('{ chargingStations(search: "a\\tb\\nc") { totalCount } }')
    assert body == {"data": {"chargingStations": {"totalCount": 0}}}
