"""Run the Alembic migrations shipped with scholarflow, from code.

Upgrades are serialized: two commands started at once on a fresh database would both create
the tables, and one would crash. On PostgreSQL the upgrade holds an advisory lock (one fixed
key) for its transaction; on SQLite an exclusive ``fcntl`` lock on the sibling file
``<database>.migrate.lock``. The second upgrade waits, then finds nothing to do.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text

from models.dialect import sqlite_file

logger = logging.getLogger(__name__)

_ROOT = Path(__file__).resolve().parent.parent
# pg_advisory_xact_lock key: "scholarflow migrate" (any fixed 64-bit number would do).
MIGRATION_LOCK_KEY = 0x5C401A7F10C0


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config for the bundled ``migrations/``; bound to ``engine`` when given."""
    ini = _ROOT / "alembic.ini"
    config = Config(str(ini)) if ini.exists() else Config()
    config.set_main_option("script_location", str(_ROOT / "migrations"))
    config.attributes["configure_logging"] = False
    if engine is not None:
        config.attributes["url"] = engine.url.render_as_string(hide_password=False)
    return config


def sqlite_lock_path(engine: Engine) -> Path | None:
    """The lock file of a SQLite database file (None for other dialects, memory databases,
    or a folder that does not exist: then opening the database fails with its own error)."""
    path = sqlite_file(engine)
    if path is None:
        return None
    return path.with_name(path.name + ".migrate.lock") if path.parent.is_dir() else None


@contextlib.contextmanager
def _sqlite_file_lock(path: Path | None) -> Iterator[None]:
    if path is None:
        yield
        return
    import fcntl  # POSIX only; scholarflow runs on Linux and macOS

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # blocks while another process migrates
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other migration runs alongside (committed on
    exit). Waits for a migration already running on the same database."""
    with _sqlite_file_lock(sqlite_lock_path(engine)), engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename); with foreign keys on, the
            # drop fails as soon as rows elsewhere reference it (an existing database). The
            # pragma only works outside a transaction; integrity is checked before commit.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    # Released at commit or rollback; other sessions wait here.
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision`` (default: the newest).

    Safe to call from several processes at once: they take turns, and the later ones find
    the database already at ``revision``.
    """
    with migration_lock(engine) as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the database behind ``engine`` back to ``revision`` (default: empty)."""
    with migration_lock(engine) as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
