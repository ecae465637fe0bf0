"""The OCPP endpoint under attack: floods of wrong passwords, oversized frames, a station
that sends CALL after CALL without reading the answers, paths that name no station."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from domain.stations.models import ChargingStation
from ocpp_ws.throttle import Limits
from tests import factories
from tests.ocpp_ws.conftest import basic_auth

LIMITS = Limits()
ATTACKER, OTHER_ATTACKER = "127.0.0.2", "127.0.0.3"


async def status(connect, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """101 when the handshake is accepted, else the HTTP status of the refusal."""
    try:
        async with connect(*args, **kwargs):
            return 101
    except InvalidStatus as refusal:
        return int(refusal.response.status_code)


@pytest.fixture
async def protected(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    return await factories.station(world.g1, ocpp_password_hash=station_password_hash)


async def test_wrong_passwords_throttle_their_source_not_the_station(connect, world, protected):  # type: ignore[no-untyped-def]
    slug, identity = world.org.slug, protected.identifier
    answers = [
        await status(connect, slug, identity, password=f"guess-{n}", source=ATTACKER)
        for n in range(LIMITS.per_station_source + 3)
    ]
    assert answers == [401] * LIMITS.per_station_source + [429] * 3
    # Counted before the password is checked: from there even the right one is refused...
    assert await status(connect, slug, identity, source=ATTACKER) == 429
    # ...but the real station, from its own address, is never locked out.
    for _ in range(3):
        assert await status(connect, slug, identity) == 101


async def test_the_throttle_answer_says_when_to_try_again(connect, world, protected):  # type: ignore[no-untyped-def]
    for n in range(LIMITS.per_station_source):
        await status(connect, world.org.slug, protected.identifier, password=f"x{n}")
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(world.org.slug, protected.identifier, password="again"):
            pass
    assert refusal.value.response.status_code == 429
    assert refusal.value.response.headers["Retry-After"] == str(LIMITS.window_seconds)


async def test_a_source_guessing_across_stations_is_throttled(
    connect, world, station_password_hash
):  # type: ignore[no-untyped-def]
    rows = [
        await factories.station(world.g1, ocpp_password_hash=station_password_hash)
        for _ in range(LIMITS.per_source // LIMITS.per_station_source + 1)
    ]
    refused = 0
    for row in rows:
        for n in range(LIMITS.per_station_source):
            answer = await status(
                connect, world.org.slug, row.identifier, password=f"g{n}", source=OTHER_ATTACKER
            )
            refused += answer == 401
    assert refused == LIMITS.per_source
    assert await status(connect, world.org.slug, rows[-1].identifier, source=OTHER_ATTACKER) == 429
    assert await status(connect, world.org.slug, rows[-1].identifier) == 101


async def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(connect, world, protected):  # type: ignore[no-untyped-def]
    guesses = [
        status(connect, world.org.slug, protected.identifier, password=f"p{n}", source=ATTACKER)
        for n in range(40)
    ]
    answers = await asyncio.gather(*guesses)
    assert answers.count(401) == LIMITS.per_station_source
    assert answers.count(429) == 40 - LIMITS.per_station_source


async def test_an_oversized_frame_closes_the_connection_with_1009(connect, world, protected, app):  # type: ignore[no-untyped-def]
    limit = app.state.node.max_frame_bytes
    async with connect(world.org.slug, protected.identifier) as station:
        # A large frame below the limit is still read (and refused by its schema).
        fits = {"vendorId": "com.example", "data": "x" * (limit - 1000)}
        assert (await station.call("DataTransfer", fits))[0] in (3, 4)
        too_big = {"vendorId": "v", "data": "x" * limit}
        await station.send_raw(json.dumps([2, "big", "DataTransfer", too_big]))
        with pytest.raises(ConnectionClosed) as closed:
            await station.receive()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    # The station reconnects at once, and the server goes on serving.
    async with connect(world.org.slug, protected.identifier) as station:
        assert (await station.result("Heartbeat", {}))["currentTime"]


async def test_calls_sent_without_reading_the_answers_are_answered_in_order(
    connect, world, protected, station_password_hash
):  # type: ignore[no-untyped-def]
    """The server reads a station's frames one after the other: a station that sends
    thousands of CALLs without reading holds at most one in progress (the rest wait in
    its socket), and other stations are served meanwhile."""
    other = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    count = 5000
    async with connect(world.org.slug, protected.identifier) as flooder:

        async def flood() -> None:  # blocks once the socket's buffers are full: fine
            for n in range(count):
                await flooder.send_raw(json.dumps([2, f"f{n}", "Heartbeat", {}]))

        sending = asyncio.create_task(flood())
        async with connect(world.org.slug, other.identifier) as neighbour:
            answer = await asyncio.wait_for(neighbour.result("Heartbeat", {}), 5)
            assert answer["currentTime"]
        ids = [(await flooder.receive())[1] for _ in range(count)]
        await sending
        assert ids == [f"f{n}" for n in range(count)]


@pytest.mark.parametrize(
    "path",
    [
        "{org}/..%2F..%2Fgraphql",
        "{org}/a%00b",
        "{org}/St%C3%A4tion",
        "{org}/%E2%80%AEevil",
        "{org}/" + "A" * 65,
        "{org}/ok%20space",
        "..%2F{org}/X1",
        "ORG%00/X1",
        "{org}/X1/extra",
    ],
)
async def test_a_path_that_names_no_station_is_refused_and_stores_nothing(ws_base, world, path):  # type: ignore[no-untyped-def]
    before = await ChargingStation.all().count()
    url = f"{ws_base}/{path.format(org=world.org.slug)}"
    with pytest.raises(InvalidStatus) as refusal:
        async with websockets.connect(
            url,
            subprotocols=[Subprotocol("ocpp1.6")],
            additional_headers=basic_auth("X1", "whatever"),
            open_timeout=10,
        ):
            pass
    assert refusal.value.response.status_code in (403, 404)
    assert await ChargingStation.all().count() == before
