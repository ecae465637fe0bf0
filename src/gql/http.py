"""The GraphQL endpoint over HTTP and websockets: Strawberry's ASGI app with our per-request
context, and what a public endpoint needs around it.

- A body larger than `max_body_bytes` is refused with 413 before it is parsed (counted as
  it arrives when no Content-Length announces it).
- A body that is not a GraphQL request (invalid UTF-8, JSON that is not an object, a batch
  while batching is off, an unsupported content type) gets 400, in GraphQL's shape like
  every other answer: `{"data": null, "errors": [{"message", "extensions": {"code"}}]}`.
- A client that accepts `application/graphql-response+json` (GraphQL over HTTP) gets that
  media type, and a request that fails before execution (parse, validation, several
  operations unnamed) answers 400 without `data`, as that specification says. Others get
  `application/json` with 200, as before.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from gql.context import Context, Services
from tenancy.auth import authenticate

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

GRAPHQL_RESPONSE = "application/graphql-response+json"
CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE"}
NOT_UTF8 = "The request body is not valid UTF-8."
NOT_AN_OBJECT = "The request body must be a JSON object."
TOO_LARGE = "The request body is larger than {limit} bytes."


def bearer_token(header: Any) -> str | None:
    """The token of an `Authorization: Bearer <token>` value, or None."""
    scheme, _, token = str(header or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def client_error(status: int, message: str) -> JSONResponse:
    """An answer for a request GraphQL never saw, in GraphQL's shape."""
    code = CODES.get(status, "BAD_REQUEST")
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status_code=status)


def wants_graphql_response(request: Any) -> bool:
    return GRAPHQL_RESPONSE in str(request.headers.get("accept", ""))


class GraphQLApp(GraphQL):
    """A websocket (graphql-transport-ws) is authenticated by the upgrade request's
    Authorization header, or by the `connection_init` payload
    `{"Authorization": "Bearer <token>"}` (browsers cannot set websocket headers); the
    payload wins when it has one."""

    def __init__(
        self, services_ref: dict[str, Services], *, max_body_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,), **kwargs)
        self._services = services_ref
        self.max_body_bytes = max_body_bytes
        self._graphql_responses: weakref.WeakSet[Response] = weakref.WeakSet()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            receive_body = await self._limited_body(scope, receive, send)
            if receive_body is None:
                return
            receive = receive_body
        await super().__call__(scope, receive, send)

    async def _limited_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """The request body read whole, at most `max_body_bytes`, and replayed to the app;
        None once a 413 has been answered."""
        limit = self.max_body_bytes
        too_large = client_error(413, TOO_LARGE.format(limit=limit))
        length = Request(scope).headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await too_large(scope, receive, send)
            return None
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return receive
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(scope, receive, send)
                return None
            chunks.append(chunk)
            more = message.get("more_body", False)
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks)}]

        async def replayed() -> Message:
            return replay.pop() if replay else await receive()

        return replayed

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:
            return client_error(error.status_code, error.reason)

    def decode_json(self, data: str | bytes) -> object:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError:
                raise HTTPException(400, NOT_UTF8) from None
        value = json.loads(data)
        if not isinstance(value, dict | list):  # a list is a batch, refused while it is off
            raise HTTPException(400, NOT_AN_OBJECT)
        return value

    async def get_context(self, request: Any, response: Any = None) -> Context:  # type: ignore[override]
        token = bearer_token(request.headers.get("authorization"))
        return Context(
            actor=await authenticate(token),
            services=self._services["services"],
            request=request,
            response=response,
            token=token,
            websocket=request.scope.get("type") == "websocket",
        )

    async def on_ws_connect(self, context: Context) -> UnsetType:  # type: ignore[override]
        params = context.connection_params
        header = params.get("Authorization", params.get("authorization"))
        if header is not None:
            await context.sign_in(bearer_token(header))
        return UNSET  # connection_ack without a payload; a bad token fails per operation

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        processed = await super().process_result(request, result)
        if wants_graphql_response(request) and _request_error(result):
            processed.pop("data", None)
        return processed

    async def get_sub_response(self, request: Any) -> Response:
        response = await super().get_sub_response(request)
        if wants_graphql_response(request):
            self._graphql_responses.add(response)  # create_response has only this to go by
        return response

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response in self._graphql_responses:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if isinstance(response_data, dict) and "data" not in response_data:
                response.status_code = 400
        return response


def _request_error(result: ExecutionResult) -> bool:
    """A failure before execution: no data, and errors that no field raised (no path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(e.path is None for e in errors)
