"""Mentions for source records stored before the identity layer existed (migration a5d1e7f0c005).

A database filled by the earlier loader has source records and canonical works, but no mentions.
:func:`backfill_mentions` rebuilds the mentions from each record's stored ``parsed`` form, seeds
them with the work and author ids the old loader gave (so downstream readers keep their ids), and
re-merges everything. No source record is changed or dropped.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from harvesters.records import Attachment, AuthorName, WorkRecord
from models.authors import AuthorIdentifier, Authorship
from models.dialect import insert_for
from models.identity import matching
from models.identity.merge import MergeCounts, merge_all, take_merge_lock
from models.identity.store import chunks, write_mentions
from models.identity.tables import AuthorMention, MentionBlock, WorkMention
from models.provenance import SourceRecord

logger = logging.getLogger(__name__)


def record_from_parsed(source_record: Any) -> WorkRecord:
    """Rebuild the typed record a source record was stored from (``WorkRecord.to_json()``).
    Raises ValueError/TypeError/KeyError when ``parsed`` is not such a record."""
    data = dict(source_record.parsed)
    data["raw"] = source_record.payload
    for name in ("published", "updated"):
        if data.get(name):
            data[name] = date.fromisoformat(data[name])
    for name in ("authors", "editors"):
        data[name] = tuple(
            AuthorName(
                name=a["name"],
                affiliations=tuple(a.get("affiliations") or ()),
                ids=a.get("ids") or {},
            )
            for a in data.get(name) or ()
        )
    data["attachments"] = tuple(Attachment(**a) for a in data.get("attachments") or ())
    for name in ("categories", "urls", "code_links", "venues", "awards"):
        data[name] = tuple(data.get(name) or ())
    if "other_identifiers" in data:
        data["other_identifiers"] = tuple(tuple(p) for p in data["other_identifiers"] or ())
    known = set(WorkRecord.__dataclass_fields__)
    return WorkRecord(**{k: v for k, v in data.items() if k in known})


def needs_backfill(session: Session) -> bool:
    """Whether work source records exist that have no mention yet."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    SourceRecord.kind == "work",
                    ~exists().where(WorkMention.source_record_id == SourceRecord.id),
                )
            )
        )
    )


def backfill_mentions(session: Session, batch: int = 1000) -> MergeCounts:
    """Write the missing mentions (seeded with the old ids), then re-merge everything.
    Records whose ``parsed`` form cannot be read are logged and skipped, never deleted.
    Does not commit."""
    take_merge_lock(session)
    missing = select(SourceRecord).where(
        SourceRecord.kind == "work",
        ~exists().where(WorkMention.source_record_id == SourceRecord.id),
    )
    rows = list(session.scalars(missing.order_by(SourceRecord.id)))
    pairs: list[tuple[int, WorkRecord]] = []
    old_work: dict[int, int | None] = {}
    for row in rows:
        try:
            pairs.append((row.id, record_from_parsed(row)))
            old_work[row.id] = row.work_id
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("source record %s:%s not re-read: %s", row.source, row.source_id, exc)
    for part in chunks(pairs, batch):
        write_mentions(session, list(part))
    _seed_old_ids(session, old_work)
    # The provisional folded-name author ids of the old loader mean nothing now.
    session.execute(delete(AuthorIdentifier).where(AuthorIdentifier.scheme == "name"))
    counts = merge_all(session)
    logger.info("backfilled %d mention(s) from stored records", len(pairs))
    return counts


def _seed_old_ids(session: Session, old_work: dict[int, int | None]) -> None:
    for part in chunks(sorted(r for r, w in old_work.items() if w is not None)):
        seeds = [
            {"id": m, "work_id": old_work[r]}
            for m, r in session.execute(
                select(WorkMention.id, WorkMention.source_record_id).where(
                    WorkMention.source_record_id.in_(part)
                )
            )
        ]
        if seeds:
            session.execute(update(WorkMention), seeds)
    # Author mentions take the author the old authorship row of that work and position named.
    author_seeds = session.execute(
        select(AuthorMention.id, Authorship.author_id)
        .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
        .join(
            Authorship,
            (Authorship.work_id == WorkMention.work_id)
            & (Authorship.position == AuthorMention.position)
            & (Authorship.source == WorkMention.source),
        )
        .where(AuthorMention.author_id.is_(None))
    ).all()
    for part in chunks(author_seeds):
        session.execute(update(AuthorMention), [{"id": i, "author_id": a} for i, a in part])


def backfill_author_blocks(session: Session, batch: int = 1000) -> int:
    """Write the author blocks (``matching.author_block_keys``) of every stored work mention
    from its stored author names; blocks already there stay (idempotent). For mentions written
    before author blocks existed (migration f0b1c2d3b009). Returns the blocks inserted or
    already present. Does not commit."""
    stmt = insert_for(session, MentionBlock).on_conflict_do_nothing()
    last, written = 0, 0
    while True:
        mentions = session.execute(
            select(WorkMention.id, WorkMention.key)
            .where(WorkMention.id > last)
            .order_by(WorkMention.id)
            .limit(batch)
        ).all()
        if not mentions:
            return written
        last = mentions[-1].id
        names: dict[int, list[tuple[int, str]]] = {m.id: [] for m in mentions}
        for mention_id, position, name in session.execute(
            select(AuthorMention.work_mention_id, AuthorMention.position, AuthorMention.name).where(
                AuthorMention.work_mention_id.in_(list(names))
            )
        ):
            names[mention_id].append((position, name))
        rows = [
            {"mention_id": m.id, "block": block}
            for m in mentions
            for block in dict.fromkeys(
                b[:255]
                for b in matching.author_block_keys(m.key, [n for _, n in sorted(names[m.id])])
            )
        ]
        for part in chunks(rows):
            session.execute(stmt, list(part))
        written += len(rows)
