"""User errors (data) for expected failures; GraphQL errors for what a client cannot act on."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import strawberry
from graphql.error import GraphQLError
from strawberry.extensions import MaskErrors

from domain.errors import ACCESS_DENIED, NOT_AUTHENTICATED, SYSTEM_ERROR, DomainError
from domain.errors import ErrorCode as DomainErrorCode

log = logging.getLogger("evcms.graphql")

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Stable error codes")


@strawberry.type(description="An expected failure: stable code, the input field, a message")
class UserError:
    code: DomainErrorCode
    field: str | None
    message: str

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, field=error.field, message=error.message)


class ClientError(Exception):
    """An error shown to the client as it is, with a code in `extensions`."""

    code = "BAD_REQUEST"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code}


class NotAuthenticated(ClientError):
    code = "UNAUTHENTICATED"

    def __init__(self) -> None:
        super().__init__(NOT_AUTHENTICATED)


class Forbidden(ClientError):
    code = "FORBIDDEN"

    def __init__(self) -> None:
        super().__init__(ACCESS_DENIED)


class InvalidArgument(ClientError):
    code = "BAD_USER_INPUT"


def _should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    return original is not None and not isinstance(original, ClientError | GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Hide unexpected failures behind a reference that is logged with the stack trace."""

    def __init__(self, should_mask_error: Callable[[GraphQLError], bool] = _should_mask) -> None:
        super().__init__(should_mask_error=should_mask_error)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        ref = new_reference()
        original = error.original_error
        log.error(
            "Error #%s in %s",
            ref,
            ".".join(map(str, error.path or [])),
            exc_info=(type(original), original, original.__traceback__) if original else None,
        )
        return GraphQLError(
            message=unexpected_message(ref),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=unexpected_extensions(ref),
        )


def new_reference() -> str:
    """What a client quotes and the log shows beside the stack of an unexpected failure."""
    return secrets.token_hex(4).upper()


def unexpected_message(ref: str) -> str:
    return SYSTEM_ERROR.format(reference=ref)


def unexpected_extensions(ref: str) -> dict[str, str]:
    return {"code": "INTERNAL_SERVER_ERROR", "reference": ref}
