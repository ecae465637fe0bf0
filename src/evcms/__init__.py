"""Composition root: settings, ASGI app factory, CLI, embedded services."""
