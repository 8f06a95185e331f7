"""The merge step: mentions -> clusters -> canonical works, authors and authorships.

Incremental and re-runnable: :func:`merge_mentions` takes the mentions a load touched, grows them
to every mention that could change cluster with them (shared id, shared block, same current
cluster, an override between them), re-clusters that closure from scratch with
``models.identity.matching`` and writes the result. The clusters therefore depend only on the
stored mentions and overrides, never on load order. :func:`merge_all` re-clusters everything.

Stable ids: a cluster keeps the canonical id most of its mentions had; an id that loses all its
mentions to another cluster is absorbed (its rows move, ``identity_redirect`` records where).
Callers own the transaction and hold the merge lock (:func:`take_merge_lock`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from harvesters.normalize import given_compatible, name_key, name_parts, title_match_key
from models.authors import Author, AuthorIdentifier, AuthorNameVariant, Authorship, TrackedAuthor
from models.base import utcnow
from models.dialect import insert_for
from models.gc_pause import collector_paused
from models.github.tables import GitHubAuthorRepository, GitHubWorkRepository
from models.identity import matching
from models.identity.author_closure import author_closure
from models.identity.printed import PrintedAuthors
from models.identity.store import (
    among,
    block_holders,
    chunks,
    group_pairs,
    id_partners,
    insert_new_rows,
    rows_among,
    update_by_id,
)
from models.identity.store import core as _core
from models.identity.tables import (
    AuthorMention,
    IdentityOverride,
    IdentityRedirect,
    MentionBlock,
    MentionIdentifier,
    MergeDecision,
    MergeLock,
    WorkMention,
)
from models.precedence import rank
from models.provenance import SourceRecord
from models.scholar.tables import ScholarProfile
from models.works import Work, WorkIdentifier, WorkLink

logger = logging.getLogger(__name__)

MAX_CLOSURE_ROUNDS = 12
# Rounds of the work closure's partner step: each round takes in the block partners the rule
# merges with the previous round's members (and what is tied to them), so a chain of reworded
# versions needs one round per link; each round's ties take up to MAX_CLOSURE_ROUNDS more.
MAX_PARTNER_ROUNDS = 4 * MAX_CLOSURE_ROUNDS
# Fields a canonical work takes from its mentions' parsed records, best-ranked source first.
WORK_FIELDS = (
    "title",
    "abstract",
    "year",
    "published",
    "updated",
    "venue",
    "journal_ref",
    "comment",
    "primary_category",
    "categories",
    "month",
    "pages",
    "venues",
    "editors",
    "awards",
)
_COLUMN_OF = {"published": "published_on", "updated": "updated_on"}


@dataclass
class MergeCounts:
    """What one merge did."""

    mentions: int = 0
    works_created: int = 0
    works_absorbed: int = 0
    authors_created: int = 0
    authors_absorbed: int = 0
    decisions: int = 0
    affected_works: set[int] = field(default_factory=set)


def take_merge_lock(session: Session) -> None:
    """Serialize writers: an UPDATE of the one lock row waits for any other transaction that
    holds it (a row lock on PostgreSQL, the database write lock on SQLite)."""
    taken: Any = session.execute(
        update(MergeLock).where(MergeLock.id == 1).values(taken_at=utcnow())
    )
    if taken.rowcount == 0:  # a schema made without the migration's seed row
        _core(session).execute(insert_for(session, MergeLock).on_conflict_do_nothing(), [{"id": 1}])
        session.execute(update(MergeLock).where(MergeLock.id == 1).values(taken_at=utcnow()))


# ----------------------------------------------------------------------------- closure


def _work_closure(
    session: Session, seed: Collection[int], printed: PrintedAuthors
) -> tuple[
    dict[int, tuple[_Loaded, matching.WorkMention]],
    set[str],
    list[matching.Decision],
    dict[str, Any],
]:
    """``seed`` grown to every work mention that can be in one cluster with it: what a shared
    identifier, the same current work or an override ties to it (:func:`_tied`), and each
    mention sharing a work block of at most ``MAX_BLOCK`` stored mentions with a member that
    the fuzzy rule (``matching.score_work_pair``) would merge with that member, with what is
    tied to it in turn. Block partners the rule keeps apart stay out: their clusters cannot
    change, so the work per batch does not grow with how many papers share a block.

    Returns the members (id -> stored row and matcher view), the blocks of theirs that more
    than ``MAX_BLOCK`` stored mentions share (the matcher compares none, so whether two
    mentions meet in one does not depend on what else was loaded with them), and the rule's
    decisions between a member and a partner left out (the audit trail keeps them, as it would
    with the partner re-clustered too), and ``matching.prepare_work`` of every member by key."""
    members: set[int] = set()
    holders_of: dict[str, list[int]] = {}  # blocks of at most MAX_BLOCK stored mentions
    oversized: set[str] = set()
    views: dict[int, tuple[_Loaded, matching.WorkMention]] = {}
    prepared: dict[int, Any] = {}
    apart: dict[tuple[int, int], matching.Decision] = {}
    frontier = _tied(session, seed, members)
    for _ in range(MAX_PARTNER_ROUNDS):
        if not frontier:
            break
        members |= frontier
        blocks_of = _work_blocks_of(session, frontier)
        wanted = {b for bs in blocks_of.values() for b in bs} - holders_of.keys() - oversized
        _count_holders(session, wanted, holders_of, oversized)
        candidates: dict[int, set[int]] = defaultdict(set)  # partner -> members sharing a block
        for mention_id, blocks in blocks_of.items():
            for block in blocks:
                for other in holders_of.get(block, ()):
                    if other not in members:
                        candidates[other].add(mention_id)
        _load_views(session, set(candidates) | frontier, views, printed)
        for i in set(candidates) | frontier:
            if i not in prepared:
                prepared[i] = matching.prepare_work(views[i][1])
        joining: set[int] = set()
        for partner, near in sorted(candidates.items()):
            for member in sorted(near):
                decision = matching.score_work_pair(prepared[member], prepared[partner])
                if decision is None:
                    continue
                if decision.outcome == "merge":
                    joining.add(partner)
                    break
                apart[(member, partner)] = decision
        frontier = _tied(session, joining, members) if joining else set()
    kept = [d for (_, partner), d in sorted(apart.items()) if partner not in members]
    ready = {views[i][0].key: prepared[i] for i in members}
    return {i: views[i] for i in members}, oversized, kept, ready


def _tied(session: Session, seed: Collection[int], known: set[int]) -> set[int]:
    """``seed`` and every mention tied to it, transitively, by a shared identifier, the same
    current work or an operator override (mentions in ``known`` are not followed again)."""
    found = set(seed) - known
    frontier = set(found)
    for _ in range(MAX_CLOSURE_ROUNDS):
        if not frontier:
            break
        new: set[int] = set()
        for part in chunks(sorted(frontier)):
            new |= id_partners(session, MentionIdentifier.__table__, "mention_id", part)
            works = sorted(
                w
                for w in _core(session).scalars(
                    select(WorkMention.work_id).where(
                        among(session, WorkMention.id, part), WorkMention.work_id.is_not(None)
                    )
                )
                if w is not None
            )
            for wpart in chunks(works):
                new.update(
                    _core(session).scalars(
                        select(WorkMention.id).where(among(session, WorkMention.work_id, wpart))
                    )
                )
        new |= _override_partners(session, "work", new | frontier)
        frontier = new - found - known
        found |= frontier
    return found


def _work_blocks_of(session: Session, mention_ids: Collection[int]) -> dict[int, list[str]]:
    """The stored work blocks (not author blocks) of each of ``mention_ids``."""
    blocks: dict[int, list[str]] = defaultdict(list)
    for part in chunks(sorted(mention_ids)):
        for mention_id, block in _core(session).execute(
            select(MentionBlock.mention_id, MentionBlock.block).where(
                among(session, MentionBlock.mention_id, part),
                *(~MentionBlock.block.startswith(p) for p in matching.AUTHOR_BLOCK_PREFIXES),
            )
        ):
            blocks[mention_id].append(block)
    return blocks


def _count_holders(
    session: Session, blocks: Collection[str], holders_of: dict[str, list[int]], oversized: set[str]
) -> None:
    """Sort ``blocks`` into those more than ``MAX_BLOCK`` stored mentions share (``oversized``)
    and the rest, whose holders go to ``holders_of``."""
    holders, refused = block_holders(session, blocks, lambda _: matching.MAX_BLOCK)
    holders_of.update(holders)
    oversized |= refused


def _load_views(
    session: Session,
    mention_ids: Collection[int],
    views: dict[int, tuple[_Loaded, matching.WorkMention]],
    printed: PrintedAuthors,
) -> None:
    """The stored row and matcher view of each of ``mention_ids`` not in ``views`` yet."""
    missing = set(mention_ids) - views.keys()
    if missing:
        loaded, mentions = _load_work_mentions(session, missing, printed)
        by_key = {m.key: m for m in mentions}
        for key, row in loaded.items():
            views[row.row_id] = (row, by_key[key])


def _no_overrides(session: Session, entity: str) -> bool:
    """True when no operator override of ``entity`` exists (the usual case: one cheap query
    instead of one per chunk of keys)."""
    first = select(IdentityOverride.id).where(IdentityOverride.entity == entity).limit(1)
    return session.scalar(first) is None


def _override_partners(session: Session, entity: str, mention_ids: Iterable[int]) -> set[int]:
    if entity != "work" or _no_overrides(session, entity):
        return set()
    keys = _keys_of(session, mention_ids)
    if not keys:
        return set()
    partners: set[str] = set()
    for part in chunks(sorted(keys)):
        rows = _core(session).execute(
            select(IdentityOverride.left_key, IdentityOverride.right_key).where(
                IdentityOverride.entity == "work",
                or_(
                    among(session, IdentityOverride.left_key, part),
                    among(session, IdentityOverride.right_key, part),
                ),
            )
        )
        for left, right in rows:
            partners.update((left, right))
    partners -= keys
    found: set[int] = set()
    for part in chunks(sorted(partners)):
        found.update(
            _core(session).scalars(
                select(WorkMention.id).where(among(session, WorkMention.key, part))
            )
        )
    return found


def _keys_of(session: Session, mention_ids: Iterable[int]) -> set[str]:
    keys: set[str] = set()
    for part in chunks(sorted(set(mention_ids))):
        keys.update(
            _core(session).scalars(
                select(WorkMention.key).where(among(session, WorkMention.id, part))
            )
        )
    return keys


def _overrides(session: Session, entity: str, keys: set[str]) -> tuple[list, list]:
    merges: list[tuple[str, str]] = []
    splits: list[tuple[str, str]] = []
    if _no_overrides(session, entity):
        return merges, splits
    for part in chunks(sorted(keys)):
        rows = _core(session).execute(
            select(
                IdentityOverride.action, IdentityOverride.left_key, IdentityOverride.right_key
            ).where(
                IdentityOverride.entity == entity, among(session, IdentityOverride.left_key, part)
            )
        )
        for action, left, right in rows:
            (merges if action == "merge" else splits).append((left, right))
    return merges, splits


# ----------------------------------------------------------------------------- works


@dataclass
class _Loaded:
    row_id: int
    key: str
    source: str
    work_id: int | None
    source_record_id: int


def merge_mentions(
    session: Session,
    seed: Collection[int],
    parsed: Mapping[int, dict[str, Any]] | None = None,
    fresh: Collection[int] = (),
) -> MergeCounts:
    """Re-cluster the mentions ``seed`` and everything connected to them; write the result.

    ``parsed`` may give source records' parsed form by id, as stored in this transaction (the
    loader's own batch): those are not read back. ``fresh`` names work mentions created in
    this transaction: no stored decision can name them or their authors, so none is looked
    up (most of a load's mentions are new)."""
    counts = MergeCounts()
    if not seed:
        return counts
    printed = PrintedAuthors(session)
    members, oversized_blocks, outside, prepared = _work_closure(session, seed, printed)
    counts.mentions = len(members)
    loaded = {row.key: row for row, _ in members.values()}
    mentions = [view for _, view in members.values()]
    keys = set(loaded)
    merges, splits = _overrides(session, "work", keys)
    resolution = matching.resolve_works(
        mentions,
        force_merge=merges,
        force_split=splits,
        oversized_blocks=oversized_blocks,
        prepared=prepared,
    )
    assignment, absorbed = _assign_ids(
        [[loaded[k].work_id for k in cluster] for cluster in resolution.clusters],
        _next_id(session, Work),
    )
    counts.works_created = sum(1 for wid, new in assignment if new)
    counts.works_absorbed = len(absorbed)
    work_of_key: dict[str, int] = {}
    for cluster, (work_id, _) in zip(resolution.clusters, assignment, strict=True):
        for k in cluster:
            work_of_key[k] = work_id

    parsed = _parsed_records(session, (m.source_record_id for m in loaded.values()), parsed)
    _write_works(session, resolution.clusters, assignment, loaded, parsed)
    _move_work_references(session, absorbed)
    _write_mention_work_ids(session, loaded, work_of_key, printed)
    _write_work_identifiers(session, resolution.clusters, assignment, loaded, absorbed)
    _write_work_links(session, resolution.clusters, assignment, loaded, parsed)
    fresh_set = set(fresh)
    new_keys = {k for k, m in loaded.items() if m.row_id in fresh_set}
    counts.decisions = _write_decisions(
        session, "work", keys, resolution.decisions + outside, new_keys
    )
    affected = {wid for wid, _ in assignment}
    _delete_absorbed(session, Work, "work", absorbed)
    counts.affected_works = affected

    author_counts = merge_authors_of(session, [loaded[k].row_id for k in keys], fresh_set, printed)
    counts.authors_created = author_counts.authors_created
    counts.authors_absorbed = author_counts.authors_absorbed
    rebuild_authorships(session, affected | author_counts.affected_works, printed)
    return counts


def _load_work_mentions(
    session: Session, members: Collection[int], printed: PrintedAuthors
) -> tuple[dict[str, _Loaded], list[matching.WorkMention]]:
    loaded: dict[str, _Loaded] = {}
    raw: dict[int, Any] = {}
    for part in chunks(sorted(members)):
        for row in _core(session).execute(
            select(
                WorkMention.id,
                WorkMention.key,
                WorkMention.source,
                WorkMention.title,
                WorkMention.year,
                WorkMention.venue,
                WorkMention.ids,
                WorkMention.profile,
                WorkMention.work_id,
                WorkMention.source_record_id,
            ).where(among(session, WorkMention.id, part))
        ):
            raw[row.id] = row
    names = {w.id: tuple(a.name for a in w.authors) for w in printed.of_works(sorted(raw))}
    mentions = []
    for row_id, row in raw.items():
        loaded[row.key] = _Loaded(row_id, row.key, row.source, row.work_id, row.source_record_id)
        mentions.append(
            matching.WorkMention(
                key=row.key,
                source=row.source,
                title=row.title,
                year=row.year,
                venue=row.venue,
                ids=dict(row.ids or {}),
                authors=names.get(row_id, ()),
                profile=row.profile,
            )
        )
    return loaded, mentions


def _next_id(session: Session, table: type[Any]) -> int:
    return int(_core(session).scalar(select(func.coalesce(func.max(table.id), 0))) or 0) + 1


def _assign_ids(
    current: list[list[int | None]], next_id: int
) -> tuple[list[tuple[int, bool]], dict[int, int]]:
    """Give each cluster an id: the existing id most of its members had (ties: the smaller id),
    each existing id to one cluster at most; the rest get new ids. Returns ``[(id, is_new)]``
    per cluster and ``{absorbed id: id that took its members}``."""
    votes = []
    for index, ids in enumerate(current):
        held = [i for i in ids if i is not None]
        if not held:
            continue
        if len(held) == 1 or all(i == held[0] for i in held):  # the usual case: one id
            votes.append((-len(held), held[0], index))
            continue
        for old_id, n in Counter(held).items():
            votes.append((-n, old_id, index))
    votes.sort()
    chosen: dict[int, int] = {}
    taken: set[int] = set()
    for _, old_id, index in votes:
        if index not in chosen and old_id not in taken:
            chosen[index] = old_id
            taken.add(old_id)
    result: list[tuple[int, bool]] = []
    for index in range(len(current)):
        if index in chosen:
            result.append((chosen[index], False))
        else:
            result.append((next_id, True))
            next_id += 1
    # Lost every member: it redirects to the cluster holding most of them (ties: the first).
    # Counted once per cluster (was a scan of every cluster per absorbed id and member).
    held: dict[int, Counter[int]] = defaultdict(Counter)  # old id -> cluster index -> members
    for index, ids in enumerate(current):
        for old_id in ids:
            if old_id is not None and old_id not in taken:
                held[old_id][index] += 1
    absorbed: dict[int, int] = {}
    for old_id, where in held.items():
        best = max(where, key=lambda j: (where[j], -j))
        absorbed[old_id] = result[best][0]
    return result, absorbed


def _parsed_records(
    session: Session, record_ids: Iterable[int], known: Mapping[int, dict[str, Any]] | None
) -> dict[int, dict[str, Any]]:
    """The parsed form of each of ``record_ids``, from ``known`` or read."""
    wanted = set(record_ids)
    found: dict[int, dict[str, Any]] = {i: v for i, v in (known or {}).items() if i in wanted}
    for part in chunks(sorted(wanted - found.keys())):
        found.update(
            _core(session)
            .execute(
                select(SourceRecord.id, SourceRecord.parsed).where(
                    among(session, SourceRecord.id, part)
                )
            )
            .tuples()
            .all()
        )
    return found


def _ranked(members: Iterable[_Loaded]) -> list[_Loaded]:
    return sorted(members, key=lambda m: (rank(m.source), m.key))


def canonical_fields(ranked: list[tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], dict]:
    """Each field from the best-ranked ``(source, parsed)`` that has it, and which source that
    was. ``ranked`` is best first."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name in WORK_FIELDS:
        for source, parsed in ranked:
            value = parsed.get(name)
            if value not in (None, "", [], {}):
                values[name] = value
                sources[name] = source
                break
    return values, sources


def _write_works(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    loaded: Mapping[str, _Loaded],
    parsed: Mapping[int, dict[str, Any]],
) -> None:
    now = utcnow()
    new_rows, updates = [], []
    for cluster, (work_id, is_new) in zip(clusters, assignment, strict=True):
        ranked = _ranked(loaded[k] for k in cluster)
        values, sources = canonical_fields(
            [(m.source, parsed.get(m.source_record_id) or {}) for m in ranked]
        )
        row = _work_row(values)
        row.update(
            id=work_id,
            canonical_source=ranked[0].source,
            field_sources=sources,
            updated_at=now,
        )
        if is_new:
            row["created_at"] = now
            new_rows.append(row)
        else:
            updates.append(row)
    if new_rows:
        stmt = insert_for(session, Work)
        for part in chunks(new_rows):
            _core(session).execute(stmt, list(part))
        _bump_sequence(session, "work")
    update_by_id(session, Work, updates)


def _work_row(values: Mapping[str, Any]) -> dict[str, Any]:
    from datetime import date

    row: dict[str, Any] = {}
    for name in WORK_FIELDS:
        value = values.get(name)
        if name in ("published", "updated") and isinstance(value, str):
            value = date.fromisoformat(value)
        if name in ("venues", "editors", "awards") and not value:
            value = None
        if name == "categories":
            value = list(value or [])
        row[_COLUMN_OF.get(name, name)] = value
    title = values.get("title") or ""
    row["title"] = title
    row["match_key"] = title_match_key(title)
    if row.get("primary_category"):
        row["primary_category"] = str(row["primary_category"])[:64]
    for short in ("month", "pages"):
        if row.get(short):
            row[short] = str(row[short])[:64]
    return row


def _bump_sequence(session: Session, table: str) -> None:
    """After explicit ids, move PostgreSQL's id sequence past them (other writers use it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def _move_work_references(session: Session, absorbed: Mapping[int, int]) -> None:
    for old_id, new_id in sorted(absorbed.items()):
        for table, unique_with in ((WorkLink, "url"), (GitHubWorkRepository, "repository_id")):
            column = getattr(table, unique_with)
            kept = select(column).where(table.work_id == new_id)
            session.execute(
                update(table)
                .where(table.work_id == old_id, column.not_in(kept))
                .values(work_id=new_id)
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(table).where(table.work_id == old_id))
        session.execute(
            update(SourceRecord).where(SourceRecord.work_id == old_id).values(work_id=new_id)
        )


def _delete_absorbed(
    session: Session, table: type[Any], entity: str, absorbed: Mapping[int, int]
) -> None:
    if not absorbed:
        return
    now = utcnow()
    for old_id, new_id in sorted(absorbed.items()):
        # Earlier redirects to the absorbed id now lead to its successor.
        session.execute(
            update(IdentityRedirect)
            .where(IdentityRedirect.entity == entity, IdentityRedirect.new_id == old_id)
            .values(new_id=new_id)
        )
    stmt = insert_for(session, IdentityRedirect)
    stmt = stmt.on_conflict_do_update(
        index_elements=["entity", "old_id"],
        set_={"new_id": stmt.excluded.new_id, "redirected_at": stmt.excluded.redirected_at},
    )
    session.execute(
        stmt,
        [
            {"entity": entity, "old_id": o, "new_id": n, "redirected_at": now}
            for o, n in sorted(absorbed.items())
        ],
    )
    # A re-used id (a split gave it back) no longer redirects.
    session.execute(
        delete(IdentityRedirect).where(
            IdentityRedirect.entity == entity,
            IdentityRedirect.old_id.in_(sorted(set(absorbed.values()))),
        )
    )
    for part in chunks(sorted(absorbed)):
        session.execute(delete(table).where(among(session, table.id, part)))


def _write_mention_work_ids(
    session: Session,
    loaded: Mapping[str, _Loaded],
    work_of_key: Mapping[str, int],
    printed: PrintedAuthors,
) -> None:
    changed = [
        (m.row_id, m.source_record_id, work_of_key[k])
        for k, m in loaded.items()
        if m.work_id != work_of_key[k]
    ]
    if not changed:
        return
    for mention_id, _, work_id in changed:
        printed.set_work(mention_id, work_id)
    update_by_id(session, WorkMention, [{"id": m, "work_id": w} for m, _, w in changed])
    update_by_id(session, SourceRecord, [{"id": r, "work_id": w} for _, r, w in changed])


def _write_work_identifiers(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    loaded: Mapping[str, _Loaded],
    absorbed: Mapping[int, int],
) -> None:
    work_ids = sorted({w for w, _ in assignment} | set(absorbed))
    for part in chunks(work_ids):
        _core(session).execute(
            delete(WorkIdentifier).where(among(session, WorkIdentifier.work_id, part))
        )
    row_ids = [m.row_id for m in loaded.values()]
    by_mention: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for part in chunks(sorted(row_ids)):
        for mention_id, scheme, value in _core(session).execute(
            select(MentionIdentifier.mention_id, MentionIdentifier.scheme, MentionIdentifier.value)
            .where(among(session, MentionIdentifier.mention_id, part))
            .order_by(MentionIdentifier.id)
        ):
            by_mention[mention_id].append((scheme, value))
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for cluster, (work_id, _) in zip(clusters, assignment, strict=True):
        for m in _ranked(loaded[k] for k in cluster):
            for scheme, value in by_mention[m.row_id]:
                # Two clusters may share a value when a guard kept them apart: the first
                # (best-ranked, then smaller key) keeps it; the decision log says why.
                rows.setdefault(
                    (scheme, value),
                    {"work_id": work_id, "scheme": scheme, "value": value, "source": m.source},
                )
    if rows:
        stmt = insert_for(session, WorkIdentifier).on_conflict_do_nothing(
            index_elements=["scheme", "value"]
        )
        for part in chunks(list(rows.values())):
            _core(session).execute(stmt, list(part))


def _write_work_links(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    loaded: Mapping[str, _Loaded],
    parsed: Mapping[int, dict[str, Any]],
) -> None:
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for cluster, (work_id, _) in zip(clusters, assignment, strict=True):
        for m in _ranked(loaded[k] for k in cluster):
            record = parsed.get(m.source_record_id) or {}
            links: list[tuple[str, str, str | None]] = [
                ("code", u, None) for u in record.get("code_links") or ()
            ]
            links += [("page", u, None) for u in record.get("urls") or ()]
            if record.get("pdf_url"):
                links.append(("pdf", record["pdf_url"], None))
            links += [
                ("attachment", str(a.get("url")), a.get("kind"))
                for a in record.get("attachments") or ()
                if isinstance(a, dict) and a.get("url")
            ]
            for kind, url, label in links:
                url = str(url)[:1024]
                rows.setdefault(
                    (work_id, url),
                    {
                        "work_id": work_id,
                        "kind": kind,
                        "url": url,
                        "source": m.source,
                        "label": label,
                    },
                )
    if rows:
        stmt = insert_for(session, WorkLink).on_conflict_do_nothing(
            index_elements=["work_id", "url"]
        )
        for part in chunks(list(rows.values())):
            _core(session).execute(stmt, list(part))


def _write_decisions(
    session: Session,
    entity: str,
    keys: set[str],
    decisions: list[matching.Decision],
    new_keys: Collection[str] = (),
) -> int:
    """Make the stored decisions touching ``keys`` exactly ``decisions``: a stored decision
    that is taken again stays as it is (with the time it was first taken), the others are
    deleted, new ones inserted. A re-merge takes most decisions again; deleting and
    re-inserting them all made the decision log churn with every batch. ``new_keys`` (of
    ``keys``) belong to mentions created in this transaction: none is looked up. Returns how
    many decisions were taken."""
    stored: dict[int, tuple] = {}  # row id -> what it says
    columns = (
        MergeDecision.id,
        MergeDecision.left_key,
        MergeDecision.right_key,
        MergeDecision.outcome,
        MergeDecision.rule,
        MergeDecision.score,
        MergeDecision.inputs,
    )
    # One SELECT per side: SQLite scans the whole table for "left IN (...) OR right IN (...)";
    # each side alone uses its index.
    for part in chunks(sorted(keys - set(new_keys))):
        for side in (MergeDecision.left_key, MergeDecision.right_key):
            for row_id, *said in _core(session).execute(
                select(*columns).where(MergeDecision.entity == entity, among(session, side, part))
            ):
                stored[row_id] = _said(*said)
    wanted = Counter(
        _said(d.left[:320], d.right[:320], d.outcome, d.rule[:255], d.score, d.inputs)
        for d in decisions
    )
    gone = []
    for row_id, said in sorted(stored.items()):
        if wanted[said] > 0:
            wanted[said] -= 1
        else:
            gone.append(row_id)
    for part in chunks(gone):
        _core(session).execute(delete(MergeDecision).where(among(session, MergeDecision.id, part)))
    now = utcnow()
    rows = [
        {
            "entity": entity,
            "left_key": left,
            "right_key": right,
            "outcome": outcome,
            "rule": rule,
            "score": score,
            "inputs": json.loads(inputs),
            "decided_at": now,
        }
        for (left, right, outcome, rule, score, inputs), n in sorted(wanted.items())
        for _ in range(n)
    ]
    if rows:
        stmt = insert_for(session, MergeDecision)
        for part in chunks(rows):
            _core(session).execute(stmt, list(part))
    return len(decisions)


def _said(
    left: str, right: str, outcome: str, rule: str, score: float | None, inputs: Any
) -> tuple:
    """A decision as comparable values (its inputs as canonical JSON)."""
    return (left, right, outcome, rule, score, json.dumps(dict(inputs or {}), sort_keys=True))


# ----------------------------------------------------------------------------- authors


@dataclass
class _AuthorLoaded:
    row_id: int
    key: str
    author_id: int | None
    work_mention_id: int


def merge_authors_of(
    session: Session,
    work_mention_ids: Collection[int],
    fresh: Collection[int] = (),
    printed: PrintedAuthors | None = None,
) -> MergeCounts:
    """Re-cluster the author mentions printed on ``work_mention_ids`` and those connected to
    them (shared strong id, same surname and initial, same current author). ``fresh``: work
    mentions created in this transaction (see :func:`merge_mentions`)."""
    counts = MergeCounts()
    printed = printed or PrintedAuthors(session)
    seed = {a.id for w in printed.of_works(sorted(set(work_mention_ids))) for a in w.authors}
    if not seed:
        return counts
    closure = author_closure(session, seed | _author_override_partners(session, seed), printed)
    members = closure.members
    if closure.cut:
        logger.warning(
            "author closure cut after %d rounds (%d mentions)", closure.rounds, len(members)
        )
    loaded, mentions, work_cluster = _load_author_mentions(session, members, printed)
    counts.mentions = len(members)
    merges, splits = _overrides(session, "author", set(loaded) | _tracked_keys(session))
    mentions = _with_tracked_overrides(mentions, merges)
    resolution = matching.resolve_authors(
        mentions,
        work_cluster,
        force_merge=[p for p in merges if not p[0].startswith("tracked:")],
        force_split=[p for p in splits if not p[0].startswith("tracked:")],
        oversized_pairs=closure.oversized,
    )
    anchors = _author_anchors(session, mentions)
    current = [
        [loaded[k].author_id for k in cluster] + [a for k in cluster for a in anchors.get(k, ())]
        for cluster in resolution.clusters
    ]
    assignment, absorbed = _assign_ids(current, _next_id(session, Author))
    counts.authors_created = sum(1 for _, new in assignment if new)
    counts.authors_absorbed = len(absorbed)
    by_key = {m.key: m for m in mentions}
    _write_authors(session, resolution.clusters, assignment, by_key)
    _move_author_references(session, absorbed)
    changed = []
    touched_mentions: set[int] = set()
    for cluster, (author_id, _) in zip(resolution.clusters, assignment, strict=True):
        for k in cluster:
            if loaded[k].author_id != author_id:
                changed.append({"id": loaded[k].row_id, "author_id": author_id})
                touched_mentions.add(loaded[k].work_mention_id)
    update_by_id(session, AuthorMention, changed)
    for row in changed:
        printed.set_author(row["id"], row["author_id"])
    _write_author_identifiers(session, resolution.clusters, assignment, by_key)
    reviews = _tracked_candidates(session, resolution.clusters, assignment, by_key)
    fresh_set = set(fresh)
    _write_decisions(
        session,
        "author",
        set(loaded),
        resolution.decisions + reviews + closure.outside,
        {k for k, m in loaded.items() if m.work_mention_id in fresh_set},
    )
    _delete_absorbed(session, Author, "author", absorbed)
    # Only an author mention whose author changed changes an authorship (the works whose
    # mentions were rewritten are rebuilt by the caller anyway).
    counts.affected_works = {
        w.work_id for w in printed.of_works(sorted(touched_mentions)) if w.work_id is not None
    }
    return counts


def _tracked_keys(session: Session) -> set[str]:
    return {tracked_key(i) for i in _core(session).scalars(select(TrackedAuthor.id))}


def _with_tracked_overrides(
    mentions: list[matching.AuthorMention], merges: list[tuple[str, str]]
) -> list[matching.AuthorMention]:
    """An operator's "this mention is the tracked person" gives the mention their tracked id."""
    wanted = {right: left.split(":", 1)[1] for left, right in merges if left.startswith("tracked:")}
    if not wanted:
        return mentions
    result = []
    for m in mentions:
        if m.key in wanted:
            m = dataclasses.replace(m, ids={**m.ids, "tracked": wanted[m.key]})
        result.append(m)
    return result


def _author_override_partners(session: Session, seed: Collection[int]) -> set[int]:
    """Author mentions named by an override together with one of ``seed``."""
    if _no_overrides(session, "author"):
        return set()
    keys: dict[str, int] = {}
    for part in chunks(sorted(seed)):
        for mention_id, work_key, position in _core(session).execute(
            select(AuthorMention.id, WorkMention.key, AuthorMention.position)
            .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            .where(among(session, AuthorMention.id, part))
        ):
            keys[f"{work_key}#{position}"] = mention_id
    partners: set[str] = set()
    for part in chunks(sorted(keys)):
        for left, right in _core(session).execute(
            select(IdentityOverride.left_key, IdentityOverride.right_key).where(
                IdentityOverride.entity == "author",
                or_(
                    among(session, IdentityOverride.left_key, part),
                    among(session, IdentityOverride.right_key, part),
                ),
            )
        ):
            partners.update(k for k in (left, right) if not k.startswith("tracked:"))
    # Mentions an operator gave to a tracked person are few; always re-read them, so a merge
    # started anywhere in that person's cluster keeps them.
    partners.update(
        _core(session).scalars(
            select(IdentityOverride.right_key).where(
                IdentityOverride.entity == "author",
                IdentityOverride.action == "merge",
                IdentityOverride.left_key.like("tracked:%"),
            )
        )
    )
    found: set[int] = set()
    for key in sorted(partners - set(keys)):
        work_key, _, position = key.rpartition("#")
        found.update(
            _core(session).scalars(
                select(AuthorMention.id)
                .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
                .where(WorkMention.key == work_key, AuthorMention.position == int(position))
            )
        )
    return found


def _load_author_mentions(
    session: Session, members: Collection[int], printed: PrintedAuthors
) -> tuple[dict[str, _AuthorLoaded], list[matching.AuthorMention], dict[str, str]]:
    rows = printed.of_authors(sorted(members))
    # A work's printed names and where each position stands among them, once per work: a
    # mention's co-authors are the names around its own (was a scan per author: quadratic
    # in a work's author count).
    names_of: dict[int, tuple[str, ...]] = {}
    index_of: dict[int, dict[int, int]] = {}
    for w in printed.of_works(sorted({r.work_mention_id for r in rows})):
        names_of[w.id] = tuple(a.name for a in w.authors)
        index_of[w.id] = {a.position: i for i, a in enumerate(w.authors)}
    loaded: dict[str, _AuthorLoaded] = {}
    mentions = []
    work_cluster: dict[str, str] = {}
    for r in rows:
        w = printed.works[r.work_mention_id]
        key = f"{w.key}#{r.position}"
        loaded[key] = _AuthorLoaded(r.id, key, r.author_id, r.work_mention_id)
        if w.work_id is not None:
            work_cluster[w.key] = str(w.work_id)
        mentions.append(
            matching.AuthorMention(
                key=key,
                name=r.name,
                ids=dict(r.ids),
                work_key=w.key,
                position=r.position,
                coauthors=_without(
                    names_of[r.work_mention_id], index_of[r.work_mention_id], r.position
                ),
                venue=w.venue,
                year=w.year,
            )
        )
    return loaded, mentions, work_cluster


def _without(names: tuple[str, ...], index: Mapping[int, int], position: int) -> tuple[str, ...]:
    at = index.get(position)
    return names if at is None else names[:at] + names[at + 1 :]


def _author_anchors(
    session: Session, mentions: list[matching.AuthorMention]
) -> dict[str, list[int]]:
    """Existing authors that own a mention's strong id (a tracked author added before any of
    their works was harvested): the cluster adopts that author's id."""
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for m in mentions:
        for scheme, value in m.ids.items():
            if scheme in matching.AUTHOR_ID_SCHEMES and value:
                wanted[(scheme, value)].append(m.key)
    anchors: dict[str, list[int]] = defaultdict(list)
    for scheme, values in group_pairs(wanted).items():
        for vpart in chunks(sorted(values)):
            for value, author_id in _core(session).execute(
                select(AuthorIdentifier.value, AuthorIdentifier.author_id).where(
                    AuthorIdentifier.scheme == scheme, among(session, AuthorIdentifier.value, vpart)
                )
            ):
                for key in wanted[(scheme, value)]:
                    anchors[key].append(author_id)
    return anchors


def tracked_key(tracked_id: int) -> str:
    """The decision-log key of a tracked author (left side of its review candidates)."""
    return f"tracked:{tracked_id}"


def _tracked_candidates(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    by_key: Mapping[str, matching.AuthorMention],
) -> list[matching.Decision]:
    """Author mentions that may be a tracked person by name alone ("A. Del Maestro" for a
    tracked "Adrian Del Maestro"; "Tobias Windisch" on a paper fetched by id) but are not in
    their cluster: kept apart, and recorded as ``review`` so ``show`` lists them and an
    operator can confirm with a force-merge."""
    tracked = (
        _core(session)
        .execute(select(TrackedAuthor.id, TrackedAuthor.name, TrackedAuthor.author_id))
        .all()
    )
    by_surname: dict[str, list[Any]] = defaultdict(list)
    for row in tracked:
        by_surname[name_parts(row.name)[1]].append(row)
    if not by_surname:
        return []
    found = []
    for cluster, (author_id, _) in zip(clusters, assignment, strict=True):
        for key in cluster:
            given, surname = name_parts(by_key[key].name)
            for row in by_surname.get(surname, ()):
                if row.author_id == author_id:
                    continue
                ok, _ = given_compatible(given, name_parts(row.name)[0])
                if ok and given:
                    found.append(
                        matching.Decision(
                            tracked_key(row.id),
                            key,
                            "review",
                            "possibly the tracked author (name only)",
                            None,
                            {"printed": by_key[key].name, "tracked": row.name},
                        )
                    )
    return found


def display_name(names: Iterable[str]) -> str:
    """The fullest printed form: most given-name letters, then most frequent, then sorted."""
    printed = [n for n in names if n.strip()]
    if not printed:
        return "?"
    if all(n == printed[0] for n in printed):  # the usual case: one printed form
        return printed[0]
    counted = Counter(printed)
    return min(
        counted,
        key=lambda n: (-sum(len(g) for g in name_parts(n)[0]), -counted[n], n),
    )


def _write_authors(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    by_key: Mapping[str, matching.AuthorMention],
) -> None:
    now = utcnow()
    kept_ids = sorted(a for a, new in assignment if not new)
    tracked_names: dict[int | None, str] = dict(
        rows_among(
            session,
            (TrackedAuthor.author_id, TrackedAuthor.name),
            TrackedAuthor.author_id,
            kept_ids,
        )
    )
    stored: dict[int, tuple[str, str]] = {
        author_id: (shown, key)
        for author_id, shown, key in rows_among(
            session, (Author.id, Author.display_name, Author.name_key), Author.id, kept_ids
        )
    }
    # The name variants a kept author has already: only the missing ones are written (a batch
    # re-clusters every mention of each author it touches, and almost all of their names are
    # stored from an earlier batch).
    has_variant: set[tuple[int, str]] = set(
        rows_among(
            session,
            (AuthorNameVariant.author_id, AuthorNameVariant.name),
            AuthorNameVariant.author_id,
            kept_ids,
        )
    )
    new_rows, updates, variants = [], [], []
    for cluster, (author_id, is_new) in zip(clusters, assignment, strict=True):
        names = [by_key[k].name for k in cluster]
        # A tracked person is shown by the name the operator gave them.
        shown = (tracked_names.get(author_id) or display_name(names))[:255]
        before = stored.get(author_id)
        if is_new:
            new_rows.append(
                {
                    "id": author_id,
                    "display_name": shown,
                    "name_key": name_key(shown),
                    "created_at": now,
                }
            )
        elif before is None or before[0] != shown:  # unchanged authors are not rewritten
            updates.append({"id": author_id, "display_name": shown, "name_key": name_key(shown)})
        variants += [
            {"author_id": author_id, "name": name}
            for name in sorted({n[:255] for n in names})
            if (author_id, name) not in has_variant
        ]
    if new_rows:
        stmt = insert_for(session, Author)
        for part in chunks(new_rows):
            _core(session).execute(stmt, list(part))
        _bump_sequence(session, "author")
    update_by_id(session, Author, updates)
    # Only variants not stored yet, one per (author, name): nothing to conflict with (under
    # the merge lock).
    insert_new_rows(session, AuthorNameVariant, variants)


def _move_author_references(session: Session, absorbed: Mapping[int, int]) -> None:
    for old_id, new_id in sorted(absorbed.items()):
        tables: tuple[Any, ...] = (ScholarProfile, TrackedAuthor, AuthorIdentifier, Authorship)
        for table in tables:
            session.execute(update(table).where(table.author_id == old_id).values(author_id=new_id))
        unique_pairs: tuple[tuple[Any, str], ...] = (
            (AuthorNameVariant, "name"),
            (GitHubAuthorRepository, "repository_id"),
        )
        for table, unique_with in unique_pairs:
            column = getattr(table, unique_with)
            kept = select(column).where(table.author_id == new_id)
            session.execute(
                update(table)
                .where(table.author_id == old_id, column.not_in(kept))
                .values(author_id=new_id)
                .execution_options(synchronize_session=False)
            )
            session.execute(delete(table).where(table.author_id == old_id))


def _write_author_identifiers(
    session: Session,
    clusters: list[list[str]],
    assignment: list[tuple[int, bool]],
    by_key: Mapping[str, matching.AuthorMention],
) -> None:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for cluster, (author_id, _) in zip(clusters, assignment, strict=True):
        for k in cluster:
            for scheme, value in by_key[k].ids.items():
                if value:
                    rows.setdefault(
                        (scheme[:32], str(value)[:255]),
                        {"author_id": author_id, "scheme": scheme[:32], "value": str(value)[:255]},
                    )
    if not rows:
        return
    # An id that moved with its mentions to another cluster follows them; only ids not stored
    # yet are inserted (a batch re-clusters whole authors, whose ids are mostly stored).
    stored: set[tuple[str, str]] = set()
    for scheme, values in group_pairs(rows).items():
        for vpart in chunks(sorted(values)):
            existing = (
                _core(session)
                .execute(
                    select(
                        AuthorIdentifier.id, AuthorIdentifier.value, AuthorIdentifier.author_id
                    ).where(
                        AuthorIdentifier.scheme == scheme,
                        among(session, AuthorIdentifier.value, vpart),
                    )
                )
                .all()
            )
            moves = [
                {"id": i, "author_id": rows[(scheme, v)]["author_id"]}
                for i, v, a in existing
                if a != rows[(scheme, v)]["author_id"]
            ]
            update_by_id(session, AuthorIdentifier, moves)
            stored.update((scheme, v) for _, v, _ in existing)
    missing = [row for key, row in rows.items() if key not in stored]
    stmt = insert_for(session, AuthorIdentifier).on_conflict_do_nothing(
        index_elements=["scheme", "value"]
    )
    for part in chunks(missing):
        _core(session).execute(stmt, list(part))


# ----------------------------------------------------------------------------- authorships


def rebuild_authorships(
    session: Session, work_ids: Collection[int], printed: PrintedAuthors | None = None
) -> None:
    """Each work's authorships from its best-ranked mention that lists authors. ``printed``:
    the merge's author lists (read here when not given)."""
    ids = sorted(set(work_ids))
    if not ids:
        return
    printed = printed or PrintedAuthors(session)
    members: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for part in chunks(ids):
        for mention_id, key, source, work_id in _core(session).execute(
            select(WorkMention.id, WorkMention.key, WorkMention.source, WorkMention.work_id).where(
                among(session, WorkMention.work_id, part)
            )
        ):
            members[work_id].append((mention_id, key, source))
    all_mentions = sorted(m for ms in members.values() for m, _, _ in ms)
    authors = {w.id: w.authors for w in printed.of_works(all_mentions) if w.authors}
    rows = []
    for work_id in ids:
        ranked = sorted(members.get(work_id, []), key=lambda m: (rank(m[2]), m[1]))
        best = next(((m, s) for m, _, s in ranked if authors.get(m)), None)
        if best is None:
            continue
        mention_id, source = best
        for a in authors[mention_id]:  # in printed order
            if a.author_id is None:
                continue
            rows.append(
                {
                    "work_id": work_id,
                    "author_id": a.author_id,
                    "position": a.position,
                    "raw_name": a.name[:255],
                    "affiliations": list(a.affiliations or []),
                    "source": source,
                }
            )
    # Only works whose authorship list changed are rewritten: a batch touches every work of
    # every author it re-clusters, and most of those lists come out the same.
    wanted: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        wanted[row["work_id"]].append(
            _authorship_key(
                row["position"],
                row["author_id"],
                row["raw_name"],
                row["affiliations"],
                row["source"],
            )
        )
    stored: dict[int, list[tuple]] = defaultdict(list)
    for part in chunks(ids):
        for work_id, author_id, position, raw_name, affiliations, source in _core(session).execute(
            select(
                Authorship.work_id,
                Authorship.author_id,
                Authorship.position,
                Authorship.raw_name,
                Authorship.affiliations,
                Authorship.source,
            ).where(among(session, Authorship.work_id, part))
        ):
            stored[work_id].append(
                _authorship_key(position, author_id, raw_name, affiliations, source)
            )
    changed = [w for w in ids if sorted(stored.get(w, [])) != sorted(wanted.get(w, []))]
    for part in chunks(changed):
        _core(session).execute(delete(Authorship).where(among(session, Authorship.work_id, part)))
    changed_set = set(changed)
    # Their old authorships were deleted just above: nothing to conflict with.
    insert_new_rows(session, Authorship, [r for r in rows if r["work_id"] in changed_set])


def _authorship_key(
    position: int, author_id: int, raw_name: str, affiliations: Any, source: str
) -> tuple:
    """One authorship as comparable values (wanted rows and stored rows alike)."""
    return (position, author_id, raw_name, tuple(affiliations or ()), source)


# ----------------------------------------------------------------------------- everything


def merge_all(session: Session) -> MergeCounts:
    """Re-cluster every mention (after an override, a rule change or a migration)."""
    ids = list(_core(session).scalars(select(WorkMention.id).order_by(WorkMention.id)))
    with collector_paused():
        return merge_mentions(session, ids)
