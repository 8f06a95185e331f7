"""Dialect-specific statements (INSERT ... ON CONFLICT on SQLite and PostgreSQL) and the file
behind a SQLite engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine
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


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite ``engine``; None for other dialects, in-memory databases
    and ``file:`` URIs."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)
