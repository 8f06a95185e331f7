"""``authors add`` and the Scholar profile store racing another writer (issue 14, item 7).

Deterministic interleaving, SQLite and PostgreSQL: just before the command inserts its row,
another connection inserts the same key and commits (what a concurrent ``authors add``, harvest
or import does). The command must still succeed and the row exist once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from conftest import FIXTURES
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.scholar import import_gs_data
from flows.runtime import open_database
from models.authors import TrackedAuthor
from models.engine import make_engine
from models.scholar.tables import ScholarProfile

GS_DATA = FIXTURES / "scholar" / "originals" / "Brian-Moser_gs_data.json"


@contextmanager
def other_writer_before(table: str, url: str, sql: str) -> Iterator[list[bool]]:
    """Run ``sql`` (committed, on its own connection) right before the first INSERT into
    ``table`` by anyone else."""
    fired: list[bool] = []
    other = make_engine(url)

    def hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if fired or not statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            return
        fired.append(True)
        with other.begin() as writer:
            writer.execute(text(sql))

    event.listen(Engine, "before_cursor_execute", hook)
    try:
        yield fired
    finally:
        event.remove(Engine, "before_cursor_execute", hook)
        other.dispose()


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_authors_add_while_another_process_adds_the_same_author(database_url: str) -> None:
    sessions: Callable[[], Session] = open_database(database_url)
    sql = (
        "INSERT INTO tracked_author (name, active, created_at) "
        "VALUES ('Brian B. Moser', true, CURRENT_TIMESTAMP)"
    )
    with other_writer_before("tracked_author", database_url, sql) as fired:
        code = main(
            [
                "-q",
                "--database-url",
                database_url,
                "authors",
                "add",
                "Brian B. Moser",
                "--scholar-id",
                "v6hF0VEAAAAJ",
            ]
        )
    assert fired and code == 0
    with sessions() as session:  # type: ignore[operator]
        tracked = session.scalars(select(TrackedAuthor)).one()
        assert tracked.scholar_id == "v6hF0VEAAAAJ" and tracked.author_id is not None


# PostgreSQL only: SQLite serializes writers, so a write committed between this transaction's
# first read and its first write is "database is locked" (SQLITE_BUSY_SNAPSHOT), with or
# without the upsert; that interleaving cannot happen there the way it does on a server.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_profile_store_while_another_process_stores_the_same_profile(database_url: str) -> None:
    sessions = open_database(database_url)
    sql = (
        "INSERT INTO scholar_profile (scholar_id, name, interests, cites_per_year, payload,"
        " origin, observed_at, first_seen) VALUES ('v6hF0VEAAAAJ', 'Brian B. Moser', '[]', '{}',"
        " '{}', 'harvest', '2020-01-01 00:00:00', '2020-01-01 00:00:00')"
    )
    with other_writer_before("scholar_profile", database_url, sql) as fired:
        summary = import_gs_data(sessions, GS_DATA.read_text(), name=GS_DATA.name)
    assert fired and summary.status == "succeeded", summary.error
    with sessions() as session:
        profile = session.scalars(select(ScholarProfile)).one()
        # The import's snapshot (2024) is newer than the other writer's: it wins.
        assert profile.citedby == json.loads(GS_DATA.read_text())["citedby"]
    sessions.kw["bind"].dispose()
