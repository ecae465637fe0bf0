"""The live status hub (evcms.live_hub): one Redis pub/sub connection per process,
shared by every local subscriber, against the real Redis.

Each hub here has a client name of its own, so the tests find and kill exactly its
connection (never another process's), and organisations are fresh UUIDs, so channels are
the test's own even though Redis pub/sub ignores database numbers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from domain.events import live
from evcms import live_hub
from evcms.live_hub import LiveHub, SubscriberTooSlow, Subscription
from tests.gqlws import WAIT

AT = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
async def other(server_urls: tuple[str, str]) -> AsyncIterator[Redis]:
    """A client of the test's own: publishes, and looks at the hub from outside."""
    client = Redis.from_url(server_urls[1])
    yield client
    await client.aclose()


@pytest.fixture
async def make_hub(
    server_urls: tuple[str, str],
) -> AsyncIterator[Callable[..., Awaitable[LiveHub]]]:
    hubs: list[LiveHub] = []

    async def make(**options: Any) -> LiveHub:
        name = f"test-live-hub-{uuid.uuid4().hex[:12]}"
        hub = LiveHub.from_url(server_urls[1], name=name, ready_timeout=WAIT, **options)
        await hub.start()
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        await hub.close()


@pytest.fixture
async def hub(make_hub: Callable[..., Awaitable[LiveHub]]) -> LiveHub:
    return await make_hub()


def event(organisation_id: uuid.UUID, status: str) -> live.LiveEvent:
    return live.LiveEvent(
        station_id=uuid.uuid4(),
        organisation_id=organisation_id,
        group_path="/root/",
        kind=live.LiveKind.STATUS,
        occurred_at=AT,
        connector_id=1,
        status=status,
    )


async def received(events: Subscription) -> live.LiveEvent | None:
    return await asyncio.wait_for(anext(events), WAIT)


async def statuses(events: Subscription, count: int) -> list[str]:
    out = []
    for _ in range(count):
        item = await received(events)
        assert item is not None
        out.append(item.status)
    return out


async def numsub(redis: Redis, organisation_id: uuid.UUID) -> int:
    ((_, listening),) = await redis.pubsub_numsub(live_hub.channel(organisation_id))
    return int(listening)


async def hub_connections(redis: Redis, hub: LiveHub) -> list[dict[str, Any]]:
    """The hub's connections to Redis, as CLIENT LIST shows them."""
    return [c for c in await redis.client_list() if c.get("name") == hub.name]


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async def _wait() -> None:
        while True:
            if await check():
                return
            await asyncio.sleep(0.02)

    await asyncio.wait_for(_wait(), WAIT)


async def test_subscribers_share_one_connection_and_the_last_one_out_unsubscribes(hub, other):  # type: ignore[no-untyped-def]
    org = uuid.uuid4()
    async with contextlib.AsyncExitStack() as stack:
        streams = [await stack.enter_async_context(hub.subscription(org)) for _ in range(3)]
        assert hub.subscribers(org) == 3 and hub.listening(org)
        assert await numsub(other, org) == 1
        (connection,) = await hub_connections(other, hub)
        assert int(connection["sub"]) == 1  # one connection, subscribed to one channel
        assert await live_hub.publish(other, event(org, "Charging")) == 1
        for events in streams:
            assert await statuses(events, 1) == ["Charging"]
        # A subscriber cancelled while it waits (its client went) leaves; the rest stay.
        fourth = asyncio.create_task(listen(hub, org))
        await until(lambda: _is(hub.subscribers(org) == 4))
        fourth.cancel()
        await until(lambda: _is(hub.subscribers(org) == 3))
        assert await numsub(other, org) == 1
        await live_hub.publish(other, event(org, "Finishing"))
        for events in streams:
            assert await statuses(events, 1) == ["Finishing"]
    assert hub.subscribers(org) == 0
    await until(lambda: _numsub_is(other, org, 0))
    assert not hub.listening(org)
    (connection,) = await hub_connections(other, hub)
    assert int(connection["sub"]) == 0  # the connection stays, for the next subscriber


async def listen(hub: LiveHub, organisation_id: uuid.UUID) -> None:
    async with hub.subscription(organisation_id) as events:
        async for _ in events:
            pass


async def _is(value: bool) -> bool:
    return value


async def _numsub_is(redis: Redis, organisation_id: uuid.UUID, count: int) -> bool:
    return await numsub(redis, organisation_id) == count


async def test_each_organisation_receives_only_its_own_events(hub, other):  # type: ignore[no-untyped-def]
    a, b = uuid.uuid4(), uuid.uuid4()
    async with hub.subscription(a) as of_a, hub.subscription(b) as of_b:
        (connection,) = await hub_connections(other, hub)
        assert int(connection["sub"]) == 2  # both channels on the one connection
        await live_hub.publish(other, event(a, "A1"))
        await live_hub.publish(other, event(b, "B1"))
        await other.publish(live_hub.channel(a), "not json")  # skipped, the stream goes on
        await live_hub.publish(other, event(a, "A2"))
        await live_hub.publish(other, event(b, "B2"))
        assert await statuses(of_a, 2) == ["A1", "A2"]
        assert await statuses(of_b, 2) == ["B1", "B2"]


async def test_a_heartbeat_is_a_none_after_that_many_idle_seconds(hub, other):  # type: ignore[no-untyped-def]
    org = uuid.uuid4()
    async with hub.subscription(org, heartbeat=0.05) as events:
        assert await received(events) is None
        assert await received(events) is None
        await live_hub.publish(other, event(org, "Available"))
        assert await statuses(events, 1) == ["Available"]


async def test_after_its_connection_is_killed_the_hub_reconnects_and_resubscribes(
    hub, other, caplog
):  # type: ignore[no-untyped-def]
    a, b, gone = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    caplog.set_level(logging.WARNING, logger="evcms.live.hub")
    async with hub.subscription(a) as of_a, hub.subscription(b) as of_b:
        async with hub.subscription(gone):
            pass  # a channel nobody wants any more is not subscribed again
        await until(lambda: _numsub_is(other, gone, 0))
        (before,) = await hub_connections(other, hub)
        # By id: CLIENT KILL TYPE pubsub would also cut other processes' subscribers.
        assert await other.execute_command("CLIENT KILL", "ID", before["id"]) == 1

        async def back() -> bool:
            now = await hub_connections(other, hub)
            return bool(now) and now[0]["id"] != before["id"] and hub.listening(a)

        await until(back)
        assert hub.reconnects == 1
        (after,) = await hub_connections(other, hub)
        assert int(after["sub"]) == 2
        assert [await numsub(other, org) for org in (a, b, gone)] == [1, 1, 0]
        await live_hub.publish(other, event(a, "after A"))
        await live_hub.publish(other, event(b, "after B"))
        assert await statuses(of_a, 1) == ["after A"]  # the same streams go on
        assert await statuses(of_b, 1) == ["after B"]
    messages = [r.getMessage() for r in caplog.records if r.name == "evcms.live.hub"]
    assert any("lost its Redis connection" in m for m in messages), messages
    assert any("reconnected to Redis; re-subscribed 2 channels" in m for m in messages), messages


async def test_a_slow_subscriber_is_dropped_and_does_not_hold_up_a_fast_one(make_hub, other):  # type: ignore[no-untyped-def]
    hub = await make_hub(limit=3)
    org = uuid.uuid4()
    async with hub.subscription(org) as slow, hub.subscription(org) as fast:
        # The fast one reads each event as it comes; the slow one reads nothing. The
        # fourth unread event is one too many: the slow one is dropped, the fast one
        # goes on getting every event.
        for n in range(10):
            await live_hub.publish(other, event(org, f"e{n}"))
            assert await statuses(fast, 1) == [f"e{n}"]
            assert hub.subscribers(org) == (2 if n < 3 else 1)
        # Its buffer went with it (memory is bounded by `limit`), and its stream ends at
        # once, and clearly, at its next read.
        with pytest.raises(SubscriberTooSlow, match="4 live events behind"):
            await received(slow)
        with pytest.raises(SubscriberTooSlow):
            await received(slow)
        assert await numsub(other, org) == 1  # still wanted by the fast one
    await until(lambda: _numsub_is(other, org, 0))


async def test_a_burst_fills_a_subscriber_up_to_its_limit_and_no_further(make_hub, other):  # type: ignore[no-untyped-def]
    hub = await make_hub(limit=5)
    org = uuid.uuid4()
    async with hub.subscription(org) as events:
        async with other.pipeline(transaction=False) as pipe:  # 5 at once: just fits
            for n in range(5):
                pipe.publish(live_hub.channel(org), event(org, f"e{n}").encode())
            await pipe.execute()
        await until(lambda: _is(events.pending == 5))
        await live_hub.publish(other, event(org, "sixth"))
        await until(lambda: _is(hub.subscribers(org) == 0))  # dropped when it came
        assert events.pending == 0
        with pytest.raises(SubscriberTooSlow, match="6 live events behind"):
            await received(events)


async def test_closing_the_hub_ends_its_streams(make_hub, other):  # type: ignore[no-untyped-def]
    hub = await make_hub()
    org = uuid.uuid4()
    async with hub.subscription(org, heartbeat=WAIT) as events:
        reading = asyncio.create_task(statuses(events, 1))
        await asyncio.sleep(0.05)
        await hub.close()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(reading, WAIT)
    assert await hub_connections(other, hub) == []
    with pytest.raises(RuntimeError):
        async with hub.subscription(org):
            pass


async def test_the_hub_works_over_the_embedded_redis_unix_socket(tmp_path):  # type: ignore[no-untyped-def]
    """The embedded default's Redis listens on a unix socket, where TCP options do not apply."""
    from evcms.embedded import EmbeddedServices

    services = EmbeddedServices(tmp_path / "var")
    await asyncio.to_thread(services.start, postgres=False, redis=True)
    try:
        url = services.redis_url
        assert url is not None and url.startswith("unix://")
        hub = LiveHub.from_url(url, name="evcms-live: unix test")
        publisher = Redis.from_url(url)
        await hub.start()
        try:
            org = uuid.uuid4()
            async with hub.subscription(org) as events:
                await live_hub.publish(publisher, event(org, "Charging"))
                got = await received(events)
            assert got is not None and got.status == "Charging"
        finally:
            await hub.close()
            await publisher.aclose()
    finally:
        await asyncio.to_thread(services.stop)
