"""Per-source database locks: two workers on one database never interleave a source's cursor.

A harvest reads a source's cursor, fetches, writes records and moves the cursor on. Two
processes doing that for one source at once would both start from the same cursor and write
it back in either order. On PostgreSQL a session-level advisory lock keyed by the source
serializes them (the second waits, or with ``wait=False`` is refused); on SQLite the
database write lock already serializes writers, so the lock is a no-op there.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator

from sqlalchemy import Engine, text

logger = logging.getLogger(__name__)

# Every advisory key this project takes starts from this namespace, so its locks never
# collide with another application's on a shared server.
NAMESPACE = "scholarflow:source:"


class SourceBusyError(RuntimeError):
    """Another process holds the source's lock (raised only with ``wait=False``)."""


def source_lock_key(source: str) -> int:
    """The signed 64-bit advisory lock key of ``source`` (stable across processes)."""
    digest = hashlib.blake2b((NAMESPACE + source).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def source_lock(engine: Engine, source: str, *, wait: bool = True) -> Iterator[None]:
    """Hold the PostgreSQL advisory lock of ``source`` for the block (no-op on SQLite).

    The lock lives on a connection of its own, so the harvest's transactions commit as
    usual while it is held; it is released on exit (and by the server if the process dies).
    With ``wait`` the call blocks until the lock is free; without, SourceBusyError is raised
    at once when another session holds it.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    key = source_lock_key(source)
    with engine.connect() as connection:
        if wait:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        elif not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar():
            raise SourceBusyError(f"another harvest of {source} holds its lock on this database")
        # Commit the implicit transaction: the lock is session-level and must not keep a
        # transaction open (and a snapshot) for the whole harvest.
        connection.commit()
        logger.debug("holding the %s source lock", source)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()
