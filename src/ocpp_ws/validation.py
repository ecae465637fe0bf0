"""Compiled JSON-schema validation of OCPP-J payloads.

The `ocpp` library validates every payload with a `jsonschema.Draft4Validator` run in a
thread pool (`ocpp.messages.validate_payload`), which caps a server's message rate. This
module validates against the very same schema files, shipped in the `ocpp` package, but
compiles each one once per (version, action, request/response) into Python code with
`fastjsonschema`, and calls it inline.

    validate("1.6", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    validate("1.6", "BootNotification", {...}, response=True)

Payloads are the wire form: camelCase keys, as received in a CALL or sent in a CALLRESULT.
A dataclass from `ocpp.v16.call` / `ocpp.v16.call_result` (snake_case fields) is turned
into the wire form first, exactly as the library's `ChargePoint` does (`to_wire`).

A payload that does not conform raises `ValidationFailure(code, description)`:

* FormationViolation: the payload is not a JSON object; anyOf/oneOf/allOf/not failures.
* TypeConstraintViolation: a field of the wrong JSON type (``"connectorId": "1"``).
* PropertyConstraintViolation: a value outside its constraint (enum, pattern, maxLength,
  minLength, minimum, maximum, multipleOf, format, uniqueItems).
* OccurenceConstraintViolation: a required field missing, a property not allowed
  (additionalProperties), too few or too many items.
* NotImplemented: an action for which the version ships no schema.

The codes are spelled as each version's specification spells them: OCPP-J 1.6 has
"FormationViolation" and "OccurenceConstraintViolation" (typos its errata sheet keeps, see
`ocpp.exceptions.FormationViolationError` / `OccurenceConstraintViolationError`), OCPP 2.0.1
"FormatViolation" and "OccurenceConstraintViolation", OCPP 2.1 "FormatViolation" and
"OccurrenceConstraintViolation". `ValidationFailure.keyword` carries the version-neutral
JSON-schema keyword that failed.

The library itself answers with other codes for the same failures (``required`` ->
ProtocolError, ``additionalProperties`` / ``enum`` / ``pattern`` -> FormatViolation,
``maxLength`` -> TypeConstraintViolation). `ValidationFailure.library_code` is the code
`ocpp.messages.validate_payload` would have raised, so that behaviour can be reproduced or
compared.

Pass or fail is the library's, including its special cases:

* no ``format`` checks (the library's Draft4Validator has no format checker), no defaults
  inserted into the payload;
* Draft 4 types: ``integer`` is an int (not 1.0, not a bool), ``number`` an int or float;
* ``multipleOf: 0.1`` (1.6 SetChargingProfile, RemoteStartTransaction and the
  GetCompositeSchedule response) is checked on the decimal value as written (21.4 passes,
  4.11 fails), which the library gets by re-parsing schema and payload with
  `decimal.Decimal`; we do not rewrite the payload's floats into Decimals.

When several fields are wrong, the failure reported is the one the library reports (the
first error of jsonschema's iteration, in schema order): only for an invalid payload, the
library's validator is asked which error comes first, so the fast path never runs it.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

from ocpp_ws import acceptance

__all__ = [
    "VERSIONS",
    "ValidationFailure",
    "actions",
    "schema",
    "to_wire",
    "validate",
    "validator",
]

#: OCPP versions whose schemas the `ocpp` package ships, and their schema directory.
VERSIONS: Mapping[str, str] = {"1.6": "v16", "2.0.1": "v201", "2.1": "v21"}

FORMATION = "formation"
TYPE = "type"
PROPERTY = "property"
OCCURRENCE = "occurrence"
NOT_IMPLEMENTED = "not_implemented"

# Wire spelling of each error kind per version.
_CODES: Mapping[str, Mapping[str, str]] = {
    "1.6": {
        FORMATION: "FormationViolation",
        TYPE: "TypeConstraintViolation",
        PROPERTY: "PropertyConstraintViolation",
        OCCURRENCE: "OccurenceConstraintViolation",
        NOT_IMPLEMENTED: "NotImplemented",
    },
    "2.0.1": {
        FORMATION: "FormatViolation",
        TYPE: "TypeConstraintViolation",
        PROPERTY: "PropertyConstraintViolation",
        OCCURRENCE: "OccurenceConstraintViolation",
        NOT_IMPLEMENTED: "NotImplemented",
    },
    "2.1": {
        FORMATION: "FormatViolation",
        TYPE: "TypeConstraintViolation",
        PROPERTY: "PropertyConstraintViolation",
        OCCURRENCE: "OccurrenceConstraintViolation",
        NOT_IMPLEMENTED: "NotImplemented",
    },
}

_KIND_BY_KEYWORD: Mapping[str, str] = {
    "type": TYPE,
    "required": OCCURRENCE,
    "additionalProperties": OCCURRENCE,
    "minItems": OCCURRENCE,
    "maxItems": OCCURRENCE,
    "minProperties": OCCURRENCE,
    "maxProperties": OCCURRENCE,
    "dependencies": OCCURRENCE,
    "enum": PROPERTY,
    "pattern": PROPERTY,
    "maxLength": PROPERTY,
    "minLength": PROPERTY,
    "minimum": PROPERTY,
    "maximum": PROPERTY,
    "exclusiveMinimum": PROPERTY,
    "exclusiveMaximum": PROPERTY,
    "multipleOf": PROPERTY,
    "format": PROPERTY,
    "uniqueItems": PROPERTY,
}

# `ocpp.messages._validate_payload`'s mapping, keyword -> code; anything else is
# FormatViolation there.
_LIBRARY_CODES: Mapping[str, str] = {
    "type": "TypeConstraintViolation",
    "additionalProperties": "FormatViolation",
    "required": "ProtocolError",
    "maxLength": "TypeConstraintViolation",
}

# Schemas the library parses with parse_float=Decimal: (version, action, response).
_DECIMAL_SCHEMAS = frozenset(
    {
        ("1.6", "SetChargingProfile", False),
        ("1.6", "RemoteStartTransaction", False),
        ("1.6", "GetCompositeSchedule", True),
    }
)


class ValidationFailure(Exception):
    """A payload that does not conform to its OCPP schema.

    `code` is the OCPP-J CallError code for the version, `description` a human text for
    the CallError's errorDescription, `keyword` the JSON-schema keyword that failed (or
    "action" for an unknown action), `path` the location in the payload ("$" is the
    payload itself, "$.meterValue[0].timestamp" a field), and `library_code` the code the
    `ocpp` library would have raised.
    """

    def __init__(
        self,
        code: str,
        description: str,
        *,
        keyword: str = "",
        path: str = "$",
        library_code: str = "",
    ) -> None:
        super().__init__(code, description)
        self.code = code
        self.description = description
        self.keyword = keyword
        self.path = path
        self.library_code = library_code or code

    def __str__(self) -> str:
        return f"{self.code}: {self.description}"


def _check_version(version: str) -> str:
    try:
        return VERSIONS[version]
    except KeyError:
        raise ValueError(f"unsupported OCPP version {version!r}") from None


def _schema_name(version: str, action: str, response: bool) -> str:
    if response:
        return action + "Response"
    return action if version == "1.6" else action + "Request"


@cache
def _schema_names(version: str) -> frozenset[str]:
    folder = resources.files("ocpp").joinpath(_check_version(version), "schemas")
    return frozenset(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


@cache
def _actions(version: str) -> frozenset[str]:
    names = _schema_names(version)
    return frozenset(
        action
        for action in (name.removesuffix("Response") for name in names if name.endswith("Response"))
        if _schema_name(version, action, False) in names
    )


def actions(version: str) -> list[str]:
    """The actions for which `version` has both a request and a response schema."""
    return sorted(_actions(version))


def _known(version: str, action: str) -> bool:
    # Only names out of the package's own schema list ever reach the file system.
    return isinstance(action, str) and action in _actions(version)


def _not_implemented(version: str, action: object) -> ValidationFailure:
    code = _CODES[version][NOT_IMPLEMENTED]
    return ValidationFailure(
        code,
        f"Action {str(action)[:64]!r} is not known by receiver (OCPP {version})",
        keyword="action",
        library_code="NotImplemented",
    )


@cache
def _schema_text(version: str, action: str, response: bool) -> str:
    path = resources.files("ocpp").joinpath(
        _check_version(version), "schemas", _schema_name(version, action, response) + ".json"
    )
    # The 2.0 schemas start with a byte order mark.
    return path.read_bytes().decode("utf-8-sig")


def schema(version: str, action: str, *, response: bool = False) -> dict[str, Any]:
    """A fresh copy of the schema the `ocpp` package ships for this message."""
    if not _known(version, action):
        raise _not_implemented(version, action)
    loaded: dict[str, Any] = json.loads(_schema_text(version, action, response))
    return loaded


@cache
def validator(version: str, action: str, response: bool = False) -> Callable[[Any], Any]:
    """The compiled validation function for one message (compiled once, then cached)."""
    definition = schema(version, action, response=response)
    # The 2.x schemas identify themselves with a URN fastjsonschema cannot fetch; their
    # $refs are all local ("#/definitions/..."), so the id is not needed.
    definition.pop("$id", None)
    definition.pop("id", None)
    return _compile(definition)


def _compile(definition: dict[str, Any]) -> Callable[[Any], Any]:
    """`fastjsonschema.compile(definition, use_default=False, use_formats=False)`, with
    string enums tested by set membership (see `_set_enums`)."""
    from fastjsonschema import _get_code_generator_class
    from fastjsonschema.ref_resolver import RefResolver

    resolver = RefResolver.from_schema(definition, handlers={}, store={})
    base: Any = _get_code_generator_class(definition)
    generator = _set_enums(base)(
        definition, resolver=resolver, use_default=False, use_formats=False
    )
    state = generator.global_state
    exec(generator.func_code, state)
    function: Callable[[Any], Any] = state[resolver.get_scope_name()]
    return function


@cache
def _set_enums(base: Any) -> Any:
    """The code generator `base`, testing an enum of strings as `value in {...}`: its own
    code compares the value with each name in turn (22 for a measurand), which made enums
    most of the cost of a MeterValues. Same outcome: a str equal to one of the names."""

    class SetEnums(base):
        def generate_enum(self) -> None:
            enum = self._definition["enum"]
            if not (isinstance(enum, list | tuple) and enum and all(type(v) is str for v in enum)):
                super().generate_enum()
                return
            names = "{" + ", ".join(repr(v) for v in enum) + "}"  # a constant frozenset
            with self.l("if not (isinstance({variable}, str) and {variable} in {}):", names):
                self.exc("{name} must be one of {}", self.e(enum), rule="enum")

    return SetEnums


@cache
def _explainer(version: str, action: str, response: bool) -> Any:
    """The library's own Draft4Validator for this schema, used only to explain failures."""
    from jsonschema import Draft4Validator

    parse_float: Callable[[str], Any] = float
    if (version, action, response) in _DECIMAL_SCHEMAS:
        parse_float = decimal.Decimal
    return Draft4Validator(
        json.loads(_schema_text(version, action, response), parse_float=parse_float)
    )


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _failure(
    version: str,
    action: str,
    response: bool,
    payload: Any,
    fast_error: fastjsonschema.JsonSchemaValueException,
) -> ValidationFailure:
    keyword = fast_error.rule or ""
    parts: list[Any] = list(fast_error.path or [])[1:]  # path[0] is "data"
    message = fast_error.message
    try:
        instance = payload
        if (version, action, response) in _DECIMAL_SCHEMAS:
            instance = json.loads(json.dumps(payload), parse_float=decimal.Decimal)
        first = next(iter(_explainer(version, action, response).iter_errors(instance)), None)
    except (TypeError, ValueError):  # pragma: no cover - not JSON-serialisable payload
        first = None
    if first is not None:
        keyword = str(first.validator)
        parts = list(first.absolute_path)
        message = first.message
    path = _json_path(parts)
    if keyword == "type" and not parts:
        kind = FORMATION
        description = f"{action} payload must be a JSON object"
    else:
        kind = _KIND_BY_KEYWORD.get(keyword, FORMATION)
        description = f"{action}: {path}: {message}" if parts else f"{action}: {message}"
    return ValidationFailure(
        _CODES[version][kind],
        description[:500],
        keyword=keyword,
        path=path,
        library_code=_LIBRARY_CODES.get(keyword, "FormatViolation"),
    )


def to_wire(payload: Any) -> Any:
    """A payload in wire form: dataclasses from `ocpp.v16.call(_result)` become camelCase
    dicts without the unset (None) fields, as `ocpp.charge_point.ChargePoint` sends them;
    anything else is returned as is."""
    if dataclasses.is_dataclass(payload) and not isinstance(payload, type):
        from ocpp.charge_point import remove_nones, serialize_as_dict, snake_to_camel_case

        return remove_nones(snake_to_camel_case(serialize_as_dict(payload)))
    return payload


def validate(version: str, action: str, payload: Any, *, response: bool = False) -> None:
    """Validate one payload (a CALL's, or with `response=True` a CALLRESULT's) against the
    schema of `action` in OCPP `version` ("1.6", "2.0.1" or "2.1").

    Raises `ValidationFailure` when it does not conform, `ValueError` for an unsupported
    version. The payload is never modified.
    """
    try:
        check = validator(version, action, response)
    except TypeError:  # an unhashable action
        raise _not_implemented(_version_or_raise(version), action) from None
    except ValidationFailure:
        raise
    payload = to_wire(payload)
    accept = _acceptor(version, action, response)
    if accept is not None and accept(payload):
        return  # valid: the quick predicate is never more lenient than the schema
    try:
        check(payload)
    except fastjsonschema.JsonSchemaValueException as e:
        raise _failure(version, action, response, payload, e) from None


@cache
def _acceptor(version: str, action: str, response: bool) -> Callable[[Any], bool] | None:
    """The quick yes for valid payloads of this message (see ocpp_ws.acceptance), if any."""
    if (version, action, response) in _DECIMAL_SCHEMAS:
        return None  # the library reads these payloads' floats as Decimals
    return acceptance.predicate(schema(version, action, response=response))


def _version_or_raise(version: str) -> str:
    _check_version(version)
    return version
