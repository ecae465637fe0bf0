"""Small helpers for the row chores every area repeats: find a row of a scoped query by a
client's id, require it (or answer "not found" on a field), lock it for an update, check and
bump its version, and page through a list sorted as the client asked.

Plain functions over Tortoise query sets; the query passed in carries the scope (for example
`scope.visible_stations(principal)`), so a row out of scope is found like a missing one.
Callers own the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar

from tortoise.expressions import F
from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import CONFLICT, NotFound
from domain.pagination import Page, PageRequest, paginate
from domain.scope import parse_id

M = TypeVar("M", bound=Model)


async def find(query: QuerySet[M], row_id: str | uuid.UUID | None) -> M | None:
    """The row of `query` with id `row_id`; None when there is none or the id is malformed."""
    rid = parse_id(row_id)
    return None if rid is None else await query.get_or_none(id=rid)


async def require(
    query: QuerySet[M], row_id: str | uuid.UUID | None, *, message: str, field: str | None
) -> M:
    """The row of `query` with id `row_id`, or NotFound with `message` on `field`."""
    row = await find(query, row_id)
    if row is None:
        raise NotFound(message, field)
    return row


async def lock(
    query: QuerySet[M], row_id: str | uuid.UUID | None, *, message: str, field: str | None
) -> M:
    """Like `require`, then the row again, locked (FOR UPDATE) in the caller's transaction.
    Two statements, so that the lock takes the row only, not the rows the scope joins."""
    found = await require(query, row_id, message=message, field=field)
    return await type(found).select_for_update().get(id=found.pk)


def check_version(row: Any, expected: int | None, field: str = "version") -> None:
    """Refuse a change made against another version of `row` (None: the client sent none)."""
    if expected is not None and expected != row.version:
        raise CONFLICT.error(field)


async def bump(row: Any, *fields: str) -> None:
    """Save `row` with its version raised by one: only `fields` (and the version) when given,
    else every field."""
    row.version += 1
    if fields:
        await row.save(update_fields=[*fields, "version"])
    else:
        await row.save()


async def bump_all(query: QuerySet[M], **changes: Any) -> int:
    """Update every row of `query` with `changes` and raise each one's version; the count."""
    return await query.update(version=F("version") + 1, **changes)


def ordering(
    sort: Enum | Sequence[str], *, descending: bool, then: Sequence[str] = ("id",)
) -> list[str]:
    """Order-by terms: the sort's column (`sort.value`, or the given columns), descending when
    asked, then the tie-breakers `then` as they are."""
    columns = [sort.value] if isinstance(sort, Enum) else list(sort)
    return [*(f"-{c}" if descending else c for c in columns), *then]


async def sorted_page(
    query: QuerySet[M],
    page: PageRequest,
    sort: Enum | Sequence[str],
    *,
    descending: bool,
    then: Sequence[str] = ("id",),
) -> Page[M]:
    """A page of `query` (already filtered) in the order of `ordering`, with the total."""
    return await paginate(query, page, ordering(sort, descending=descending, then=then))
