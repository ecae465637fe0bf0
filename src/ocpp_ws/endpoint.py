"""The OCPP-J websocket endpoint `/ocpp/{organisation}/{identifier}`: subprotocol choice,
HTTP Basic auth (security profile 1), then the version's ChargePoint until the socket ends."""

from __future__ import annotations

import base64
import binascii
import logging

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from tortoise.transactions import in_transaction

from domain.events.connection import Admission, admit
from ocpp_ws import v16
from ocpp_ws.node import Node

log = logging.getLogger("evcms.ocpp")

DENIALS = {
    Admission.UNAUTHORIZED: (401, "Unauthorized"),
    Admission.FORBIDDEN: (403, "Forbidden"),
    Admission.NOT_FOUND: (404, "Not Found"),
}


class StarletteConnection:
    """What the `ocpp` library needs of a connection: `recv()` and `send()` of text frames.

    Once accepted, frames go straight through the ASGI callables: the state checks of
    Starlette's WebSocket methods cost about a tenth of a MeterValues' handling."""

    def __init__(self, websocket: WebSocket) -> None:
        self._receive = websocket._receive
        self._send = websocket._send

    async def recv(self) -> str:
        message = await self._receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is None:  # a binary frame is not OCPP-J: let the library discard it
            return (message.get("bytes") or b"").decode("utf-8", "replace")
        return str(text)

    async def send(self, message: str) -> None:
        try:
            await self._send({"type": "websocket.send", "text": message})
        except OSError:  # as Starlette's send_text reports a closed socket
            raise WebSocketDisconnect(code=1006) from None


def basic_credentials(websocket: WebSocket) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic` header, or None."""
    scheme, _, encoded = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


async def deny(websocket: WebSocket, status: int, text: str) -> None:
    """Refuse the handshake with an HTTP status (the ASGI denial-response extension)."""
    headers = {"WWW-Authenticate": 'Basic realm="OCPP"'} if status == 401 else None
    await websocket.send_denial_response(PlainTextResponse(text, status, headers=headers))


async def ocpp_endpoint(websocket: WebSocket) -> None:
    organisation = websocket.path_params["organisation"]
    identifier = websocket.path_params["identifier"]
    if v16.SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
        await deny(websocket, 400, f"Subprotocol {v16.SUBPROTOCOL} required")
        return
    credentials = basic_credentials(websocket)
    # The username is the station's identity (OCPP 1.6 security profile 1).
    password = credentials[1] if credentials and credentials[0] == identifier else None
    async with in_transaction():
        admitted = await admit(
            organisation_slug=organisation, identifier=identifier, password=password
        )
    if admitted.outcome != Admission.ACCEPTED or admitted.station is None:
        await deny(websocket, *DENIALS.get(admitted.outcome, (403, "Forbidden")))
        return
    station = admitted.station
    await websocket.accept(subprotocol=v16.SUBPROTOCOL)
    charge_point = v16.ChargePoint16(
        identifier,
        StarletteConnection(websocket),
        station_id=station.id,
        organisation_id=station.organisation_id,
        publisher=websocket.app.state.node.publish,
    )
    node: Node = websocket.app.state.node
    # A reconnecting station replaces its previous connection, which is closed.
    await node.attach(station.id, charge_point, close=lambda: websocket.close(1000))
    try:
        await charge_point.start()
    except WebSocketDisconnect:
        log.info("station %s/%s disconnected", organisation, identifier)
    finally:
        await node.detach(station.id, charge_point)
