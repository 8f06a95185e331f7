"""Revision b6e2f8a1d006 on SQLite and PostgreSQL: heartbeat columns, the ``partial`` status."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from models.migrate import downgrade, upgrade

_INSERT = text(
    "INSERT INTO harvest_run (source, mode, params, status, started_at, fetched, inserted,"
    " updated, unchanged, quarantined) VALUES ('acl', 'venue', '{}', :status,"
    " CURRENT_TIMESTAMP, 0, 0, 0, 0, 0)"
)


def test_heartbeat_columns_and_partial_status_up_and_down(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    columns = {c["name"] for c in inspect(empty_engine).get_columns("harvest_run")}
    assert {"pid", "hostname", "heartbeat_at"} <= columns
    with empty_engine.begin() as conn:
        conn.execute(_INSERT, {"status": "partial"})
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(_INSERT, {"status": "bogus"})

    downgrade(empty_engine, "e393db2e6a8a")
    columns = {c["name"] for c in inspect(empty_engine).get_columns("harvest_run")}
    assert not {"pid", "hostname", "heartbeat_at"} & columns
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM harvest_run")).scalars().all() == ["succeeded"]
    with pytest.raises(IntegrityError), empty_engine.begin() as conn:
        conn.execute(_INSERT, {"status": "partial"})
    upgrade(empty_engine)
