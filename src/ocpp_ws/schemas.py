"""One JSON-schema engine for OCPP payloads: each schema compiled once into a plain Python
function that returns for a valid payload and raises `Failure` at the first violation,
in the order the `ocpp` library's jsonschema Draft4Validator reports them (keywords in
schema order, properties in schema order, depth first), so that codes and paths agree.

    check = compile_schema(schema)
    check({"connectorId": 1, ...})     # None, or raises Failure(keyword, path, ...)

Draft 4 as the library applies it: `integer` is an int and not a bool (nor 1.0), `number`
an int or a float, no `format` checks, `$ref` (local) replacing its siblings, and
`multipleOf` judged on the decimal value as written (21.4 is a multiple of 0.1), which the
library gets by reading the payload's floats as Decimals. A keyword the OCPP schemas do not
use raises `Unsupported` when compiling: a new schema fails loudly, never silently passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

# Keywords with no effect on validity (format: the library checks no formats;
# additionalItems: only with a list of `items`, which no OCPP schema has).
ANNOTATIONS = frozenset(
    {"$id", "id", "$schema", "comment", "$comment", "default", "description", "format",
     "javaType", "title", "definitions", "additionalItems"}
)  # fmt: skip
TYPE_TESTS = {
    "object": "type({v}) is dict",
    "array": "type({v}) is list",
    "string": "(type({v}) is str or isinstance({v}, str))",  # str enums of ocpp's dataclasses
    "integer": "type({v}) is int",
    "number": "(type({v}) is int or type({v}) is float)",
    "boolean": "type({v}) is bool",
}
APPLIES_TO = {  # keyword -> the type it constrains (Draft 4 ignores it on others)
    "properties": "object", "additionalProperties": "object", "required": "object",
    "items": "array", "minItems": "array", "maxItems": "array",
    "maxLength": "string", "minLength": "string",
    "minimum": "number", "maximum": "number", "multipleOf": "number",
}  # fmt: skip
BOUNDS = {  # keyword -> the failing test
    "minItems": "len({v}) < {n}", "maxItems": "len({v}) > {n}",
    "maxLength": "len({v}) > {n}", "minLength": "len({v}) < {n}",
    "minimum": "{v} < {n}", "maximum": "{v} > {n}",
}  # fmt: skip


Where = tuple[str, ...]  # a payload location as Python expressions: keys and loop indexes


class Unsupported(Exception):
    """The schema uses something this engine does not handle."""


class Failure(Exception):
    """The first violation: the keyword, where (keys and indexes from the payload's root),
    the offending value and the keyword's argument."""

    def __init__(self, keyword: str, path: tuple[Any, ...], instance: Any, expected: Any) -> None:
        super().__init__(keyword)
        self.keyword, self.path, self.instance, self.expected = keyword, path, instance, expected

    @property
    def message(self) -> str:
        """A human sentence in the manner of jsonschema's."""
        value, expected = _short(self.instance), self.expected
        return {
            "type": f"{value} is not of type {expected!r}",
            "required": f"{expected!r} is a required property",
            "additionalProperties": f"Additional properties are not allowed ({expected} "
            "unexpected)",
            "enum": f"{value} is not one of {_short(expected)}",
            "maxLength": f"{value} is longer than {expected} characters",
            "minLength": f"{value} is shorter than {expected} characters",
            "minItems": f"{value} has fewer than {expected} items",
            "maxItems": f"{value} has more than {expected} items",
            "minimum": f"{value} is less than the minimum of {expected}",
            "maximum": f"{value} is greater than the maximum of {expected}",
            "multipleOf": f"{value} is not a multiple of {expected}",
        }.get(self.keyword, f"{value} fails {self.keyword}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _extra(value: dict[str, Any], allowed: frozenset[str]) -> str:
    extra = sorted(str(key) for key in value if key not in allowed)
    return ", ".join(repr(key) for key in extra) + (" was" if len(extra) == 1 else " were")


def _not_multiple(value: int | float, step: Decimal) -> bool:
    """Not a multiple of `step` as written (repr is the shortest text that reads back)."""
    return Decimal(repr(value) if type(value) is float else value) % step != 0


def _not_in(value: Any, options: tuple[Any, ...]) -> bool:
    """jsonschema's enum: equal, with a bool never equal to a number."""
    return not any(value == o and (type(value) is bool) == (type(o) is bool) for o in options)


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {"Failure": Failure, "_not_multiple": _not_multiple,
                                          "_not_in": _not_in, "_extra": _extra}  # fmt: skip
        self.names = itertools.count()

    def constant(self, value: Any) -> str:
        name = f"C{next(self.names)}"
        self.constants[name] = value
        return name

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def fail(self, depth: int, keyword: str, path: Where, var: str, expected: str) -> None:
        where = f"({', '.join(path)},)" if path else "()"
        self.emit(depth, f"raise Failure({keyword!r}, {where}, {var}, {expected})")

    def resolve(self, node: Any) -> dict[str, Any]:
        for _ in range(64):
            if not isinstance(node, dict):
                raise Unsupported("a schema that is not an object")
            if "$ref" not in node:
                return node
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise Unsupported(f"$ref {ref!r}")
            target: Any = self.root
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        raise Unsupported("$ref cycle")

    def node(self, node: Any, var: str, path: Where, depth: int, level: int = 0) -> None:
        """Lines that raise Failure when `var` (at `path`, a tuple expression) does not
        conform to `node`, keyword by keyword in the schema's order."""
        if level > 32:
            raise Unsupported("schema nested too deep (a recursive $ref?)")
        node = self.resolve(node)
        known: str | None = None  # the type `var` is known to have once `type` passed
        for keyword, argument in node.items():
            if keyword in ANNOTATIONS:
                continue
            if keyword == "type":
                if not isinstance(argument, str) or argument not in TYPE_TESTS:
                    raise Unsupported(f"type {argument!r}")
                self.emit(depth, f"if not {TYPE_TESTS[argument].format(v=var)}:")
                self.fail(depth + 1, "type", path, var, repr(argument))
                known = "number" if argument == "integer" else argument
                continue
            if keyword == "enum":
                self._enum(argument, var, path, depth)
                continue
            applies = APPLIES_TO.get(keyword)
            if applies is None:
                raise Unsupported(keyword)
            inner = depth
            if known != applies:
                self.emit(depth, f"if {TYPE_TESTS[applies].format(v=var)}:")
                inner = depth + 1
            before = len(self.lines)
            getattr(self, "_" + keyword, self._bound)(node, keyword, var, path, inner, level)
            if len(self.lines) == before and inner > depth:
                self.emit(inner, "pass")

    def _enum(self, enum: Any, var: str, path: Where, depth: int) -> None:
        if not isinstance(enum, list) or not enum:
            raise Unsupported("enum")
        if all(type(value) is str for value in enum):  # the common case: a set lookup
            names = self.constant(frozenset(enum))
            self.emit(depth, f"if not isinstance({var}, str) or {var} not in {names}:")
        else:
            self.emit(depth, f"if _not_in({var}, {self.constant(tuple(enum))}):")
        self.fail(depth + 1, "enum", path, var, self.constant(enum))

    def _required(
        self, node: dict[str, Any], _: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        for name in node["required"]:
            self.emit(depth, f"if {name!r} not in {var}:")
            self.fail(depth + 1, "required", path, var, repr(name))

    def _additionalProperties(
        self, node: dict[str, Any], _: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        allowed = node["additionalProperties"]
        if allowed is True:
            return
        if allowed is not False:
            raise Unsupported("additionalProperties with a schema")
        names = self.constant(frozenset(node.get("properties", {})))
        self.emit(depth, f"if not {var}.keys() <= {names}:")
        self.fail(depth + 1, "additionalProperties", path, var, f"_extra({var}, {names})")

    def _properties(
        self, node: dict[str, Any], _: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        missing = self.constant(object())
        for name, schema in node["properties"].items():
            inner = f"v{next(self.names)}"
            self.emit(depth, f"{inner} = {var}.get({name!r}, {missing})")
            self.emit(depth, f"if {inner} is not {missing}:")
            before = len(self.lines)
            self.node(schema, inner, (*path, repr(name)), depth + 1, level + 1)
            if len(self.lines) == before:
                self.lines.pop()
                self.lines.pop()

    def _items(
        self, node: dict[str, Any], _: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        if not isinstance(node["items"], dict):
            raise Unsupported("items as a list")
        index, item = f"i{next(self.names)}", f"v{next(self.names)}"
        self.emit(depth, f"for {index}, {item} in enumerate({var}):")
        before = len(self.lines)
        self.node(node["items"], item, (*path, index), depth + 1, level + 1)
        if len(self.lines) == before:
            self.lines.pop()

    def _multipleOf(
        self, node: dict[str, Any], _: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        step = node["multipleOf"]
        if type(step) not in (int, float) or step <= 0:
            raise Unsupported(f"multipleOf {step!r}")
        self.emit(depth, f"if _not_multiple({var}, {self.constant(Decimal(repr(step)))}):")
        self.fail(depth + 1, "multipleOf", path, var, repr(step))

    def _bound(
        self, node: dict[str, Any], keyword: str, var: str, path: Where, depth: int, level: int
    ) -> None:
        limit = node[keyword]
        exclusive = {"minimum": "exclusiveMinimum", "maximum": "exclusiveMaximum"}.get(keyword)
        if type(limit) not in (int, float) or (exclusive and node.get(exclusive)):
            raise Unsupported(f"{keyword} {limit!r}")
        self.emit(depth, f"if {BOUNDS[keyword].format(v=var, n=limit)}:")
        self.fail(depth + 1, keyword, path, var, repr(limit))


def compile_schema(schema: dict[str, Any]) -> Callable[[Any], None]:
    """The schema as a function: returns for a valid payload, raises Failure otherwise."""
    compiler = _Compiler(schema)
    compiler.node(schema, "data", (), 1)
    source = "\n".join(["def check(data):", *compiler.lines, "    return None"])
    namespace: dict[str, Any] = dict(compiler.constants)
    exec(compile(source, "<ocpp schema>", "exec"), namespace)
    check: Callable[[Any], None] = namespace["check"]
    return check
