"""The loader's own ``ANALYZE`` of stale identity tables (PostgreSQL; a no-op on SQLite)."""

from __future__ import annotations

from sqlalchemy import Engine, insert, text

from models.engine import session_factory
from models.identity import statistics
from models.identity.tables import IdentityRedirect
from models.migrate import upgrade


def _flush_statistics(engine: Engine) -> None:
    """Make this server's table counters current (they are flushed lazily)."""
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_force_next_flush()"))


def test_a_table_that_grew_is_analyzed_once_and_then_left_alone(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    sessions = session_factory(empty_engine)
    rows = statistics.STALE_MIN + 1
    with sessions() as session:
        session.execute(
            insert(IdentityRedirect),
            [{"entity": "work", "old_id": i, "new_id": i + rows} for i in range(rows)],
        )
        if empty_engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_stat_force_next_flush()"))
        session.commit()
    with sessions() as session:
        analyzed = statistics.refresh_if_stale(session)
        session.commit()
    if empty_engine.dialect.name != "postgresql":
        assert analyzed == []  # SQLite plans without them
        return
    assert "identity_redirect" in analyzed
    _flush_statistics(empty_engine)
    with empty_engine.connect() as conn:
        last = conn.execute(
            text(
                "SELECT last_analyze, n_mod_since_analyze FROM pg_stat_user_tables"
                " WHERE schemaname = current_schema() AND relname = 'identity_redirect'"
            )
        ).one()
        estimated = conn.scalar(
            text("SELECT reltuples FROM pg_class WHERE oid = 'identity_redirect'::regclass")
        )
    assert last.last_analyze is not None and last.n_mod_since_analyze == 0
    assert estimated == rows  # the planner now knows the table's size
    with sessions() as session:
        assert "identity_redirect" not in statistics.refresh_if_stale(session)
