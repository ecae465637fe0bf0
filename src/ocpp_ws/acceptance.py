"""A quick yes for payloads that conform: each OCPP schema compiled into a lean Python
predicate that answers True only when the payload is valid under Draft 4 as the `ocpp`
library checks it, without the bookkeeping a validator that explains failures needs.

It is only ever allowed to be stricter than the schema: False sends the payload on to the
full validator (`ocpp_ws.validation`), which decides and explains. Schemas using a keyword
the predicate does not handle (multipleOf, additionalItems, combinators, a list of types,
a non-string enum) get no predicate at all.

    accept = predicate(schema)    # None when the schema is not supported
    accept({"connectorId": 1, ...}) -> True / False
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

# Keywords with no effect on validity (format: the library checks no formats).
ANNOTATIONS = frozenset(
    {"$id", "id", "$schema", "comment", "$comment", "default", "description", "format",
     "javaType", "title", "definitions"}
)  # fmt: skip
HANDLED = frozenset(
    {"type", "properties", "additionalProperties", "required", "items", "minItems",
     "maxItems", "maxLength", "minLength", "minimum", "maximum", "enum", "$ref"}
)  # fmt: skip
# Draft 4 types as the library's validator sees JSON values: an integer is an int and not a
# bool (nor 1.0), a number an int or a float.
TYPE_TESTS = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "type({v}) is str",
    "integer": "type({v}) is int",
    "number": "(type({v}) is int or type({v}) is float)",
    "boolean": "type({v}) is bool",
}
APPLIES_TO = {  # keyword -> the type it constrains (Draft 4 ignores it on others)
    "properties": "object", "additionalProperties": "object", "required": "object",
    "items": "array", "minItems": "array", "maxItems": "array",
    "maxLength": "string", "minLength": "string",
    "minimum": "number", "maximum": "number",
}  # fmt: skip


class Unsupported(Exception):
    """The schema uses something the predicate does not handle."""


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}
        self.names = itertools.count()

    def constant(self, value: Any) -> str:
        name = f"C{next(self.names)}"
        self.constants[name] = value
        return name

    def variable(self) -> str:
        return f"v{next(self.names)}"

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/") or len(node) != 1:
                raise Unsupported(f"$ref {ref!r}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            node, seen = target, seen + 1
            if seen > 32:
                raise Unsupported("$ref cycle")
        return node

    def node(self, node: Any, var: str, depth: int) -> None:
        """Lines that `return False` when `var` does not conform to `node`."""
        if not isinstance(node, dict):
            raise Unsupported("a schema that is not an object")
        node = self.resolve(node)
        unknown = set(node) - ANNOTATIONS - HANDLED
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        kind = node.get("type")
        constraints = set(node) & (HANDLED - {"type", "$ref"})
        if kind is None:
            if constraints:
                raise Unsupported("constraints without a type")
            return
        if not isinstance(kind, str) or kind not in TYPE_TESTS:
            raise Unsupported(f"type {kind!r}")
        self.emit(depth, f"if not {TYPE_TESTS[kind].format(v=var)}: return False")
        applicable = "number" if kind == "integer" else kind
        for keyword in constraints - {"enum"}:
            if APPLIES_TO[keyword] == applicable:
                getattr(self, "_" + keyword)(node, var, depth)
        if "enum" in node:
            self._enum(node["enum"], kind, var, depth)

    def _enum(self, enum: Any, kind: str, var: str, depth: int) -> None:
        if kind != "string" or not isinstance(enum, list) or not enum:
            raise Unsupported("enum")
        if not all(type(value) is str for value in enum):
            raise Unsupported("enum of other than strings")
        self.emit(depth, f"if {var} not in {self.constant(frozenset(enum))}: return False")

    def _required(self, node: dict[str, Any], var: str, depth: int) -> None:
        names = self.constant(frozenset(node["required"]))
        self.emit(depth, f"if not {names} <= {var}.keys(): return False")

    def _additionalProperties(self, node: dict[str, Any], var: str, depth: int) -> None:
        allowed = node["additionalProperties"]
        if allowed is True:
            return
        if allowed is not False:
            raise Unsupported("additionalProperties with a schema")
        names = self.constant(frozenset(node.get("properties", {})))
        self.emit(depth, f"if not {var}.keys() <= {names}: return False")

    def _properties(self, node: dict[str, Any], var: str, depth: int) -> None:
        missing = self.constant(object())
        for name, schema in node["properties"].items():
            inner = self.variable()
            self.emit(depth, f"{inner} = {var}.get({name!r}, {missing})")
            self.emit(depth, f"if {inner} is not {missing}:")
            before = len(self.lines)
            self.node(schema, inner, depth + 1)
            if len(self.lines) == before:
                self.emit(depth + 1, "pass")

    def _items(self, node: dict[str, Any], var: str, depth: int) -> None:
        item = self.variable()
        self.emit(depth, f"for {item} in {var}:")
        before = len(self.lines)
        self.node(node["items"], item, depth + 1)
        if len(self.lines) == before:
            self.emit(depth + 1, "pass")

    def _bound(self, node: dict[str, Any], keyword: str, test: str, var: str, depth: int) -> None:
        limit = node[keyword]
        if type(limit) not in (int, float):
            raise Unsupported(f"{keyword} {limit!r}")
        self.emit(depth, f"if {test.format(v=var, n=limit)}: return False")

    def _minItems(self, node: dict[str, Any], var: str, depth: int) -> None:
        self._bound(node, "minItems", "len({v}) < {n}", var, depth)

    def _maxItems(self, node: dict[str, Any], var: str, depth: int) -> None:
        self._bound(node, "maxItems", "len({v}) > {n}", var, depth)

    def _maxLength(self, node: dict[str, Any], var: str, depth: int) -> None:
        self._bound(node, "maxLength", "len({v}) > {n}", var, depth)

    def _minLength(self, node: dict[str, Any], var: str, depth: int) -> None:
        self._bound(node, "minLength", "len({v}) < {n}", var, depth)

    def _minimum(self, node: dict[str, Any], var: str, depth: int) -> None:
        if node.get("exclusiveMinimum"):
            raise Unsupported("exclusiveMinimum")
        self._bound(node, "minimum", "{v} < {n}", var, depth)

    def _maximum(self, node: dict[str, Any], var: str, depth: int) -> None:
        if node.get("exclusiveMaximum"):
            raise Unsupported("exclusiveMaximum")
        self._bound(node, "maximum", "{v} > {n}", var, depth)


def predicate(schema: dict[str, Any]) -> Callable[[Any], bool] | None:
    """True only for a payload valid under `schema`; None when the schema is unsupported."""
    compiler = _Compiler(schema)
    try:
        compiler.node(schema, "data", 1)
    except Unsupported:
        return None
    source = "\n".join(["def accept(data):", *compiler.lines, "    return True"])
    namespace: dict[str, Any] = dict(compiler.constants)
    exec(compile(source, "<ocpp acceptance>", "exec"), namespace)
    accept: Callable[[Any], bool] = namespace["accept"]
    return accept
