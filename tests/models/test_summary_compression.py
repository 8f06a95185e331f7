"""The summary columns' compression: lz4 on PostgreSQL (by migration and by create_all), the
default put back by downgrade, nothing on SQLite; summaries read back as they were written."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from models.base import Base, utcnow
from models.metrics.tables import SUMMARY_TABLES, AuthorMetrics, set_summary_compression
from models.migrate import downgrade, upgrade

BEFORE = "f2b1c2d3b014"  # the revision before 0015


def compression(engine: Engine) -> dict[str, str]:
    """Each summary table's column compression: 'l' lz4, 'p' pglz, '' the server default."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, a.attcompression FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid "
                "WHERE a.attname = 'summary' AND c.relname = ANY(:tables) "
                "AND c.relnamespace = to_regnamespace(current_schema())::oid"
            ),
            {"tables": list(SUMMARY_TABLES)},
        ).all()
    return {name: str(method) for name, method in rows}


def test_migration_sets_lz4_and_downgrade_puts_pglz_back(empty_engine: Engine) -> None:
    upgrade(empty_engine, BEFORE)
    if empty_engine.dialect.name != "postgresql":
        upgrade(empty_engine)  # nothing to set: the revision passes
        with empty_engine.connect() as conn:
            assert set_summary_compression(conn) is False
        return
    assert compression(empty_engine) == dict.fromkeys(SUMMARY_TABLES, "")
    upgrade(empty_engine)
    assert compression(empty_engine) == dict.fromkeys(SUMMARY_TABLES, "l")
    downgrade(empty_engine, BEFORE)
    assert compression(empty_engine) == dict.fromkeys(SUMMARY_TABLES, "p")


def test_create_all_sets_lz4_and_summaries_read_back(empty_engine: Engine) -> None:
    Base.metadata.create_all(empty_engine)
    if empty_engine.dialect.name == "postgresql":
        assert compression(empty_engine) == dict.fromkeys(SUMMARY_TABLES, "l")
    summary = {"name": "Ada", "coauthors": [{"author_id": i, "works": i} for i in range(400)]}
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO author (id, display_name, name_key, created_at) "
                          "VALUES (1, 'Ada', 'ada', CURRENT_TIMESTAMP)"))  # fmt: skip
    with Session(empty_engine) as session:
        session.add(
            AuthorMetrics(
                author_id=1, works=0, works_with_citations=0, first_author=0, last_author=0,
                stars=0, fingerprint="f" * 64, computed_at=utcnow(), summary=summary,
            )
        )  # fmt: skip
        session.commit()
    with Session(empty_engine) as session:
        assert session.get(AuthorMetrics, 1).summary == summary  # type: ignore[union-attr]
