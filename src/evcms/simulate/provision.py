"""Get an organisation ready for simulated stations over the GraphQL API, as an operator
would: log in, create the stations that are missing (adopting discovered ones) with their
charging points, set a new OCPP password on each, and create a charging user holding the
token the stations charge with, allowed at the operator's base group."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

CONCURRENCY = 8  # mutations in flight (each password costs the server a hash)

LOGIN = """mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { token errors { code message } } }"""
ME = "{ me { username baseGroup { id } } }"
STATIONS = """query($s: String, $o: Int!) {
  chargingStations(search: $s, page: {offset: $o, limit: 100}) {
    totalCount items { id identifier points { number } } } }"""
DISCOVERED = """query($s: String) { discoveredStations(search: $s, page: {limit: 100}) {
  items { id identifier } } }"""
CREATE_STATION = """mutation($name: String!, $identifier: String!) {
  createChargingStation(input: {name: $name, identifier: $identifier}) {
    station { id identifier points { number } } errors { code field message } } }"""
ADOPT = """mutation($id: ID!) { adoptStation(input: {id: $id}) {
  station { id identifier points { number } } errors { code field message } } }"""
ADD_POINT = """mutation($id: ID!, $n: Int!) {
  addChargingPoint(input: {stationId: $id, number: $n}) {
    point { number } errors { code field message } } }"""
SET_PASSWORD = """mutation($id: ID!) { setStationPassword(id: $id) {
  password errors { code field message } } }"""
USERS = """query($s: String!) { chargingUsers(search: $s, page: {limit: 10}) {
  items { id email tokens { uid } } } }"""
CREATE_USER = """mutation($input: CreateChargingUserInput!) { createChargingUser(input: $input) {
  user { id } errors { code field message } } }"""
ADD_TOKEN = """mutation($id: ID!, $uid: String!) { addToken(input: {userId: $id, uid: $uid}) {
  token { uid } errors { code field message } } }"""
ACCESS = """query($uid: String!, $id: ID!) { accessCheck(tokenUid: $uid, stationId: $id) {
  authorization { status explanation } } }"""


class ProvisioningError(Exception):
    """The server refused a step; the message says which and why."""


@dataclass(frozen=True)
class Provisioned:
    passwords: dict[str, str]  # identifier -> its new OCPP password
    created: int  # stations created or adopted now
    token_authorized: bool  # whether the token may charge at the first station
    explanation: str = ""


class Api:
    """GraphQL over HTTP with one operator's session."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token: str | None = None

    async def __call__(self, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        try:
            body = response.json()
        except ValueError:
            raise ProvisioningError(f"{response.status_code} from {response.url}") from None
        if body.get("errors"):
            raise ProvisioningError("; ".join(e.get("message", "?") for e in body["errors"]))
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, query: str, **variables: Any) -> dict[str, Any]:
        """A mutation's payload; its user errors raise ProvisioningError."""
        data = await self(query, **variables)
        payload: dict[str, Any] = next(iter(data.values()))
        if payload["errors"]:
            raise ProvisioningError("; ".join(e["message"] for e in payload["errors"]))
        return payload


async def provision(
    base_url: str,
    *,
    username: str,
    password: str,
    identifiers: list[str],
    connectors: int,
    id_tag: str,
    say: Callable[[str], None] = print,
) -> Provisioned:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        api = Api(client)
        login = (await api(LOGIN, u=username, p=password))["login"]
        if not login["token"]:
            raise ProvisioningError(f"login as {username}: {login['errors'][0]['message']}")
        api.token = login["token"]
        me = (await api(ME))["me"]
        stations = await _existing(api, identifiers)
        missing = [i for i in identifiers if i not in stations]
        if missing:
            say(f"creating {len(missing)} station(s) ...")
            discovered = await _discovered(api, identifiers)
            made = await _gather(
                [_create(api, identifier, discovered.get(identifier)) for identifier in missing]
            )
            stations.update({s["identifier"]: s for s in made})
        await _gather(
            [_points(api, stations[identifier], connectors) for identifier in identifiers]
        )
        say(f"setting the OCPP password of {len(identifiers)} stations ...")
        passwords = await _gather(
            [api.mutate(SET_PASSWORD, id=stations[identifier]["id"]) for identifier in identifiers]
        )
        await _driver(api, id_tag, me["baseGroup"]["id"] if me["baseGroup"] else None)
        access = await api(ACCESS, uid=id_tag, id=stations[identifiers[0]]["id"])
        decision = access["accessCheck"]["authorization"]
        return Provisioned(
            passwords={i: p["password"] for i, p in zip(identifiers, passwords, strict=True)},
            created=len(missing),
            token_authorized=decision["status"] == "ACCEPTED",
            explanation=decision["explanation"],
        )


async def _gather(calls: list[Any]) -> list[Any]:
    """Run the calls, at most CONCURRENCY at a time, in order."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(call: Any) -> Any:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


def _common_prefix(identifiers: list[str]) -> str:
    first, last = min(identifiers), max(identifiers)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


async def _existing(api: Api, identifiers: list[str]) -> dict[str, dict[str, Any]]:
    wanted, found, offset = set(identifiers), {}, 0
    search = _common_prefix(identifiers) or None
    while True:
        page = (await api(STATIONS, s=search, o=offset))["chargingStations"]
        found.update({s["identifier"]: s for s in page["items"] if s["identifier"] in wanted})
        offset += len(page["items"])
        if not page["items"] or offset >= page["totalCount"]:
            return found


async def _discovered(api: Api, identifiers: list[str]) -> dict[str, str]:
    page = (await api(DISCOVERED, s=_common_prefix(identifiers) or None))["discoveredStations"]
    return {s["identifier"]: s["id"] for s in page["items"]}


async def _create(api: Api, identifier: str, discovered_id: str | None) -> dict[str, Any]:
    if discovered_id is not None:  # it connected before anyone created it: adopt it
        station: dict[str, Any] = (await api.mutate(ADOPT, id=discovered_id))["station"]
    else:
        created = await api.mutate(CREATE_STATION, name=identifier, identifier=identifier)
        station = created["station"]
    return station


async def _points(api: Api, station: dict[str, Any], connectors: int) -> None:
    have = {p["number"] for p in station["points"]}
    for number in range(1, connectors + 1):
        if number not in have:
            await api.mutate(ADD_POINT, id=station["id"], n=number)


def driver_email(id_tag: str) -> str:
    safe = "".join(c if c.isalnum() else "-" for c in id_tag.lower()).strip("-") or "token"
    return f"simulated-driver-{safe}@example.com"


async def _driver(api: Api, id_tag: str, group_id: str | None) -> None:
    """A charging user with the token, allowed at the operator's base group."""
    email = driver_email(id_tag)
    users = (await api(USERS, s=email))["chargingUsers"]["items"]
    user = next((u for u in users if u["email"] == email), None)
    if user is None:
        await api.mutate(
            CREATE_USER,
            input={
                "email": email,
                "firstName": "Simulated",
                "lastName": "Driver",
                "accessGroupIds": [group_id] if group_id else [],
                "tokens": [{"uid": id_tag, "name": "simulator"}],
            },
        )
    elif id_tag.lower() not in {t["uid"].lower() for t in user["tokens"]}:
        await api.mutate(ADD_TOKEN, id=user["id"], uid=id_tag)
