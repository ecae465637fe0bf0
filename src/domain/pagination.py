"""Offset pagination shared by every list: a page of rows and the total count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from domain.errors import LIMIT_RANGE, OFFSET_NEGATIVE

T = TypeVar("T", bound=Model)

MAX_PAGE_SIZE = 100


@dataclass
class Page(Generic[T]):
    items: list[T]
    total_count: int
    offset: int
    limit: int


@dataclass(frozen=True)
class PageRequest:
    offset: int = 0
    limit: int = 25

    def check(self) -> PageRequest:
        if self.offset < 0:
            raise OFFSET_NEGATIVE.error("offset")
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise LIMIT_RANGE.error("limit", max_page_size=MAX_PAGE_SIZE)
        return self


async def paginate(query: QuerySet[T], page: PageRequest, order_by: list[str]) -> Page[T]:
    page.check()
    total = await query.count()
    items = await query.order_by(*order_by).offset(page.offset).limit(page.limit)
    return Page(items=list(items), total_count=total, offset=page.offset, limit=page.limit)
