from __future__ import annotations

from enum import Enum

import strawberry

from domain.pagination import PageRequest


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="Offset pagination; limit is at most 100")
class PageInput:
    offset: int = 0
    limit: int = 25

    def to_domain(self) -> PageRequest:
        return PageRequest(offset=self.offset, limit=self.limit)


def page_of(page: PageInput | None) -> PageRequest:
    return (page or PageInput()).to_domain()
