"""The write and look-up side of citations: which works to ask, what was asked, what came back.

Set-based: per batch one look-up of the stored records and one multi-row upsert per table
(chunks of ``CHUNK`` rows keep statements within the databases' parameter limits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, select, tuple_
from sqlalchemy.orm import Session

from models.base import utcnow
from models.citations.tables import CitationLookup, CitationObservation
from models.dialect import insert_for
from models.identity.store import chunks
from models.provenance import SourceRecord
from models.works import WorkIdentifier

CHUNK = 500
DEFAULT_MAX_AGE_DAYS = 7


class Observed(Protocol):
    """A citation count a source reported (``harvesters.citations.CitationObservation``)."""

    @property
    def source(self) -> str: ...
    @property
    def source_id(self) -> str: ...
    @property
    def citation_count(self) -> int: ...
    @property
    def observed_on(self) -> date: ...
    @property
    def counts_by_year(self) -> dict[int, int] | None: ...


@dataclass(frozen=True)
class LookupTarget:
    """A work to ask a source about, by its best identifier for that source."""

    work_id: int
    scheme: str
    value: str
    last_looked_up_on: date | None


def lookup_targets(
    session: Session,
    source: str,
    schemes: Sequence[str],
    *,
    today: date,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    limit: int | None = None,
) -> list[LookupTarget]:
    """Works with an identifier in ``schemes`` none of whose identifiers ``source`` was asked
    about in the last ``max_age_days`` days (0: every work), each by an identifier the source
    already answered, else by its first scheme in ``schemes`` order. Never-asked works come
    first, then the least recently asked: a run that stopped early is continued by the next.
    One query, whatever the number of works.
    """
    cutoff = today - timedelta(days=max_age_days)
    rows = session.execute(
        select(
            WorkIdentifier.work_id,
            WorkIdentifier.scheme,
            WorkIdentifier.value,
            CitationLookup.looked_up_on,
            CitationLookup.found,
        )
        .outerjoin(
            CitationLookup,
            and_(
                CitationLookup.source == source,
                CitationLookup.scheme == WorkIdentifier.scheme,
                CitationLookup.value == WorkIdentifier.value,
            ),
        )
        .where(WorkIdentifier.scheme.in_(list(schemes)))
    )
    rank = {scheme: i for i, scheme in enumerate(schemes)}
    # An id the source already answered is asked again (the same request, no new cursor row);
    # otherwise the first scheme in ``schemes`` order.
    best: dict[int, tuple[int, int, str, str]] = {}
    last: dict[int, date | None] = {}
    fresh: set[int] = set()
    for work_id, scheme, value, looked_up_on, found in rows:
        if looked_up_on is not None and looked_up_on > cutoff and max_age_days > 0:
            fresh.add(work_id)
        candidate = (0 if found else 1, rank[scheme], scheme, value)
        if work_id not in best or candidate < best[work_id]:
            best[work_id] = candidate
        if looked_up_on is not None:
            seen = last.get(work_id)
            last[work_id] = looked_up_on if seen is None else max(seen, looked_up_on)
        else:
            last.setdefault(work_id, None)
    targets = [
        LookupTarget(work_id, best[work_id][2], best[work_id][3], last.get(work_id))
        for work_id in best
        if work_id not in fresh
    ]
    targets.sort(key=lambda t: (t.last_looked_up_on is not None, t.last_looked_up_on, t.work_id))
    return targets[:limit] if limit is not None else targets


def record_lookups(
    session: Session,
    source: str,
    asked: Sequence[tuple[str, str, str | None]],
    *,
    today: date,
    run_id: int | None,
    now: datetime | None = None,
) -> None:
    """Remember that ``source`` was asked about each ``(scheme, value, source_id or None)``
    today (None: it did not know the id). Flushes nothing else; no commit."""
    if not asked:
        return
    now = now or utcnow()
    rows = {
        (scheme, value[:255]): {
            "source": source,
            "scheme": scheme,
            "value": value[:255],
            "looked_up_on": today,
            "looked_up_at": now,
            "found": source_id is not None,
            "source_id": source_id,
            "run_id": run_id,
        }
        for scheme, value, source_id in asked
    }
    stmt = insert_for(session, CitationLookup)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "scheme", "value"],
        set_={
            c: stmt.excluded[c]
            for c in ("looked_up_on", "looked_up_at", "found", "source_id", "run_id")
        },
    )
    for part in chunks(list(rows.values()), CHUNK):
        session.execute(stmt, list(part))


def store_observations(
    session: Session,
    observations: Sequence[Observed],
    *,
    run_id: int | None,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Store each observation against its source record, one row per source, record and day
    (a second one of the same day updates it). The records must be loaded already. Returns
    ``(inserted, updated)``. Raises LookupError for an observation whose record is not stored.
    """
    if not observations:
        return 0, 0
    now = now or utcnow()
    keys = sorted({(o.source, o.source_id) for o in observations})
    record_ids: dict[tuple[str, str], int] = {}
    for part in chunks(keys, CHUNK):
        found = session.execute(
            select(SourceRecord.source, SourceRecord.source_id, SourceRecord.id).where(
                tuple_(SourceRecord.source, SourceRecord.source_id).in_(list(part))
            )
        )
        record_ids.update({(s, i): row_id for s, i, row_id in found})
    missing = [k for k in keys if k not in record_ids]
    if missing:
        raise LookupError(f"no source record for observation {missing[0]}")
    # The same record answered twice in one batch (two ids of one paper): one row, last wins.
    rows: dict[tuple[str, int, date], dict] = {}
    for o in observations:
        record_id = record_ids[(o.source, o.source_id)]
        rows[(o.source, record_id, o.observed_on)] = {
            "source_record_id": record_id,
            "source": o.source,
            "observed_on": o.observed_on,
            "citation_count": o.citation_count,
            "counts_by_year": (
                {str(y): n for y, n in o.counts_by_year.items()}
                if o.counts_by_year is not None
                else None
            ),
            "observed_at": now,
            "run_id": run_id,
        }
    existing: set[tuple[str, int, date]] = set()
    for part in chunks(list(rows), CHUNK):
        existing.update(
            session.execute(
                select(
                    CitationObservation.source,
                    CitationObservation.source_record_id,
                    CitationObservation.observed_on,
                ).where(
                    tuple_(
                        CitationObservation.source,
                        CitationObservation.source_record_id,
                        CitationObservation.observed_on,
                    ).in_(list(part))
                )
            ).tuples()
        )
    stmt = insert_for(session, CitationObservation)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "source_record_id", "observed_on"],
        set_={
            c: stmt.excluded[c]
            for c in ("citation_count", "counts_by_year", "observed_at", "run_id")
        },
    )
    for part in chunks(list(rows.values()), CHUNK):
        session.execute(stmt, list(part))
    updated = len(existing)
    return len(rows) - updated, updated
