"""One message catalogue: every user-facing message is defined once, in domain/errors.py, with
its code, and seed 003's table of error messages is there whole."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from domain import errors
from domain.errors import DomainError, ErrorCode, Message, NotFound

SRC = Path(__file__).resolve().parents[2] / "src"
CATALOGUE = SRC / "domain" / "errors.py"
LAYERS = ("domain", "tenancy", "gql")

# Seed 003, "Error messages": the table's first column, as the seed spells it.
SEED_003 = [
    "Error #XX encountered. If this error persists, please consult user manual for further "
    "actions.",
    "Operator with given email does not exist.",
    "Invalid charging station identifier.",
    "Identifier contains forbidden characters.",
    "Charging station already exists for that identifier.",
    "Charging point configuration error.",
    "Token already exists.",
    "Remote command execution failed.",
    "Operator is inactive.",
    "Operator is not active.",
    "Access denied.",
    "Wrong credentials.",
    "Error while updating operator.",
    "Adding a new charging user failed.",
    "Charging user updating failed.",
    "Adding a new group failed. Parent group is required.",
    "Charging station deletion failed.",
    "Charging station does not exist.",
    "Username already exists.",
    "Password does not conform to password policy.",
    "Problem with email address.",
    "Operator not found.",
    "Operator access forbidden.",
    "Charging user not found.",
    "Operator invitation failed.",
]


def _catalogue() -> dict[str, Message]:
    return {name: v for name, v in vars(errors).items() if isinstance(v, Message)}


def _pattern(text: str) -> re.Pattern[str]:
    """A template's text as a pattern: each {placeholder} stands for some text."""
    parts = re.split(r"\{[^}]*\}", text)
    return re.compile(".+".join(re.escape(p) for p in parts) + r"\Z")


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _modules() -> list[Path]:
    paths = [p for layer in LAYERS for p in (SRC / layer).rglob("*.py")]
    return sorted(p for p in paths if p != CATALOGUE and "migrations" not in p.parts)


def test_no_message_text_is_defined_twice() -> None:
    texts: dict[str, str] = {}
    for name, message in _catalogue().items():
        assert str(message) not in texts, f"{name} repeats {texts[str(message)]}: {message!r}"
        texts[str(message)] = name


def test_every_message_has_a_code_or_is_marked_as_not_a_user_error() -> None:
    for name, message in _catalogue().items():
        assert message.code is None or isinstance(message.code, ErrorCode), name


def test_every_seed_003_message_is_in_the_catalogue() -> None:
    texts = [str(m) for m in _catalogue().values()]
    for seed in SEED_003:
        if seed.startswith("Error #XX"):
            assert _pattern(str(errors.SYSTEM_ERROR)).match(seed.replace("#XX", "#1A2B3C4D"))
        else:
            assert seed in texts, seed


def test_no_module_spells_a_catalogued_message_itself() -> None:
    texts = {str(m): name for name, m in _catalogue().items()}
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        docs = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docs and node.value in texts:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {texts[node.value]}")
    assert found == []


def _message_argument(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else None
    if name == "DomainError" and len(call.args) >= 2:
        return call.args[1]
    if name == "NotFound" and call.args:
        return call.args[0]
    return None


def test_user_errors_take_their_message_from_the_catalogue() -> None:
    """A DomainError or NotFound written with a literal message (or an f-string) instead of a
    catalogue entry is a message outside the catalogue."""
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                message = _message_argument(node)
                if isinstance(message, ast.Constant | ast.JoinedStr):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert found == []


def test_the_check_finds_a_literal_message() -> None:
    call = ast.parse('DomainError(ErrorCode.INVALID_INPUT, "Give a number.", "x")').body[0]
    assert isinstance(call, ast.Expr) and isinstance(call.value, ast.Call)
    assert isinstance(_message_argument(call.value), ast.Constant)


def test_a_message_makes_its_error() -> None:
    missing = errors.STATION_NOT_FOUND.error("id")
    assert isinstance(missing, NotFound)
    assert (missing.code, missing.message, missing.field) == (
        ErrorCode.NOT_FOUND,
        "Charging station does not exist.",
        "id",
    )
    long = errors.TEXT_TOO_LONG.error("name", label="Name", max_length=100)
    assert isinstance(long, DomainError) and long.code is ErrorCode.TOO_LONG
    assert long.message == "Name is longer than 100 characters."
    assert type(long.message) is str
    assert errors.CONFLICT == "Someone else changed this in the meantime. Reload and try again."
