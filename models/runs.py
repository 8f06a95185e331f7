"""Harvest-run bookkeeping and persisted cursors (checkpoints)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.dialect import insert_for
from models.loader import LoadCounts
from models.provenance import HarvestCursor, HarvestRun


def start_run(session: Session, source: str, mode: str, params: dict[str, Any]) -> HarvestRun:
    """Insert a ``running`` harvest run and flush it so it has an id."""
    run = HarvestRun(source=source, mode=mode, params=params, status="running")
    session.add(run)
    session.flush()
    return run


def record_counts(run: HarvestRun, counts: LoadCounts) -> None:
    """Add ``counts`` to the run's running totals."""
    run.fetched += counts.fetched
    run.inserted += counts.inserted
    run.updated += counts.updated
    run.unchanged += counts.unchanged
    run.quarantined += counts.quarantined


def finish_run(run: HarvestRun, status: str, error: str | None = None) -> None:
    """Mark the run ended with ``status`` (succeeded, failed, blocked, interrupted)."""
    run.status = status
    run.error = error
    run.finished_at = utcnow()


def get_cursor(session: Session, source: str, key: str) -> dict[str, Any] | None:
    """The stored checkpoint for ``(source, key)``, or None."""
    return session.scalar(
        select(HarvestCursor.value).where(HarvestCursor.source == source, HarvestCursor.key == key)
    )


def set_cursor(
    session: Session, source: str, key: str, value: dict[str, Any], run_id: int | None
) -> None:
    """Store (insert or replace) the checkpoint for ``(source, key)``; does not commit."""
    stmt = insert_for(session, HarvestCursor).values(
        source=source, key=key, value=value, run_id=run_id, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "key"],
        set_={"value": stmt.excluded.value, "run_id": run_id, "updated_at": utcnow()},
    )
    session.execute(stmt)


def clear_cursor(session: Session, source: str, key: str) -> None:
    """Forget the checkpoint for ``(source, key)``."""
    session.execute(
        delete(HarvestCursor).where(HarvestCursor.source == source, HarvestCursor.key == key)
    )
