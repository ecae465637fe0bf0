"""Live status over graphql-transport-ws: the changes of stations in your scope, from
whichever node received them."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.ocpp import live
from gql.policy import Policy, still_allowed
from gql.types.live import LiveStatus, LiveStatusKind

ACTION = "station.read"
# Seconds without an event after which the session is checked anyway, so an idle
# subscription ends soon after its session does.
SESSION_CHECK = 60.0


async def _stream(info: strawberry.Info, watch: live.Watch) -> AsyncGenerator[LiveStatus, None]:
    ctx = info.context
    redis = ctx.services.redis
    async for event in live.subscribe(redis, watch.organisation_id, heartbeat=SESSION_CHECK):
        if event is not None and not watch.admits(ctx.actor, event):
            continue  # not for this subscriber: no need to read the session
        await still_allowed(info, ACTION)
        if event is not None and watch.admits(ctx.actor, event):  # the scope, read again
            yield LiveStatus.from_event(event)


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(
        extensions=[Policy(ACTION)],
        description="Status changes of the stations and charging points in your scope, or "
        "of one station (stationId) or one group's subtree (groupId), as they happen; "
        "`kinds` narrows to some kinds of change (default: all)",
    )
    async def live_status(
        self,
        info: strawberry.Info,
        station_id: strawberry.ID | None = None,
        group_id: strawberry.ID | None = None,
        kinds: list[LiveStatusKind] | None = None,  # type: ignore[valid-type]
    ) -> AsyncGenerator[LiveStatus, None]:
        watch = await live.watch(
            principal=info.context.actor,
            station_id=station_id,
            group_id=group_id,
            kinds=None if kinds is None else [live.LiveKind(k) for k in kinds],
        )
        return _stream(info, watch)
