"""Real OCPP stations for GraphQL tests that need one (event feed, live status)."""

from tests.ocpp_ws.conftest import connect, station_password_hash, ws_base

__all__ = ["connect", "station_password_hash", "ws_base"]
