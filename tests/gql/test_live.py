"""Live status (subscription liveStatus over graphql-transport-ws): a real station's
StatusNotification reaches the subscribers whose scope holds the station, and only them.

Order is what proves absence: Redis delivers one channel's messages to a subscriber in
the order they were published, so when a subscriber's first event is the one published
after another station's, that other station's was not sent to it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.asyncio import Redis

from domain.events import live
from domain.operators.models import Operator, OperatorSession, OperatorStatus
from domain.stations.models import ChargingStation
from evcms import live_hub as redis_live
from tests import factories
from tests.conftest import login
from tests.gqlws import graphql_ws, wait_for_subscribers

# Point status only (kinds): the tests of connections subscribe with ALL_KINDS.
LIVE = """subscription($stationId: ID, $groupId: ID, $kinds: [LiveStatusKind!] = [STATUS]) {
  liveStatus(stationId: $stationId, groupId: $groupId, kinds: $kinds) {
    stationId kind pointNumber status errorCode occurredAt } }"""
ALL_KINDS = ["STATUS", "CONNECTED", "DISCONNECTED"]


@pytest.fixture
async def stations(world, station_password_hash) -> dict[str, ChargingStation]:  # type: ignore[no-untyped-def]
    """A station in g1a (alpha's and beta's scope), in g2 (gamma's) and in org B (omega's)."""

    async def make(group: Any) -> ChargingStation:
        return await factories.station(group, points=2, ocpp_password_hash=station_password_hash)

    return {"g1a": await make(world.g1a), "g2": await make(world.g2), "b": await make(world.root_b)}


async def tokens(client, *usernames: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [await login(client, name) for name in usernames]


async def report(connect, org_slug: str, station: ChargingStation, status: str, **extra: Any):  # type: ignore[no-untyped-def]
    """The station connects and sends a StatusNotification for point 1."""
    payload = {"connectorId": 1, "errorCode": "NoError", "status": status, **extra}
    async with connect(org_slug, station.identifier) as ocpp:
        assert await ocpp.result("StatusNotification", payload) == {}


def change(station: ChargingStation, status: str, error: str = "NoError") -> dict[str, Any]:
    return {"stationId": str(station.id), "kind": "STATUS", "pointNumber": 1,
            "status": status, "errorCode": error}  # fmt: skip


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    event = dict(data["liveStatus"])
    assert datetime.fromisoformat(event.pop("occurredAt"))
    return event


async def test_subscribers_in_scope_receive_a_point_status_change(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    alpha, beta = await tokens(client, "alpha", "beta")
    at = "2030-05-06T07:08:09Z"
    async with graphql_ws(server, token=alpha) as admin, graphql_ws(server, token=beta) as basic:
        await admin.subscribe(LIVE)
        await basic.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 2)
        await report(connect, world.org.slug, stations["g1a"], "Charging", timestamp=at)
        for subscriber in (admin, basic):
            data = await subscriber.next_data()
            assert without_time(data) == change(stations["g1a"], "Charging")
            assert data["liveStatus"]["occurredAt"] == "2030-05-06T07:08:09+00:00"
        await admin.send({"id": "op-none", "type": "complete"})  # not an operation: ignored
    # Closing the websockets ends their Redis subscriptions.
    await wait_for_subscribers(redis, live_hub, world.org.id, 0)


async def test_other_organisations_and_other_subtrees_receive_nothing_of_it(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    gamma, omega = await tokens(client, "gamma", "omega")
    async with graphql_ws(server, token=gamma) as g2, graphql_ws(server, token=omega) as other:
        await g2.subscribe(LIVE)
        await other.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await wait_for_subscribers(redis, live_hub, world.org_b.id, 1)
        await report(connect, world.org.slug, stations["g1a"], "Faulted", errorCode="OtherError")
        await report(connect, world.org.slug, stations["g2"], "Preparing")
        await report(connect, world.org_b.slug, stations["b"], "Finishing")
        assert without_time(await g2.next_data()) == change(stations["g2"], "Preparing")
        assert without_time(await other.next_data()) == change(stations["b"], "Finishing")


@pytest.mark.parametrize("way", ["connection_init", "header"])
async def test_bearer_token_in_connection_init_or_in_the_upgrade_header(
    server, client, world, stations, connect, redis, way, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    auth = {"token": alpha} if way == "connection_init" else {"header_token": alpha}
    async with graphql_ws(server, **auth) as admin:
        await admin.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await report(connect, world.org.slug, stations["g2"], "Available")
        assert without_time(await admin.next_data()) == change(stations["g2"], "Available")


UNAUTHENTICATED = {
    "message": "Not authenticated. Log in first.",
    "extensions": {"code": "UNAUTHENTICATED"},
}


def first_error(message: dict[str, Any]) -> dict[str, Any]:
    """The error of an `error` message (the operation did not start)."""
    assert message["type"] == "error", message
    (error,) = message["payload"]
    return {"message": error["message"], "extensions": error.get("extensions")}


@pytest.mark.parametrize(
    "init", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}]
)
async def test_unauthenticated_subscription_is_refused(server, world, redis, init):  # type: ignore[no-untyped-def]
    async with graphql_ws(server, init_payload=init) as anonymous:
        await anonymous.subscribe(LIVE)
        assert first_error(await anonymous.receive()) == UNAUTHENTICATED
    ((_, listening),) = await redis.pubsub_numsub(redis_live.channel(world.org.id))
    assert listening == 0


async def test_an_event_published_by_another_node_arrives(
    server, client, world, stations, settings, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    other_node = Redis.from_url(settings.redis_url)  # as another server process would
    station, at = stations["g1a"], datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)

    def event(kind: live.LiveKind, **fields: Any) -> live.LiveEvent:
        defaults = {"station_id": station.id, "organisation_id": world.org.id,
                    "group_path": world.g1a.path, "kind": kind, "occurred_at": at}  # fmt: skip
        return live.LiveEvent(**{**defaults, **fields})

    try:
        async with graphql_ws(server, token=alpha) as admin:
            await admin.subscribe(LIVE, kinds=ALL_KINDS)
            await wait_for_subscribers(other_node, live_hub, world.org.id, 1)
            status = event(live.LiveKind.STATUS, connector_id=2, status="Faulted",
                           error_code="GroundFailure")  # fmt: skip
            assert await redis_live.publish(other_node, status) == 1
            # A message on A's channel about org B's station is not A's to see.
            stray = event(live.LiveKind.STATUS, station_id=stations["b"].id,
                          organisation_id=world.org_b.id, group_path=world.root_b.path)  # fmt: skip
            await other_node.publish(redis_live.channel(world.org.id), stray.encode())
            await other_node.publish(redis_live.channel(world.org.id), "not json")
            assert await redis_live.publish(other_node, event(live.LiveKind.DISCONNECTED)) == 1
            first, second = await admin.next_data(), await admin.next_data()
    finally:
        await other_node.aclose()
    common = {"stationId": str(station.id), "occurredAt": "2030-01-02T03:04:05+00:00"}
    assert first["liveStatus"] == {**common, "kind": "STATUS", "pointNumber": 2,
                                   "status": "Faulted", "errorCode": "GroundFailure"}  # fmt: skip
    assert second["liveStatus"] == {**common, "kind": "DISCONNECTED", "pointNumber": 0,
                                    "status": "", "errorCode": ""}  # fmt: skip


async def test_narrowed_to_one_station_or_one_group(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    async with graphql_ws(server, token=alpha) as admin:
        one_station = await admin.subscribe(LIVE, stationId=str(stations["g2"].id))
        await admin.subscribe(LIVE, groupId=str(world.g1.id))
        await wait_for_subscribers(redis, live_hub, world.org.id, 2)
        await report(connect, world.org.slug, stations["g1a"], "Charging")
        await report(connect, world.org.slug, stations["g2"], "Charging")
        received = [await admin.receive(), await admin.receive()]
        await admin.send({"id": one_station, "type": "complete"})  # the client stops one
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
    by_operation = {m["id"]: m["payload"]["data"]["liveStatus"]["stationId"] for m in received}
    assert sorted(by_operation.values()) == sorted(
        [str(stations["g1a"].id), str(stations["g2"].id)]
    )
    assert len(by_operation) == 2  # one event each, each to its own operation


async def test_a_station_or_group_out_of_scope_is_like_a_missing_one(
    server, client, world, stations
):  # type: ignore[no-untyped-def]
    (beta,) = await tokens(client, "beta")
    cases = [
        ("stationId", str(stations["g2"].id), "Charging station does not exist."),
        ("stationId", str(stations["b"].id), "Charging station does not exist."),
        ("groupId", str(world.g2.id), "Charging group does not exist."),
        ("groupId", str(world.root.id), "Charging group does not exist."),
        ("groupId", str(world.root_b.id), "Charging group does not exist."),
    ]
    async with graphql_ws(server, token=beta) as basic:
        for argument, foreign, message in cases:
            answers = []
            for value in (foreign, str(uuid.uuid4()), "nonsense"):
                await basic.subscribe(LIVE, **{argument: value})
                answers.append(first_error(await basic.receive()))
            expected = {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}
            assert answers == [expected] * 3, (argument, foreign)


async def ended(subscriber) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The stream's last `next` (its error) followed by `complete`."""
    message = await subscriber.receive()
    assert message["type"] == "next" and message["payload"]["data"] is None, message
    assert (await subscriber.receive())["type"] == "complete"
    (error,) = message["payload"]["errors"]
    return {"message": error["message"], "extensions": error.get("extensions")}


async def test_deactivating_the_operator_ends_the_subscription_at_the_next_event(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    (beta,) = await tokens(client, "beta")
    async with graphql_ws(server, token=beta) as basic:
        await basic.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await report(connect, world.org.slug, stations["g1a"], "Preparing")
        assert without_time(await basic.next_data()) == change(stations["g1a"], "Preparing")
        await Operator.filter(id=world.basic.id).update(status=OperatorStatus.INACTIVE)
        await report(connect, world.org.slug, stations["g1a"], "Charging")
        assert await ended(basic) == UNAUTHENTICATED
        await wait_for_subscribers(redis, live_hub, world.org.id, 0)


async def test_the_two_hour_session_limit_ends_the_subscription(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    (beta,) = await tokens(client, "beta")
    async with graphql_ws(server, token=beta) as basic:
        await basic.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        two_hours = timedelta(hours=2, minutes=1)
        for session in await OperatorSession.filter(operator_id=world.basic.id):
            await OperatorSession.filter(id=session.id).update(
                created_at=session.created_at - two_hours
            )
        await report(connect, world.org.slug, stations["g1a"], "Charging")
        assert await ended(basic) == UNAUTHENTICATED


async def test_queries_over_the_websocket_read_the_session_each_time(server, client, world):  # type: ignore[no-untyped-def]
    (beta,) = await tokens(client, "beta")
    async with graphql_ws(server, token=beta) as basic:
        await basic.subscribe("{ me { username } }")
        assert await basic.next_data() == {"me": {"username": "beta"}}
        assert (await basic.receive())["type"] == "complete"
        await Operator.filter(id=world.basic.id).update(status=OperatorStatus.INACTIVE)
        await basic.subscribe("{ me { username } }")
        message = await basic.receive()
    assert message["type"] == "next"
    assert message["payload"]["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_connections_opening_and_closing_are_streamed(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    async with graphql_ws(server, token=alpha) as admin:
        await admin.subscribe(LIVE, kinds=ALL_KINDS)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await report(connect, world.org.slug, stations["g1a"], "Preparing")
        events = [without_time(await admin.next_data()) for _ in range(3)]
    station = str(stations["g1a"].id)
    connection = {"stationId": station, "pointNumber": 0, "status": "", "errorCode": ""}
    assert events == [
        {**connection, "kind": "CONNECTED"},
        change(stations["g1a"], "Preparing"),
        {**connection, "kind": "DISCONNECTED"},
    ]


async def test_the_stream_goes_on_after_the_servers_redis_subscription_is_cut(
    server, client, world, stations, connect, redis, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    async with graphql_ws(server, token=alpha) as admin:
        await admin.subscribe(LIVE)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await report(connect, world.org.slug, stations["g1a"], "Preparing")
        assert without_time(await admin.next_data()) == change(stations["g1a"], "Preparing")
        # The hub's connection only: CLIENT KILL TYPE pubsub would cut other processes'.
        (hub,) = [c for c in await redis.client_list() if c.get("name") == live_hub.name]
        await redis.execute_command("CLIENT KILL", "ID", hub["id"])

        async def resubscribed() -> None:
            while True:
                now = [c for c in await redis.client_list() if c.get("name") == live_hub.name]
                if now and now[0]["id"] != hub["id"] and live_hub.listening(world.org.id):
                    return
                await asyncio.sleep(0.02)

        await asyncio.wait_for(resubscribed(), 10)
        await wait_for_subscribers(redis, live_hub, world.org.id, 1)
        await report(connect, world.org.slug, stations["g1a"], "Charging")
        assert without_time(await admin.next_data()) == change(stations["g1a"], "Charging")


async def test_a_subscriber_too_slow_for_a_burst_ends_with_a_clear_error(
    server, client, world, stations, settings, redis, live_hub
):  # type: ignore[no-untyped-def]
    (alpha,) = await tokens(client, "alpha")
    station = stations["g1a"]
    burst = [
        live.LiveEvent(station_id=station.id, organisation_id=world.org.id,
                       group_path=world.g1a.path, kind=live.LiveKind.STATUS,
                       occurred_at=datetime.now(UTC), connector_id=1, status=f"s{n}")
        for n in range(20)
    ]  # fmt: skip
    limit, live_hub.limit = live_hub.limit, 1  # a buffer of one event per subscriber
    try:
        async with graphql_ws(server, token=alpha) as admin:
            await admin.subscribe(LIVE)
            await wait_for_subscribers(redis, live_hub, world.org.id, 1)
            async with redis.pipeline(transaction=False) as pipe:  # faster than it reads
                for item in burst:
                    pipe.publish(redis_live.channel(world.org.id), item.encode())
                await pipe.execute()
            while (message := await admin.receive())["payload"].get("data"):
                assert message["type"] == "next"  # what it read before it fell behind
            assert message["type"] == "next"
            (error,) = message["payload"]["errors"]
            assert error["extensions"] == {"code": "SUBSCRIBER_TOO_SLOW"}
            assert error["message"].startswith("Live status events came faster than")
            assert (await admin.receive())["type"] == "complete"
            await wait_for_subscribers(redis, live_hub, world.org.id, 0)
    finally:
        live_hub.limit = limit
