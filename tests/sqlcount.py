"""Count the SQL statements Tortoise sends, by listening to its client logger.

Tortoise 1.1's database clients log every statement at DEBUG to the `tortoise.db_client`
logger (`tortoise.log.db_client_logger`) just before sending it: `execute_query`,
`execute_query_dict`, `execute_insert`, `execute_many` and `execute_script` each log once.
Counting those records needs no patching of Tortoise's internals. The server under test runs
in the same process (tests/conftest.py), so its statements are seen too; those of its
background housekeeping tasks (named `evcms-background: ...`) are left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from ocpp_ws.node import BACKGROUND

SQL_LOGGER = "tortoise.db_client"
# The client also logs pool housekeeping to the same logger; those are not statements.
_NOT_STATEMENTS = ("Created connection pool", "Closed connection pool")


class SQLCounter(logging.Handler):
    """Collects the statements logged while attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(_NOT_STATEMENTS) and not _in_background():
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)

    def report(self) -> str:
        """The statements, one per line, for assertion messages."""
        return "\n".join(f"{n}. {s}" for n, s in enumerate(self.statements, 1))


def _in_background() -> bool:
    """A statement of the server's own housekeeping (node leases), not of a request."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no event loop running: not a task at all
        return False
    return task is not None and task.get_name().startswith(BACKGROUND)


@contextlib.contextmanager
def count_sql() -> Iterator[SQLCounter]:
    """`with count_sql() as sql: ...` then `sql.count`; the logger's level is restored after."""
    logger = logging.getLogger(SQL_LOGGER)
    counter = SQLCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)
