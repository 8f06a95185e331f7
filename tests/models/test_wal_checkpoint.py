"""Background WAL checkpoints (models.wal): after a loaded batch is committed, its pages reach
the database file without the loader running the checkpoint, and nothing is lost."""

from __future__ import annotations

import gc
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import text

from flows.pipelines.runs import RunTracker
from harvesters.acl.parse import parse_collection
from harvesters.records import WorkRecord
from models.engine import make_engine, session_factory
from models.loader import load_batch
from models.migrate import upgrade
from models.wal import AUTOCHECKPOINT_PAGES, checkpoint_soon
from tests.conftest import FIXTURES

ACL_XML = FIXTURES / "acl" / "xml" / "2023.repl4nlp.xml"  # 27 real papers


def _records() -> list[WorkRecord]:
    items = parse_collection(ACL_XML.read_bytes(), ACL_XML.stem)
    return [r for r in items if isinstance(r, WorkRecord)]


def _file_alone(db: Path, tmp_path: Path) -> sqlite3.Connection:
    """The database file copied without its ``-wal``: what a checkpoint has written so far."""
    copy = tmp_path / "alone.db"
    shutil.copyfile(db, copy)
    return sqlite3.connect(copy)


def test_writer_connections_checkpoint_only_past_the_bound(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == AUTOCHECKPOINT_PAGES
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_each_committed_batch_reaches_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "load.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    records = _records()
    assert len(records) >= 20
    tracker = RunTracker(session_factory(engine), "acl", "test", {})
    checkpointer = None
    for start in range(0, 20, 10):
        counts = load_batch(tracker.session, records[start : start + 10], tracker.run.id)
        tracker.commit_batch(counts)
        checkpointer = checkpoint_soon(engine)  # the same thread the tracker asked
        assert checkpointer is not None and checkpointer.wait_idle(30)
        with _file_alone(db, tmp_path) as alone:
            assert alone.execute("select count(*) from source_record").fetchone() == (start + 10,)
    assert checkpointer is not None and checkpointer.passes >= 2
    with engine.connect() as conn:  # every frame of the log is in the file: nothing pending
        busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert (busy, log) == (0, done)
    tracker.finish()
    engine.dispose()


def test_without_the_background_pass_the_file_lags_behind_the_log(tmp_path: Path) -> None:
    """The control: a commit alone leaves the pages in the log (the bound is far away)."""
    db = tmp_path / "lag.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with engine.connect() as conn:  # the migration's pages, checkpointed before the test
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    sessions = session_factory(engine)
    with sessions() as session:
        load_batch(session, _records()[:10], None)
        session.commit()
    with _file_alone(db, tmp_path) as alone:
        assert alone.execute("select count(*) from source_record").fetchone() == (0,)
    with engine.connect() as conn:
        assert conn.execute(text("select count(*) from source_record")).scalar() == 10
    engine.dispose()


def test_postgresql_and_memory_databases_have_no_checkpointer(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name == "sqlite":
        assert checkpoint_soon(make_engine("sqlite://")) is None
    else:
        assert checkpoint_soon(engine) is None


def test_the_thread_ends_when_the_engine_is_disposed_and_a_new_one_follows(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gone.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("create table t (x integer)")
    first = checkpoint_soon(engine)
    assert first is not None and first.wait_idle(30)
    engine.dispose()
    first._thread.join(10)
    assert not first._thread.is_alive()
    with engine.begin() as conn:  # a disposed engine still works, and so do its checkpoints
        conn.exec_driver_sql("insert into t values (1)")
    second = checkpoint_soon(engine)
    assert second is not None and second is not first and second.wait_idle(30)
    assert second.passes == 1
    engine.dispose()


def test_the_thread_ends_when_the_engine_is_collected(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'collected.db'}")
    checkpointer = checkpoint_soon(engine)
    assert checkpointer is not None and checkpointer.wait_idle(30)
    del engine
    gc.collect()
    checkpointer._thread.join(10)
    assert not checkpointer._thread.is_alive()
