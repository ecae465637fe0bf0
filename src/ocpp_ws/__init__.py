"""OCPP-J websocket endpoint, per-version handlers, connection registry, command routing."""
