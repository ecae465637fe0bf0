"""Live status over graphql-transport-ws: the changes of stations in your scope, from
whichever node received them."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from domain.events import live
from gql.errors import ClientError
from gql.policy import Policy, still_allowed
from gql.types.live import LiveStatus, LiveStatusKind

ACTION = "station.read"
# Seconds without an event after which the session is checked anyway, so an idle
# subscription ends soon after its session does.
SESSION_CHECK = 60.0


class TooSlow(ClientError):
    """The stream ended because its client read too slowly to keep up with it."""

    code = "SUBSCRIBER_TOO_SLOW"

    def __init__(self) -> None:
        super().__init__(
            "Live status events came faster than this subscription read them; "
            "it ended. Subscribe again and read the current status."
        )


async def _stream(info: strawberry.Info, watch: live.Watch) -> AsyncGenerator[LiveStatus, None]:
    ctx = info.context
    hub = ctx.services.live
    async with hub.subscription(watch.organisation_id, heartbeat=SESSION_CHECK) as events:
        try:
            async for event in events:
                if event is not None and not watch.admits(ctx.actor, event):
                    continue  # not for this subscriber: no need to read the session
                await still_allowed(info, ACTION)
                if event is not None and watch.admits(ctx.actor, event):  # the scope, again
                    yield LiveStatus.from_event(event)
        except live.SubscriberTooSlow:
            raise TooSlow() from None


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
