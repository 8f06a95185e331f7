"""Harvest-run bookkeeping and persisted cursors (checkpoints)."""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from harvesters.records import QuarantinedInput
from models.base import utcnow
from models.dialect import insert_for
from models.loader import LoadCounts, quarantine
from models.provenance import HarvestCursor, HarvestRun, QuarantinedRecord
from models.sanitize import check_row, strip_nul

logger = logging.getLogger(__name__)

STALE_AFTER_ENV = "SCHOLARFLOW_RUN_STALE_AFTER"
# Longer than any quiet stretch of a live run: GitHub may wait up to an hour for its reset.
DEFAULT_STALE_AFTER = timedelta(hours=3)
_SOURCE_ID_CHARS = 255


def this_host() -> str:
    """The host name stored with a run (what tells "this machine" from another)."""
    return socket.gethostname()[:255]


def start_run(session: Session, source: str, mode: str, params: dict[str, Any]) -> HarvestRun:
    """Insert a ``running`` harvest run (with this process's pid, host and a first
    heartbeat) and flush it so it has an id."""
    run = HarvestRun(
        source=source,
        mode=mode,
        params=strip_nul(params),
        status="running",
        pid=os.getpid(),
        hostname=this_host(),
        heartbeat_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def heartbeat(run: HarvestRun) -> None:
    """Note that the run is alive (done at every committed batch)."""
    run.heartbeat_at = utcnow()


def stale_after(environ: Mapping[str, str] | None = None) -> timedelta:
    """How old a heartbeat from another host may be before its run counts as gone:
    ``$SCHOLARFLOW_RUN_STALE_AFTER`` seconds, default 3 hours. Raises ValueError on a
    value that is not a positive number."""
    text = (os.environ if environ is None else environ).get(STALE_AFTER_ENV, "").strip()
    if not text:
        return DEFAULT_STALE_AFTER
    seconds = float(text)
    if not seconds > 0:
        raise ValueError(f"{STALE_AFTER_ENV} must be a positive number of seconds, not {text!r}")
    return timedelta(seconds=seconds)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def mark_stale_runs(
    session: Session,
    source: str | None = None,
    *,
    max_age: timedelta | None = None,
    now: datetime | None = None,
    host: str | None = None,
    alive: Callable[[int], bool] = pid_alive,
) -> list[int]:
    """Mark ``interrupted`` the ``running`` runs (of ``source``, or all) whose process is
    gone: on this host, its pid is not alive; on another host (or unknown), its heartbeat is
    older than ``max_age`` (default :func:`stale_after`). Returns their ids; flushes, does
    not commit."""
    now = now or utcnow()
    max_age = stale_after() if max_age is None else max_age
    host = this_host() if host is None else host
    stmt = select(HarvestRun).where(HarvestRun.status == "running")
    if source is not None:
        stmt = stmt.where(HarvestRun.source == source)
    marked: list[int] = []
    for run in session.scalars(stmt):
        if run.hostname == host and run.pid is not None:
            if run.pid == os.getpid() or alive(run.pid):
                continue
            why = f"process {run.pid} on {host} is gone"
        else:
            last = run.heartbeat_at or run.started_at
            if now - last <= max_age:
                continue
            where = f"on {run.hostname}" if run.hostname else "(host unknown)"
            why = f"no heartbeat {where} since {last.isoformat(timespec='seconds')}"
        logger.warning("harvest run %s (%s/%s) interrupted: %s", run.id, run.source, run.mode, why)
        run.status = "interrupted"
        run.error = f"interrupted: {why}"
        run.finished_at = now
        marked.append(run.id)
    session.flush()
    return marked


def record_counts(run: HarvestRun, counts: LoadCounts) -> None:
    """Add ``counts`` to the run's running totals."""
    run.fetched += counts.fetched
    run.inserted += counts.inserted
    run.updated += counts.updated
    run.unchanged += counts.unchanged
    run.quarantined += counts.quarantined


def finish_run(run: HarvestRun, status: str, error: str | None = None) -> None:
    """Mark the run ended with ``status`` (succeeded, partial, failed, blocked,
    interrupted); NUL bytes are dropped from the error (an echoed payload may hold one)."""
    run.status = status
    run.error = strip_nul(error)
    run.finished_at = utcnow()
    run.heartbeat_at = run.finished_at


def quarantine_inputs(
    session: Session, items: Iterable[QuarantinedInput], run_id: int | None
) -> int:
    """Quarantine ``items`` so that the write itself cannot fail: NUL bytes dropped, an
    over-long source id cut to its column. Returns how many; flushes, does not commit."""
    table = QuarantinedRecord.__table__
    safe = []
    for item in items:
        source_id = item.source_id
        if source_id is not None and len(source_id) > _SOURCE_ID_CHARS:
            source_id = source_id[:_SOURCE_ID_CHARS]
        row = check_row(
            table,  # type: ignore[arg-type]
            {
                "source": item.source,
                "source_id": source_id,
                "reason": item.reason,
                "payload": item.raw,
            },
        )
        safe.append(
            dataclasses.replace(
                item, source_id=row["source_id"], reason=row["reason"], raw=row["payload"]
            )
        )
    return quarantine(session, safe, run_id)


def resolve_quarantined(session: Session, source: str, source_ids: Iterable[str]) -> int:
    """Delete the quarantined records of ``source`` with these source ids: that input has
    now been stored fine, so a clean re-run leaves what a clean first run leaves. Returns
    how many; does not commit."""
    ids = list(dict.fromkeys(source_ids))
    removed = 0
    for start in range(0, len(ids), 500):
        result = session.execute(
            delete(QuarantinedRecord).where(
                QuarantinedRecord.source == source,
                QuarantinedRecord.source_id.in_(ids[start : start + 500]),
            )
        )
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def get_cursor(session: Session, source: str, key: str) -> dict[str, Any] | None:
    """The stored checkpoint for ``(source, key)``, or None."""
    return session.scalar(
        select(HarvestCursor.value).where(HarvestCursor.source == source, HarvestCursor.key == key)
    )


def set_cursor(
    session: Session, source: str, key: str, value: dict[str, Any], run_id: int | None
) -> None:
    """Store (insert or replace) the checkpoint for ``(source, key)``; does not commit."""
    value = strip_nul(value)
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
