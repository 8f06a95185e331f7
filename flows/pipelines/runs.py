"""One harvest run's bookkeeping, shared by every source's pipeline.

``RunTracker`` opens a ``harvest_run`` row, commits each batch with its counts (and cursor),
and closes the run as succeeded, failed, blocked or interrupted. Everything committed before a
failure stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import QuarantinedInput, WorkRecord
from models.loader import LoadCounts, load_batch, quarantine
from models.runs import finish_run, record_counts, start_run

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


def load_items(
    session: Session, run_id: int, items: Iterable[WorkRecord | QuarantinedInput]
) -> LoadCounts:
    """Load the records and quarantine the rest; flushes, does not commit."""
    items = list(items)
    records = [i for i in items if isinstance(i, WorkRecord)]
    bad = [i for i in items if isinstance(i, QuarantinedInput)]
    counts = load_batch(session, records, run_id)
    counts.quarantined = quarantine(session, bad, run_id)
    counts.fetched += counts.quarantined
    return counts


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
        self.run = start_run(self.session, source, mode, params)
        self.session.commit()

    def commit_batch(self, counts: LoadCounts, cursor: dict[str, Any] | None = None) -> None:
        record_counts(self.run, counts)
        if cursor is not None:
            self.run.cursor = cursor
        self.session.commit()

    def finish(self, status: str = "succeeded", error: str | None = None) -> HarvestSummary:
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
