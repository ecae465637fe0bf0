"""Guards of a public endpoint: no text that no field may hold, one operation per request
unless named, and no schema names spelled out in errors when introspection is off."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension
from strawberry.utils.str_converters import to_camel_case

# C0 controls but tab, newline and carriage return, DEL, and UTF-16 surrogates (JSON can spell
# a lone one; no text column can store it, and PostgreSQL refuses NUL outright).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
MULTIPLE_OPERATIONS = "Must provide operation name if query contains multiple operations."
# graphql-core's suggestions: ' Did you mean "x"?', ' Did you mean "x" or "y"?', ...
SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.S)


def forbidden_text(arguments: Mapping[str, Any]) -> str | None:
    """The name of the first input field (of a root field's arguments, however deep) whose
    text holds a character no field may hold; None when there is none."""
    for name, value in arguments.items():
        found = _forbidden(value, to_camel_case(name))
        if found is not None:
            return found
    return None


def _forbidden(value: Any, name: str) -> str | None:
    if isinstance(value, str):
        return name if FORBIDDEN.search(value) else None
    if isinstance(value, list | tuple):
        return next((n for item in value if (n := _forbidden(item, name)) is not None), None)
    if isinstance(value, dict):
        return forbidden_text(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # an input type
        return forbidden_text({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return None


@lru_cache(maxsize=256)
def _operation_count(query: str) -> int:
    try:
        document = parse(query)
    except GraphQLError:
        return 0  # the schema's own parse answers it
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


def unnamed_operations(query: str | None, operation_name: str | None) -> GraphQLError | None:
    """The error for a document with several operations and no operationName (GraphQL
    specification, GetOperation); Strawberry would run the first one."""
    if operation_name is None and query and _operation_count(query) > 1:
        return GraphQLError(MULTIPLE_OPERATIONS)
    return None


class HideSuggestions(SchemaExtension):
    """Without introspection, "Did you mean ...?" would tell anyone the schema's field,
    argument, type and enum names one guess at a time."""

    def on_operation(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        errors = list(ctx.pre_execution_errors or [])
        if ctx.result is not None and ctx.result.errors:
            errors += ctx.result.errors
        for error in errors:
            error.message = SUGGESTION.sub("", error.message)
