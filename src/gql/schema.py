"""The schema, its protective extensions, and the SDL export."""

from __future__ import annotations

from collections.abc import Callable

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
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from gql.auth import AuthMutation
from gql.autoconfig import AutoConfigurationMutation, AutoConfigurationQuery
from gql.commands import CommandMutation, CommandQuery
from gql.drivers import DriverMutation
from gql.errors import MaskUnexpectedErrors, log
from gql.groups import GroupMutation, GroupQuery
from gql.history import HistoryQuery
from gql.mail import MailQuery
from gql.operators import OperatorMutation, OperatorQuery
from gql.organisations import OrganisationMutation, OrganisationQuery
from gql.policy import missing_policies
from gql.pricing import PricingMutation, PricingQuery
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

Query = merge_types("Query", QUERY_ROOTS)
Mutation = merge_types("Mutation", MUTATION_ROOTS)


class EvcmsSchema(strawberry.Schema):
    """Strawberry logs every error with a traceback; ours are logged once, where they arise:
    unexpected ones by MaskUnexpectedErrors with their reference, the rest are the client's."""

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
    missing = missing_policies(*QUERY_ROOTS, *MUTATION_ROOTS)
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
        extensions.append(DisableIntrospection)
    return EvcmsSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(auto_camel_case=True),
    )


def rules_built_once(*limiters: AddValidationRules) -> Callable[[], SchemaExtension]:
    """Rule classes built once, so ValidationCache (keyed on them) hits (strawberry #4635)."""
    rules = [rule for limiter in limiters for rule in limiter.validation_rules]
    return lambda: AddValidationRules(rules)


def sdl() -> str:
    return build_schema().as_str() + "\n"
