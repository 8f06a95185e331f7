"""Dialect-specific statements: INSERT ... ON CONFLICT on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """An ``INSERT`` for ``table`` that supports ``on_conflict_do_*`` on the session's dialect.

    An ORM class is turned into its ``Table``: a Core insert's compiled form is cached, where
    the ORM bulk-insert path compiled every executemany again (most of the loader's time).
    Column defaults still apply. Raises NotImplementedError for dialects other than SQLite
    and PostgreSQL.
    """
    table = getattr(table, "__table__", table)
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"scholarflow supports SQLite and PostgreSQL, not {name}")
