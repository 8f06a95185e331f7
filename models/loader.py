"""The write path: store source records, then upsert canonical works, authors, authorships.

Merging is by identifier only (same arXiv id, same DOI...). Callers own the transaction:
``load_batch`` flushes but never commits, so a batch and its checkpoint commit together.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from harvesters.normalize import name_key, title_match_key
from harvesters.records import AuthorName, QuarantinedInput, WorkRecord
from models.authors import Author, AuthorIdentifier, AuthorNameVariant, Authorship
from models.base import utcnow
from models.dialect import insert_for
from models.precedence import may_override
from models.provenance import QuarantinedRecord, SourceRecord
from models.works import Work, WorkIdentifier, WorkLink

logger = logging.getLogger(__name__)

_IN_CHUNK = 500


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
    """Store ``records`` and upsert what they say into the canonical tables.

    A record whose payload is byte-identical to the stored one only has ``last_seen`` moved;
    a changed payload replaces the stored one and re-applies it. Later duplicates in the batch
    win. Flushes, does not commit.
    """
    counts = LoadCounts(fetched=len(records))
    latest: dict[tuple[str, str], WorkRecord] = {}
    for record in records:
        latest[(record.source, record.source_id)] = record
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
            .where(SourceRecord.id.in_(unchanged_ids[start : start + _IN_CHUNK]))
            .values(last_seen=now, last_run_id=run_id)
        )
    counts.unchanged = len(unchanged_ids)

    authors = _AuthorResolver(session)
    rows = []
    for record, digest, existed in to_write:
        work_id = _apply_to_work(session, record, authors, now)
        rows.append(
            {
                "source": record.source,
                "source_id": record.source_id,
                "kind": "work",
                "payload": record.raw,
                "payload_format": record.raw_format,
                "content_hash": digest,
                "parsed": record.to_json(),
                "work_id": work_id,
                "first_seen": now,
                "last_seen": now,
                "changed_at": now,
                "first_run_id": run_id,
                "last_run_id": run_id,
            }
        )
        if existed:
            counts.updated += 1
        else:
            counts.inserted += 1
    upsert_source_records(session, rows)
    session.flush()
    return counts


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
                    SourceRecord.source_id.in_(ids[start : start + _IN_CHUNK]),
                )
            )
            for row_id, source_id, digest in rows:
                found[(source, source_id)] = (row_id, digest)
    return found


# Sources whose records may join a work by title and year when no identifier matches
# (a Google Scholar row rarely names a DOI or arXiv id); the fuzzy merge step comes later.
TITLE_YEAR_SOURCES = frozenset({"scholar"})


def _work_by_title_year(session: Session, record: WorkRecord) -> list[int]:
    """The one work with the same title match key and a year within one of the record's,
    unless it carries another identifier of one of the record's schemes (two different ids
    of one source never merge; Scholar entries of two different profiles may); nothing when
    the title is short, the year unknown or the match ambiguous."""
    key = title_match_key(record.title)
    if record.year is None or len(key.split()) < 4:
        return []
    candidates = set(
        session.scalars(
            select(Work.id).where(
                Work.match_key == key, Work.year.between(record.year - 1, record.year + 1)
            )
        )
    )
    if candidates and record.identifiers:
        rows = session.execute(
            select(WorkIdentifier.work_id, WorkIdentifier.scheme, WorkIdentifier.value).where(
                WorkIdentifier.work_id.in_(candidates),
                WorkIdentifier.scheme.in_(list(record.identifiers)),
            )
        )
        candidates -= {
            work_id
            for work_id, scheme, value in rows
            if _same_namespace(scheme, value, record.identifiers[scheme])
        }
    return sorted(candidates) if len(candidates) == 1 else []


def _same_namespace(scheme: str, one: str, other: str) -> bool:
    """Whether two ids of a scheme come from the same issuer: a Scholar ``user:pub`` id per
    profile, any other scheme as a whole."""
    if scheme == "scholar_pub":
        return one.split(":", 1)[0] == other.split(":", 1)[0]
    return True


def _apply_to_work(
    session: Session, record: WorkRecord, authors: _AuthorResolver, now: datetime
) -> int:
    """Find the work ``record`` describes by identifier (or create it) and update it."""
    pairs = list(record.identifiers.items())
    work_ids: list[int] = []
    if pairs:
        condition = or_(
            *(and_(WorkIdentifier.scheme == s, WorkIdentifier.value == v) for s, v in pairs)
        )
        work_ids = sorted(set(session.scalars(select(WorkIdentifier.work_id).where(condition))))
    if not work_ids and record.source in TITLE_YEAR_SOURCES:
        work_ids = _work_by_title_year(session, record)
    if len(work_ids) > 1:
        # Two works already claim identifiers of this record: the merge step decides, not us.
        logger.warning(
            "record %s:%s matches works %s; attached to %s",
            record.source,
            record.source_id,
            work_ids,
            work_ids[0],
        )
    if work_ids:
        work = session.get_one(Work, work_ids[0])
        take_fields = may_override(record.source, work.canonical_source)
    else:
        work = Work(title=record.title, match_key="", canonical_source=record.source)
        session.add(work)
        take_fields = True

    if take_fields:
        work.title = record.title
        work.match_key = title_match_key(record.title)
        work.abstract = record.abstract
        work.year = record.year
        work.published_on = record.published
        work.updated_on = record.updated
        work.venue = record.venue
        work.journal_ref = record.journal_ref
        work.comment = record.comment
        work.primary_category = record.primary_category
        work.categories = list(record.categories)
        work.month = record.month
        work.pages = record.pages
        work.venues = list(record.venues) or None
        work.editors = [_person_json(e) for e in record.editors] or None
        work.awards = list(record.awards) or None
        work.canonical_source = record.source
        work.updated_at = now
    session.flush()

    if pairs:
        stmt = insert_for(session, WorkIdentifier).on_conflict_do_nothing(
            index_elements=["scheme", "value"]
        )
        session.execute(
            stmt,
            [
                {"work_id": work.id, "scheme": s, "value": v, "source": record.source}
                for s, v in pairs
            ],
        )
    links: list[tuple[str, str, str | None]] = [("code", url, None) for url in record.code_links]
    links += [("page", url, None) for url in record.urls]
    links += [("pdf", record.pdf_url, None)] if record.pdf_url else []
    links += [("attachment", a.url, a.kind) for a in record.attachments]
    unique: dict[str, tuple[str, str, str | None]] = {}
    for link in links:
        unique.setdefault(link[1], link)  # one row per URL (unique per work): first kind wins
    links = list(unique.values())
    if links:
        stmt = insert_for(session, WorkLink).on_conflict_do_nothing(
            index_elements=["work_id", "url"]
        )
        session.execute(
            stmt,
            [
                {
                    "work_id": work.id,
                    "kind": kind,
                    "url": url[:1024],
                    "source": record.source,
                    "label": label,
                }
                for kind, url, label in links
            ],
        )
    if take_fields:
        session.execute(delete(Authorship).where(Authorship.work_id == work.id))
        if record.authors:
            session.execute(
                insert_for(session, Authorship),
                [
                    {
                        "work_id": work.id,
                        "author_id": authors.resolve(author),
                        "position": position,
                        "raw_name": author.name[:255],
                        "affiliations": list(author.affiliations),
                        "source": record.source,
                    }
                    for position, author in enumerate(record.authors)
                ],
            )
    return work.id


def _person_json(person: AuthorName) -> dict[str, Any]:
    """An editor (or other person) as stored in a JSON column: name, affiliations, ids."""
    return {"name": person.name, "affiliations": list(person.affiliations), "ids": person.ids}


class _AuthorResolver:
    """Finds or creates the author an ``AuthorName`` denotes, caching within one batch.

    Strong ids (``AuthorName.ids``) are tried first; sources without them fall back to the
    provisional ``name`` identifier (the folded name). Homonyms sharing a folded name are
    merged by this fallback until the author-merge step replaces it, except when their
    strong ids of one scheme differ: then they stay two authors.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cache: dict[tuple[str, str], int] = {}
        self.variants: set[tuple[int, str]] = set()

    def resolve(self, author: AuthorName) -> int:
        keys = [(scheme, value) for scheme, value in author.ids.items() if value]
        key = name_key(author.name)
        keys.append(("name", key or author.name.strip().lower() or "?"))
        known = self._known(keys)
        # Strong ids first, in the order given; the folded name last, and only when the
        # author it names has no other id in a scheme this name carries (two ACL person
        # ids, two ORCIDs: two people, whatever the name).
        author_id = next((known[k] for k in keys[:-1] if k in known), None)
        if author_id is None and keys[-1] in known:
            candidate = known[keys[-1]]
            if not self._conflicts(candidate, dict(keys[:-1])):
                author_id = candidate
        if author_id is None:
            new = Author(display_name=author.name[:255], name_key=key)
            self.session.add(new)
            self.session.flush()
            author_id = new.id
        new_keys = [k for k in keys if k not in known]
        if new_keys:
            stmt = insert_for(self.session, AuthorIdentifier).on_conflict_do_nothing(
                index_elements=["scheme", "value"]
            )
            self.session.execute(
                stmt, [{"author_id": author_id, "scheme": s, "value": v} for s, v in new_keys]
            )
            self.cache.update(dict.fromkeys(new_keys, author_id))
        variant = (author_id, author.name[:255])
        if variant not in self.variants:
            stmt = insert_for(self.session, AuthorNameVariant).on_conflict_do_nothing(
                index_elements=["author_id", "name"]
            )
            self.session.execute(stmt, [{"author_id": author_id, "name": variant[1]}])
            self.variants.add(variant)
        return author_id

    def _conflicts(self, author_id: int, ids: dict[str, str]) -> bool:
        """Whether ``author_id`` already has a different id in one of ``ids``' schemes."""
        if not ids:
            return False
        rows = self.session.execute(
            select(AuthorIdentifier.scheme, AuthorIdentifier.value).where(
                AuthorIdentifier.author_id == author_id,
                AuthorIdentifier.scheme.in_(list(ids)),
            )
        )
        return any(ids[scheme] != value for scheme, value in rows)

    def _known(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Which of ``keys`` already belong to an author, and to whom (cached per batch)."""
        missing = [k for k in keys if k not in self.cache]
        if missing:
            condition = or_(
                *(
                    and_(AuthorIdentifier.scheme == s, AuthorIdentifier.value == v)
                    for s, v in missing
                )
            )
            rows = self.session.execute(
                select(
                    AuthorIdentifier.scheme, AuthorIdentifier.value, AuthorIdentifier.author_id
                ).where(condition)
            )
            for scheme, value, author_id in rows:
                self.cache[(scheme, value)] = author_id
        return {k: self.cache[k] for k in keys if k in self.cache}
