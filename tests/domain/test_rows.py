"""The row helpers' pure parts: how a sort becomes order-by terms, and the version check."""

from __future__ import annotations

from enum import Enum
from types import SimpleNamespace

import pytest

from domain import rows
from domain.errors import CONFLICT, DomainError, ErrorCode


class Sort(Enum):
    NAME = "name"
    CREATED_AT = "created_at"


def test_ordering_of_a_sort_enum() -> None:
    assert rows.ordering(Sort.NAME, descending=False) == ["name", "id"]
    assert rows.ordering(Sort.CREATED_AT, descending=True) == ["-created_at", "id"]


def test_ordering_of_columns_with_tie_breakers() -> None:
    terms = rows.ordering(["status", "occurred_at"], descending=True, then=("name", "id"))
    assert terms == ["-status", "-occurred_at", "name", "id"]


def test_check_version() -> None:
    row = SimpleNamespace(version=3)
    rows.check_version(row, None)
    rows.check_version(row, 3)
    with pytest.raises(DomainError) as raised:
        rows.check_version(row, 2)
    assert (raised.value.code, raised.value.message, raised.value.field) == (
        ErrorCode.CONFLICT,
        CONFLICT,
        "version",
    )
