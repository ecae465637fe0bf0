"""The OCPP-J websocket endpoint `/ocpp/{organisation}/{identifier}`: subprotocol choice,
HTTP Basic auth (security profile 1), then the version's pipeline session until the socket ends."""

from __future__ import annotations

import base64
import binascii
import logging

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from tortoise.transactions import in_transaction

from domain.events.connection import Admission, admit
from ocpp_ws.node import Node
from ocpp_ws.pipeline import Session, Station
from ocpp_ws.v16 import ADAPTER

log = logging.getLogger("evcms.ocpp")

DENIALS = {
    Admission.UNAUTHORIZED: (401, "Unauthorized"),
    Admission.FORBIDDEN: (403, "Forbidden"),
    Admission.NOT_FOUND: (404, "Not Found"),
}


class WebSocketLink:
    """The pipeline's Link over a Starlette websocket: text frames in and out."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def recv(self) -> str:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is None:  # a binary frame is not OCPP-J: the pipeline ignores it
            return (message.get("bytes") or b"").decode("utf-8", "replace")
        return str(text)

    async def send(self, text: str) -> None:
        await self.websocket.send_text(text)


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
    adapter = ADAPTER
    if adapter.subprotocol not in websocket.scope.get("subprotocols", []):
        await deny(websocket, 400, f"Subprotocol {adapter.subprotocol} required")
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
    row = admitted.station
    node: Node = websocket.app.state.node
    await websocket.accept(subprotocol=adapter.subprotocol)
    station = Station(row.id, row.organisation_id, identifier, node.writer)  # type: ignore[arg-type]
    session = Session(adapter, WebSocketLink(websocket), station, publish=node.publish)
    # A reconnecting station replaces its previous connection, which is closed.
    await node.attach(row.id, session, close=lambda: websocket.close(1000))
    try:
        await session.run()
    except WebSocketDisconnect:
        log.info("station %s/%s disconnected", organisation, identifier)
    finally:
        await node.detach(row.id, session)
