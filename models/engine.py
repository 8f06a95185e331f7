"""Engine and session factory for the configured database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from models.settings import database_url, normalize_url
from models.wal import AUTOCHECKPOINT_PAGES


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (default: the configured URL).

    SQLite gets WAL, ``synchronous=NORMAL``, enforced foreign keys, a 64 MiB page cache and a
    256 MiB checkpoint threshold (see ``models.wal``) on every connection.
    """
    engine = create_engine(normalize_url(url) if url else database_url(), **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# SQLite's page cache per connection (its default is 2 MiB): a loaded database's indexes outgrow
# that quickly, and every look-up then re-reads its upper pages.
SQLITE_CACHE_KIB = 65536


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    # Checkpoints run in the background after each loaded batch (models.wal); this bounds the
    # log should none run.
    cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; sessions do not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)
