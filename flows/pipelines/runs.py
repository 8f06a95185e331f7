"""One harvest run's bookkeeping, shared by every source's pipeline.

``RunTracker`` opens a ``harvest_run`` row (first marking ``interrupted`` the runs of the same
source whose process is gone), commits each batch with its counts, cursor and a heartbeat, and
closes the run as succeeded, partial (some input quarantined), failed, blocked or interrupted.
Everything committed before a failure stays.

``load_items`` never lets one bad record end a run: a record the database (or
``models.sanitize``) refuses is quarantined with the reason, and the rest of its batch is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import QuarantinedInput, WorkRecord
from models.loader import LoadCounts, load_batch
from models.runs import (
    finish_run,
    heartbeat,
    mark_stale_runs,
    quarantine_inputs,
    record_counts,
    resolve_quarantined,
    start_run,
)
from models.sanitize import RowRejected, strip_nul, strip_nul_record
from models.wal import checkpoint_soon

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class HarvestSummary:
    """What one harvest run did, as stored in its ``harvest_run`` row."""

    run_id: int
    source: str
    mode: str
    status: str
    counts: dict[str, int]
    error: str | None = None
    cursor: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def log_progress(progress: Progress | None, message: str, *args: Any) -> None:
    """Log ``message % args`` and hand the same text to ``progress`` (the CLI's stderr)."""
    logger.info(message, *args)
    if progress is not None:
        progress(message % args if args else message)


# What a write refuses for one record's values (PostgreSQL: NUL byte, value too long,
# integer out of range, bad JSON text): that record is quarantined, not the run ended.
REJECTED = (RowRejected, DataError)


def rejection_reason(exc: BaseException) -> str:
    """One line saying why the database (or the row check) refused a record."""
    if isinstance(exc, DataError):
        detail = str(exc.orig).strip().splitlines()
        return f"rejected by the database: {detail[0] if detail else type(exc.orig).__name__}"
    return f"rejected: {exc}"


def load_items(
    session: Session, run_id: int, items: Iterable[WorkRecord | QuarantinedInput]
) -> LoadCounts:
    """Load the records and quarantine the rest; flushes, does not commit.

    NUL bytes are dropped from the records first. When the batch is refused, each record is
    loaded on its own (a savepoint each) and those refused are quarantined with the reason.
    Quarantined records of inputs now stored fine are deleted.
    """
    items = list(items)
    records = [strip_nul_record(i) for i in items if isinstance(i, WorkRecord)]
    bad = [i for i in items if isinstance(i, QuarantinedInput)]
    counts, refused = load_isolated(session, records, run_id)
    bad += refused
    stored = {(r.source, r.source_id) for r in records} - {(b.source, b.source_id) for b in bad}
    for source in {s for s, _ in stored}:
        resolve_quarantined(session, source, [i for s, i in stored if s == source])
    counts.quarantined = quarantine_inputs(session, bad, run_id)
    counts.fetched += counts.quarantined
    return counts


def load_isolated(
    session: Session, records: list[WorkRecord], run_id: int
) -> tuple[LoadCounts, list[QuarantinedInput]]:
    """``load_batch`` in a savepoint; when it is refused, record by record. Returns the
    counts of what was stored and a quarantine item for each record refused."""
    if not records:
        return LoadCounts(), []
    try:
        with session.begin_nested():
            return load_batch(session, records, run_id), []
    except REJECTED as exc:
        if len(records) == 1:
            return LoadCounts(), [_refused(records[0], exc)]
        logger.warning("batch of %d refused (%s); loading one by one", len(records), exc)
    counts, refused = LoadCounts(), []
    for record in records:
        try:
            with session.begin_nested():
                counts += load_batch(session, [record], run_id)
        except REJECTED as exc:
            refused.append(_refused(record, exc))
    return counts, refused


def _refused(record: WorkRecord, exc: BaseException) -> QuarantinedInput:
    reason = f"{record.source} record {record.source_id}: {rejection_reason(exc)}"
    logger.warning("%s", reason)
    return QuarantinedInput(record.source, reason, record.raw, record.source_id)


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size``."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RunTracker:
    """Opens a harvest run, commits batches with their counts, closes it on success or error."""

    def __init__(
        self, sessions: sessionmaker[Session], source: str, mode: str, params: dict[str, Any]
    ) -> None:
        self.sessions = sessions
        self.session = sessions()
        mark_stale_runs(self.session, source)
        self.run = start_run(self.session, source, mode, params)
        self.session.commit()

    def commit_batch(self, counts: LoadCounts, cursor: dict[str, Any] | None = None) -> None:
        record_counts(self.run, counts)
        if cursor is not None:
            self.run.cursor = strip_nul(cursor)
        heartbeat(self.run)
        self.session.commit()
        checkpoint_soon(self.session.get_bind())

    def finish(self, status: str = "succeeded", error: str | None = None) -> HarvestSummary:
        """Close the run. ``succeeded`` becomes ``partial`` (with a note in ``error``) when
        the run quarantined anything: then not every record was stored."""
        if status == "succeeded" and self.run.quarantined:
            status = "partial"
            error = error or (
                f"{self.run.quarantined} record(s) quarantined; see quarantined_record "
                f"(last_run_id {self.run.id})"
            )
        finish_run(self.run, status, error)
        self.session.commit()
        run = self.run
        summary = HarvestSummary(
            run_id=run.id,
            source=run.source,
            mode=run.mode,
            status=run.status,
            counts={
                "fetched": run.fetched,
                "inserted": run.inserted,
                "updated": run.updated,
                "unchanged": run.unchanged,
                "quarantined": run.quarantined,
            },
            error=run.error,
            cursor=dict(run.cursor or {}),
        )
        self.session.close()
        return summary

    def fail(self, exc: BaseException) -> None:
        self.session.rollback()
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        self.finish(status, f"{type(exc).__name__}: {exc}")
