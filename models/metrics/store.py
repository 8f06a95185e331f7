"""Computing and storing author summaries: only authors whose inputs changed are recomputed.

Each stored summary carries the fingerprint of its inputs
(:meth:`models.metrics.summaries.AuthorInputs.fingerprint`). A run reads the inputs of the
authors in scope batch by batch, skips those whose fingerprint equals the stored one, and for
the others replaces the ``author_metrics`` row and adds an ``author_metrics_snapshot`` row.
``full=True`` recomputes (and snapshots) every author in scope regardless.

Callers own the transaction: this module flushes, never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models.authors import Author, TrackedAuthor
from models.base import utcnow
from models.metrics.summaries import read_inputs, summarize
from models.metrics.tables import AuthorMetrics, AuthorMetricsSnapshot

log = logging.getLogger(__name__)

BATCH = 2000

#: The summary keys stored as columns of both tables (the rest stays in ``summary``).
COLUMNS = (
    "works",
    "works_with_citations",
    "citations",
    "h_index",
    "i10_index",
    "g_index",
    "m_quotient",
    "citations_5y",
    "first_author",
    "last_author",
    "stars",
)


@dataclass
class MetricsRun:
    """What one computation did: authors considered, recomputed, skipped (unchanged), and
    the summaries written (changed authors only)."""

    considered: int = 0
    computed: int = 0
    unchanged: int = 0
    computed_at: datetime | None = None
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "considered": self.considered,
            "computed": self.computed,
            "unchanged": self.unchanged,
            "computed_at": self.computed_at.isoformat() if self.computed_at else None,
        }


def scope_author_ids(
    session: Session, names: Sequence[str] = (), *, all_authors: bool = False
) -> list[int]:
    """The canonical authors a run covers: every author (``all_authors``), the named ones,
    or by default the active tracked authors. Raises UnknownAuthorError for a name no author
    matches."""
    if all_authors:
        return list(session.scalars(select(Author.id).order_by(Author.id)))
    if names:
        from models.queries import find_author

        return sorted({find_author(session, n).id for n in names})
    return sorted(
        set(
            session.scalars(
                select(TrackedAuthor.author_id).where(
                    TrackedAuthor.active.is_(True), TrackedAuthor.author_id.is_not(None)
                )
            )
        )
    )


def compute_metrics(
    session: Session,
    author_ids: Sequence[int],
    *,
    full: bool = False,
    now: datetime | None = None,
    keep_summaries: bool = True,
    progress: Callable[[str], None] | None = None,
) -> MetricsRun:
    """Recompute the summaries of ``author_ids`` whose inputs changed (all of them with
    ``full``), store them and a snapshot each. ``now`` (aware UTC; default: the clock) is the
    computation time and gives the current year. Flushes; does not commit."""
    now = now or utcnow()
    session.flush()
    run = MetricsRun(computed_at=now)
    ids = sorted(set(author_ids))
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        inputs = read_inputs(session, batch)
        stored = dict(
            session.connection()
            .execute(
                select(AuthorMetrics.author_id, AuthorMetrics.fingerprint).where(
                    AuthorMetrics.author_id.in_(batch)
                )
            )
            .all()
        )
        rows: list[dict[str, Any]] = []
        for author_id in batch:
            if author_id not in inputs:
                continue
            run.considered += 1
            fingerprint = inputs[author_id].fingerprint(now.year)
            if not full and stored.get(author_id) == fingerprint:
                run.unchanged += 1
                continue
            summary = summarize(inputs[author_id], current_year=now.year)
            rows.append(_row(author_id, summary, fingerprint, now))
            if keep_summaries:
                run.summaries.append(summary)
        _write(session, rows)
        run.computed += len(rows)
        if progress and len(ids) > BATCH:
            progress(f"metrics: {min(start + BATCH, len(ids))}/{len(ids)} authors read")
    log.info(
        "metrics: %d author(s) considered, %d recomputed, %d unchanged",
        run.considered,
        run.computed,
        run.unchanged,
    )
    return run


def _row(author_id: int, summary: dict[str, Any], fingerprint: str, now: datetime) -> dict:
    scholar = (summary.get("scholar") or {}).get("comparison") or {}
    row = {name: summary[name] for name in COLUMNS}
    row.update(
        author_id=author_id,
        scholar_citations=scholar.get("citations", {}).get("reported"),
        scholar_h_index=scholar.get("h_index", {}).get("reported"),
        scholar_i10_index=scholar.get("i10_index", {}).get("reported"),
        fingerprint=fingerprint,
        computed_at=now,
        summary=summary,
    )
    return row


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Replace the current rows of these authors and add one snapshot each (multi-row)."""
    if not rows:
        return
    conn = session.connection()
    current, snapshots = AuthorMetrics.__table__, AuthorMetricsSnapshot.__table__
    ids = [r["author_id"] for r in rows]
    conn.execute(delete(current).where(current.c.author_id.in_(ids)))
    conn.execute(insert(current), rows)
    # the snapshot copies the rows just written: each summary is serialized once, not twice
    conn.execute(
        insert(snapshots).from_select(
            [c.name for c in current.columns],
            select(*current.columns).where(current.c.author_id.in_(ids)),
        )
    )


def current_summary(session: Session, author_id: int) -> AuthorMetrics | None:
    """The stored current summary row of ``author_id``, or None when never computed."""
    return session.get(AuthorMetrics, author_id)


def h_history(session: Session, author_id: int) -> list[tuple[datetime, int | None]]:
    """``(computed_at, h_index)`` of every snapshot of the author, oldest first."""
    return list(
        session.execute(
            select(AuthorMetricsSnapshot.computed_at, AuthorMetricsSnapshot.h_index)
            .where(AuthorMetricsSnapshot.author_id == author_id)
            .order_by(AuthorMetricsSnapshot.computed_at, AuthorMetricsSnapshot.id)
        ).tuples()
    )
