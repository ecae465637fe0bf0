"""The choke point: every root field declares a policy, checked before it resolves.

Subscriptions are checked when they start, and their streams check the session again
before each event (`still_allowed`). Over a websocket the session is read again for every
operation, since one connection outlives many requests.

Mutations also run here inside one database transaction; a DomainError rolls it back and
becomes the payload's user error. A mutation declared `atomic=False` (a remote command,
which waits for a station) owns its transactions itself; its DomainErrors become user
errors all the same. A root field without a Policy makes the schema refuse to build (deny
by default).
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import OperationType
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField
from tortoise.transactions import in_transaction

from domain.errors import ACCESS_DENIED, CONTROL_CHARACTERS, DomainError, ErrorCode
from gql.errors import Forbidden, InvalidArgument, NotAuthenticated, UserError
from gql.guards import forbidden_text

log = logging.getLogger("evcms.graphql")

PUBLIC = "public"
SIGNED_IN = "signed-in"


class Policy(FieldExtension):
    def __init__(self, action: str, *, atomic: bool = True) -> None:
        self.action = action
        self.atomic = atomic

    def apply(self, field: StrawberryField) -> None:
        self.field = field

    def resolve(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        raise TypeError(f"root field {self.field.name} must be async")

    async def resolve_async(self, next_: Any, source: Any, info: Any, **kwargs: Any) -> Any:
        ctx = info.context
        operation = info.operation.operation
        if ctx.websocket:  # a long-lived connection: read the session again
            await ctx.refresh()
        if self.action != PUBLIC:
            if not ctx.actor.is_authenticated:
                raise NotAuthenticated()
            if self.action != SIGNED_IN and not ctx.actor.may(self.action):
                if operation == OperationType.MUTATION:
                    return self.failure(DomainError(ErrorCode.ACCESS_DENIED, ACCESS_DENIED))
                raise Forbidden()
        field = forbidden_text(kwargs)
        if field is not None:  # refused before it can reach the database
            error = DomainError(ErrorCode.INVALID_INPUT, CONTROL_CHARACTERS, field)
            if operation == OperationType.MUTATION:
                return self.failure(error)
            raise InvalidArgument(error.message)
        if operation == OperationType.SUBSCRIPTION:
            return await _subscribe(next_, source, info, **kwargs)
        if operation != OperationType.MUTATION:
            try:
                return await next_(source, info, **kwargs)
            except DomainError as error:  # a bad argument to a query (page size, ...)
                raise InvalidArgument(error.message) from None
        try:
            if self.atomic:
                async with in_transaction():
                    result = await next_(source, info, **kwargs)
            else:
                result = await next_(source, info, **kwargs)
        except DomainError as error:
            ctx.discard_after_commit()
            return self.failure(error)
        except Exception:  # rolled back: its after-commit work must not run with the next
            ctx.discard_after_commit()
            raise
        try:
            await ctx.run_after_commit()
        except Exception:
            # The change is committed; a lost mail job is re-queued by the worker's sweep.
            log.exception("after-commit work failed for %s", self.field.name)
        return result

    def failure(self, error: DomainError) -> Any:
        payload: Any = self.field.type
        return payload(errors=[UserError.from_domain(error)])


async def still_allowed(info: Any, action: str) -> None:
    """For a subscription, before each event: the session read again must still allow
    `action` (deactivation, demotion, logout and the 2-hour limit end the stream)."""
    ctx = info.context
    await ctx.refresh()
    if not ctx.actor.is_authenticated:
        raise NotAuthenticated()
    if action != SIGNED_IN and not ctx.actor.may(action):
        raise Forbidden()


async def _subscribe(next_: Any, source: Any, info: Any, **kwargs: Any) -> AsyncIterator[Any]:
    """A subscription's stream; bad arguments (checked before it starts, or later) become
    the client's error, like a query's."""
    try:
        stream = next_(source, info, **kwargs)
        if inspect.isawaitable(stream):
            stream = await stream
    except DomainError as error:
        raise InvalidArgument(error.message) from None
    return _client_errors(stream)


async def _client_errors(stream: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async with contextlib.aclosing(stream):  # type: ignore[type-var]
        try:
            async for item in stream:
                yield item
        except DomainError as error:
            raise InvalidArgument(error.message) from None


def missing_policies(*root_types: type) -> list[str]:
    """Root fields that declare no Policy."""
    missing = []
    for root in root_types:
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            if not any(isinstance(ext, Policy) for ext in field.extensions):
                missing.append(f"{root.__name__}.{field.name}")
    return missing


def declared_actions(*root_types: type) -> dict[str, str]:
    """Every root field and the action its policy names."""
    out = {}
    for root in root_types:
        for field in root.__strawberry_definition__.fields:  # type: ignore[attr-defined]
            for ext in field.extensions:
                if isinstance(ext, Policy):
                    out[f"{root.__name__}.{field.name}"] = ext.action
    return out
