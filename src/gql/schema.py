"""The schema, its protective extensions, and the SDL export."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gql.auth import AuthMutation
from gql.autoconfig import AutoConfigurationMutation, AutoConfigurationQuery
from gql.commands import CommandMutation, CommandQuery
from gql.drivers import DriverMutation
from gql.errors import MaskUnexpectedErrors, log
from gql.events import EventQuery
from gql.groups import GroupMutation, GroupQuery
from gql.guards import HideSuggestions, unnamed_operations
from gql.history import HistoryQuery
from gql.live import LiveSubscription
from gql.mail import MailQuery
from gql.operators import OperatorMutation, OperatorQuery
from gql.organisations import OrganisationMutation, OrganisationQuery
from gql.policy import missing_policies
from gql.pricing import PricingMutation, PricingQuery
from gql.sessions import SessionQuery
from gql.stations import StationMutation, StationQuery
from gql.users import ChargingUserMutation, ChargingUserQuery, UserGroupMutation

QUERY_ROOTS: tuple[type, ...] = (
    OperatorQuery,
    GroupQuery,
    MailQuery,
    PricingQuery,
    HistoryQuery,
    StationQuery,
    ChargingUserQuery,
    CommandQuery,
    OrganisationQuery,
    SessionQuery,
    EventQuery,
    AutoConfigurationQuery,
)
MUTATION_ROOTS: tuple[type, ...] = (
    AuthMutation,
    OperatorMutation,
    GroupMutation,
    PricingMutation,
    DriverMutation,
    StationMutation,
    ChargingUserMutation,
    UserGroupMutation,
    CommandMutation,
    OrganisationMutation,
    AutoConfigurationMutation,
)

SUBSCRIPTION_ROOTS: tuple[type, ...] = (LiveSubscription,)
ALL_ROOTS = (*QUERY_ROOTS, *MUTATION_ROOTS, *SUBSCRIPTION_ROOTS)

Query = merge_types("Query", QUERY_ROOTS)
Mutation = merge_types("Mutation", MUTATION_ROOTS)
Subscription = merge_types("Subscription", SUBSCRIPTION_ROOTS)


class EvcmsSchema(strawberry.Schema):
    """Strawberry logs every error with a traceback; ours are logged once, where they arise:
    unexpected ones by MaskUnexpectedErrors with their reference, the rest are the client's."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """One answer, never a stream: a subscription over plain HTTP (which would answer
        null) is refused; it takes graphql-transport-ws, or multipart HTTP (`stream`)."""
        unnamed = unnamed_operations(query, operation_name)
        if unnamed is not None:
            return ExecutionResult(data=None, errors=[unnamed])
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        allowed.discard(OperationType.SUBSCRIPTION)
        return await super().execute(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed_operation_types=allowed,
            operation_extensions=operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log.debug("client error: %s", error.message)


def build_schema(
    *,
    max_depth: int = 12,
    max_tokens: int = 4000,
    max_aliases: int = 30,
    introspection: bool = True,
) -> strawberry.Schema:
    """Refuses to build if any root field declares no policy (deny by default)."""
    missing = missing_policies(*ALL_ROOTS)
    if missing:
        raise RuntimeError(f"root fields without a policy: {', '.join(missing)}")
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        rules_built_once(
            QueryDepthLimiter(max_depth=max_depth), MaxAliasesLimiter(max_alias_count=max_aliases)
        ),
        MaskUnexpectedErrors,
    ]
    if not introspection:
        extensions += [DisableIntrospection, HideSuggestions]
    return EvcmsSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )


def rules_built_once(*limiters: AddValidationRules) -> Callable[[], SchemaExtension]:
    """Rule classes built once, so ValidationCache (keyed on them) hits (strawberry #4635)."""
    rules = [rule for limiter in limiters for rule in limiter.validation_rules]
    return lambda: AddValidationRules(rules)


def sdl() -> str:
    return build_schema().as_str() + "\n"
