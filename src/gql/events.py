"""The station event feed: parse, call one service, map."""

from __future__ import annotations

from datetime import date

import strawberry

from domain.events import feed as events
from gql.policy import Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.events import StationEventFeed, StationEventSort


@strawberry.type
class EventQuery:
    @strawberry.field(
        extensions=[Policy("station.read")],
        description="One day of a station's events (default: today in the organisation's "
        "time zone); search matches info, vendor error code, status and error type",
    )
    async def station_events(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID,
        day: date | None = None,
        error_code: str | None = None,
        status: str | None = None,
        search: str | None = None,
        sort: StationEventSort | None = None,
        page: PageInput | None = None,
    ) -> StationEventFeed | None:
        sort = sort or StationEventSort()
        found = await events.station_events(
            principal=info.context.actor,
            station_id=station_id,
            filter=events.EventFilter(
                day=day,
                error_code=error_code,
                status=status,
                search=search,
                sort=sort.field,
                descending=sort.direction == SortDirection.DESC,
            ),
            page=page_of(page),
        )
        return StationEventFeed.from_domain(found)
