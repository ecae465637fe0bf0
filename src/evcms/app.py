"""The ASGI app: GraphQL at /graphql, health checks, and the OCPP endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from evcms import db
from evcms.background import Background
from evcms.health import PING_TIMEOUT, answers_within
from evcms.live_hub import LiveHub, publisher
from evcms.settings import Settings
from gql.context import Services
from gql.errors import new_reference, unexpected_extensions, unexpected_message
from gql.http import GraphQLApp
from gql.schema import build_schema
from ocpp_ws.endpoint import ocpp_endpoint
from ocpp_ws.node import Node
from tenancy.auth import LoginPolicy
from workers.queue import ArqQueue

log = logging.getLogger("evcms")


def create_app(settings: Settings, *, worker: bool = False) -> Starlette:
    """The app for one node. `worker` also runs the arq worker in this process."""
    assert settings.database_url and settings.redis_url, "resolve embedded services first"
    state: dict[str, Services] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.init(settings.database_url or "")
        redis = await create_pool(RedisSettings.from_dsn(settings.redis_url or ""))
        # Blocking reads (command inboxes and replies) get a client without socket timeouts.
        node_redis = Redis.from_url(settings.redis_url or "")
        node = Node(
            node_redis,
            publish=publisher(redis),
            name=settings.node_name,
            lease=settings.node_lease_seconds,
            command_timeout=settings.ocpp_command_timeout_seconds,
            max_frame_bytes=settings.ocpp_max_frame_bytes,
        )
        background = Background()
        live_hub = LiveHub.from_url(settings.redis_url or "", name=f"evcms-live:{node.name}")
        state["services"] = Services(
            redis=redis,
            jobs=ArqQueue(redis),
            link_base=settings.public_url,
            login_policy=LoginPolicy(
                session_ttl=timedelta(minutes=settings.session_ttl_minutes),
                max_failures=settings.login_max_failures,
                lockout_seconds=settings.login_lockout_seconds,
            ),
            dispatch=node.router.dispatch,
            background=background,
            live=live_hub,
        )
        app.state.redis = redis
        app.state.node = node
        app.state.background = background
        app.state.live_hub = live_hub
        app.state.probe = probe = db.Probe(settings.database_url or "")
        await live_hub.start()
        await node.start()
        async with contextlib.AsyncExitStack() as stack:
            if worker:
                from evcms.worker import run_in_background

                await stack.enter_async_context(run_in_background(settings))
            try:
                yield
            finally:
                await background.close()
                await live_hub.close()
                await node.stop()
                await node_redis.aclose()
                await redis.aclose()
                await probe.close()
                await db.close()

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(request: Request) -> JSONResponse:
        probe: db.Probe = request.app.state.probe
        database, redis = await asyncio.gather(probe.ping(), _redis_ok(request.app.state.redis))
        checks = {"database": database, "redis": redis}
        return JSONResponse(
            {"ready": all(checks.values()), **checks},
            status_code=200 if all(checks.values()) else 503,
        )

    schema = build_schema(
        max_depth=settings.graphql_max_depth,
        max_tokens=settings.graphql_max_tokens,
        max_aliases=settings.graphql_max_aliases,
        introspection=settings.introspection_enabled,
    )
    graphql = GraphQLApp(
        state,
        max_body_bytes=settings.graphql_max_body_bytes,
        schema=schema,
        graphql_ide="graphiql" if settings.environment != "production" else None,
        multipart_uploads_enabled=True,
    )
    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            WebSocketRoute("/ocpp/{organisation}/{identifier}", ocpp_endpoint),
        ],
        lifespan=lifespan,
        exception_handlers={Exception: unexpected_error},
    )


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """A failure outside GraphQL's own handling (the request's authentication, say, when the
    database connection drops): a GraphQL-shaped answer with a reference that the log has
    with the stack, as for a failing field, instead of a plain-text 500."""
    ref = new_reference()
    log.error("Error #%s in %s %s", ref, request.method, request.url.path, exc_info=error)
    body = {"message": unexpected_message(ref), "extensions": unexpected_extensions(ref)}
    return JSONResponse({"data": None, "errors": [body]}, status_code=500)


async def _redis_ok(redis: Any, seconds: float = PING_TIMEOUT) -> bool:
    return await answers_within(redis.ping(), seconds, what="Redis")
