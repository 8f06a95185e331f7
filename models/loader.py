"""The write path: store source records, write their mentions, merge what they touched.

Canonical works and authors are clusters of mentions (``models.identity``); this module only
decides what changed and hands it on. Callers own the transaction: ``load_batch`` flushes but
never commits, so a batch and its checkpoint commit together.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from harvesters.records import QuarantinedInput, WorkRecord
from models.base import utcnow
from models.dialect import insert_for
from models.gc_pause import collector_paused
from models.identity.merge import merge_mentions, take_merge_lock
from models.identity.statistics import refresh_if_stale
from models.identity.store import among, record_identifiers, write_mentions
from models.identity.tables import MentionIdentifier
from models.provenance import QuarantinedRecord, SourceRecord
from models.sanitize import check_row
from models.works import Work

logger = logging.getLogger(__name__)

_IN_CHUNK = 5000


@dataclass
class LoadCounts:
    """What a load did: records seen, and how many were new, changed, unchanged or quarantined."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def __iadd__(self, other: LoadCounts) -> LoadCounts:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def content_hash(payload: str) -> str:
    """SHA-256 of a raw payload, hex."""
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_batch(session: Session, records: Sequence[WorkRecord], run_id: int | None) -> LoadCounts:
    """Store ``records`` as source records and mentions, then merge what they touched.

    A record whose payload is byte-identical to the stored one only has ``last_seen`` moved (no
    mention rewritten, no merge); a changed payload replaces the stored one. Later duplicates in
    the batch win. Takes the merge lock first, so two loaders at once serialize their batches
    instead of splitting works. Flushes, does not commit. Python's cyclic collector is paused
    meanwhile (``models.gc_pause``).
    """
    with collector_paused():
        return _load_batch(session, records, run_id)


def _load_batch(session: Session, records: Sequence[WorkRecord], run_id: int | None) -> LoadCounts:
    counts = LoadCounts(fetched=len(records))
    latest: dict[tuple[str, str], WorkRecord] = {}
    for record in records:
        latest[(record.source, record.source_id)] = record
    take_merge_lock(session)
    refresh_if_stale(session)
    existing = _existing_hashes(session, latest)
    now = utcnow()

    unchanged_ids: list[int] = []
    to_write: list[tuple[WorkRecord, str, bool]] = []
    for key, record in latest.items():
        digest = content_hash(record.raw)
        known = existing.get(key)
        if known is not None and known[1] == digest:
            unchanged_ids.append(known[0])
        else:
            to_write.append((record, digest, known is not None))

    for start in range(0, len(unchanged_ids), _IN_CHUNK):
        session.execute(
            update(SourceRecord)
            .where(among(session, SourceRecord.id, unchanged_ids[start : start + _IN_CHUNK]))
            .values(last_seen=now, last_run_id=run_id)
        )
    counts.unchanged = len(unchanged_ids)
    if not to_write:
        return counts

    for record, _, _ in to_write:
        check_record(record)
    rows = [
        {
            "source": record.source,
            "source_id": record.source_id,
            "kind": "work",
            "payload": record.raw,
            "payload_format": record.raw_format,
            "content_hash": digest,
            "parsed": record.to_json(),
            "work_id": None,
            "first_seen": now,
            "last_seen": now,
            "changed_at": now,
            "first_run_id": run_id,
            "last_run_id": run_id,
        }
        for record, digest, _ in to_write
    ]
    rows = [check_row(SourceRecord.__table__, row) for row in rows]
    upsert_source_records(session, rows, keep_work=True)
    stored = _existing_hashes(session, [(r.source, r.source_id) for r, _, _ in to_write])
    record_ids = [stored[(r.source, r.source_id)][0] for r, _, _ in to_write]
    mention_ids = write_mentions(
        session, [(i, r) for i, (r, _, _) in zip(record_ids, to_write, strict=True)]
    )
    # The merge reads each record's parsed form as stored; this batch's are in hand.
    merge_mentions(
        session,
        mention_ids,
        parsed={i: as_stored(row["parsed"]) for i, row in zip(record_ids, rows, strict=True)},
        fresh=[m for m, (_, _, existed) in zip(mention_ids, to_write, strict=True) if not existed],
    )
    counts.updated = sum(1 for *_, existed in to_write if existed)
    counts.inserted = len(to_write) - counts.updated
    session.flush()
    return counts


def as_stored(value: Any) -> Any:
    """``value`` as a JSON column gives it back: tuples as lists, recursively (an empty tuple
    and an empty list differ in Python, not in the database)."""
    kind = type(value)
    if kind is dict:
        return {k: as_stored(v) if type(v) in _NESTED else v for k, v in value.items()}
    if kind in (list, tuple):
        return [as_stored(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (dict, list, tuple)


def check_record(record: WorkRecord) -> None:
    """Refuse a record one of whose values no column can hold on every dialect (an identifier
    over 255 characters, a category over 64, a year outside 32 bits): truncating would store
    a different identifier. Raises RowRejected; the caller quarantines that record alone."""
    for scheme, value in record_identifiers(record, truncate=False):
        check_row(MentionIdentifier.__table__, {"scheme": scheme, "value": value})
    check_row(
        Work.__table__,
        {
            "title": record.title,
            "year": record.year,
            "primary_category": record.primary_category,
            "month": record.month,
            "pages": record.pages,
        },
    )


_REPLACED_ON_CHANGE = (
    "payload",
    "payload_format",
    "content_hash",
    "parsed",
    "work_id",
    "last_seen",
    "changed_at",
    "last_run_id",
)


def upsert_source_records(
    session: Session, rows: list[dict[str, Any]], *, keep_work: bool = False
) -> None:
    """Insert ``source_record`` rows; a row whose ``(source, source_id)`` exists replaces the
    stored payload, hash, parsed form and last-seen fields (``first_seen``/``first_run_id``
    stay). ``keep_work`` leaves ``work_id`` as stored (records that are not works)."""
    if not rows:
        return
    stmt = insert_for(session, SourceRecord)
    replaced = [c for c in _REPLACED_ON_CHANGE if not (keep_work and c == "work_id")]
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "source_id"],
        set_={name: stmt.excluded[name] for name in replaced},
    )
    session.execute(stmt, rows)


def quarantine(session: Session, items: Iterable[QuarantinedInput], run_id: int | None) -> int:
    """Keep unparseable input verbatim with its reason; the same input twice is stored once."""
    rows = [
        {
            "source": item.source,
            "source_id": item.source_id,
            "reason": item.reason,
            "payload": item.raw,
            "content_hash": content_hash(item.raw),
            "first_seen": utcnow(),
            "last_run_id": run_id,
        }
        for item in items
    ]
    if not rows:
        return 0
    stmt = insert_for(session, QuarantinedRecord)
    stmt = stmt.on_conflict_do_update(
        index_elements=["source", "content_hash"],
        set_={"last_run_id": stmt.excluded.last_run_id, "reason": stmt.excluded.reason},
    )
    session.execute(stmt, rows)
    return len(rows)


def _existing_hashes(
    session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, str]]:
    by_source: dict[str, list[str]] = {}
    for source, source_id in keys:
        by_source.setdefault(source, []).append(source_id)
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for source, ids in by_source.items():
        for start in range(0, len(ids), _IN_CHUNK):
            rows = session.execute(
                select(SourceRecord.id, SourceRecord.source_id, SourceRecord.content_hash).where(
                    SourceRecord.source == source,
                    among(session, SourceRecord.source_id, ids[start : start + _IN_CHUNK]),
                )
            )
            for row_id, source_id, digest in rows:
                found[(source, source_id)] = (row_id, digest)
    return found
