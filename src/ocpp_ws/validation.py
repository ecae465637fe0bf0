"""Validation of OCPP-J payloads against the schemas the `ocpp` package ships, with the
OCPP-J error code each failure gets. One engine (`ocpp_ws.schemas`) compiles each schema
once per (version, action, request/response) into Python code and reports the first
violation as the library's jsonschema validation would.

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

Pass or fail is the library's (no ``format`` checks, Draft 4 types, ``multipleOf: 0.1``
judged on the decimal value as written: see `ocpp_ws.schemas`), and when several fields are
wrong the failure reported is the first one the library's validator would report.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from ocpp_ws.schemas import Failure, compile_schema

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
def validator(version: str, action: str, response: bool = False) -> Callable[[Any], None]:
    """The compiled check of one message (compiled once, then cached)."""
    return compile_schema(schema(version, action, response=response))


def _json_path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _failure(version: str, action: str, failed: Failure) -> ValidationFailure:
    path = _json_path(failed.path)
    if failed.keyword == "type" and not failed.path:
        kind = FORMATION
        description = f"{action} payload must be a JSON object"
    else:
        kind = _KIND_BY_KEYWORD.get(failed.keyword, FORMATION)
        where = f"{path}: " if failed.path else ""
        description = f"{action}: {where}{failed.message}"
    return ValidationFailure(
        _CODES[version][kind],
        description[:500],
        keyword=failed.keyword,
        path=path,
        library_code=_LIBRARY_CODES.get(failed.keyword, "FormatViolation"),
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
    try:
        check(to_wire(payload))
    except Failure as failed:
        raise _failure(version, action, failed) from None


def _version_or_raise(version: str) -> str:
    _check_version(version)
    return version
