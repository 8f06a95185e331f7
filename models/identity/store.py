"""Writing mentions: one work mention per source record, its ids, blocks and author mentions.

Set-based: per batch one multi-row upsert per table and one look-up of the new ids, whatever the
batch size (chunks of ``CHUNK`` rows keep statements within the databases' parameter limits).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    Enum,
    Integer,
    String,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from harvesters.normalize import initials_key, title_match_key
from harvesters.records import WorkRecord
from models.base import utcnow
from models.dialect import insert_for
from models.identity import matching
from models.identity.tables import (
    AuthorMention,
    AuthorMentionIdentifier,
    MentionBlock,
    MentionIdentifier,
    WorkMention,
)

# Rows per executemany and values per IN list: within SQLite's 32,766 and PostgreSQL's 65,535
# parameters, and large enough that a 1,000-record batch needs one statement per look-up.
CHUNK = 5000
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size`` (typed loosely: one loop variable is reused over
    chunks of ids, keys and rows alike)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def among(session: Session, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values``. On SQLite the values go as one JSON parameter read back by
    ``json_each`` (the planner still looks each one up by the column's index): SQLAlchemy's
    expanding IN rendered, named and bound one parameter per value, which cost more than the
    look-ups of a 1,000-record batch's thousands of ids. Elsewhere a plain ``IN``."""
    if session.get_bind().dialect.name != "sqlite":
        return column.in_(values)
    listed = func.json_each(bindparam(None, json.dumps(list(values)), type_=String))
    return column.in_(select(listed.table_valued("value").c.value).scalar_subquery())


def core(session: Session) -> Connection:
    """The session's connection, for the write path's own Core statements: they skip the ORM's
    result and bulk-statement machinery. Pending ORM objects are flushed first, as the ORM's
    autoflush would before a query."""
    session.flush()
    return session.connection()


def rows_among(
    session: Session, columns: Sequence[Any], column: Any, values: Sequence[Any]
) -> list[Any]:
    """The rows of ``columns`` whose ``column`` is one of ``values``, in one statement per
    :func:`chunks` of them (rows of distinct chunks in chunk order)."""
    rows: list[Any] = []
    for part in chunks(values):
        rows += (
            core(session)
            .execute(select(*columns).where(among(session, column, part)))
            .tuples()
            .all()
        )
    return rows


def group_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """``(scheme, value)`` pairs as scheme -> values."""
    grouped: dict[str, set[str]] = defaultdict(set)
    for scheme, value in pairs:
        grouped[scheme].add(value)
    return grouped


def id_partners(session: Session, table: Any, owner: str, owners: list[int]) -> set[int]:
    """Owners (``owner`` column of an identifier ``table`` with ``scheme``/``value``) holding an
    identifier that one of ``owners`` holds, ``owners`` included."""
    column = table.c[owner]
    held = core(session).execute(
        select(table.c.scheme, table.c.value).where(among(session, column, owners))
    )
    found: set[int] = set()
    for scheme, values in group_pairs((s, v) for s, v in held).items():
        for vpart in chunks(sorted(values)):
            found.update(
                core(session).scalars(
                    select(column).where(
                        table.c.scheme == scheme, among(session, table.c.value, vpart)
                    )
                )
            )
    return found


def block_holders(
    session: Session, blocks: Collection[str], limit_of: Callable[[str], int | None]
) -> tuple[dict[str, list[int]], set[str]]:
    """The work mentions holding each of ``blocks`` (ascending), but for a block held by more
    than ``limit_of(block)`` mentions (None: no limit): those are refused, and at most one
    holder past the limit is read for them (a common key gains holders with every paper
    loaded; counting all of them cost more with every batch). Returns ``(holders by block,
    blocks refused)``; a block no mention holds is in neither."""
    by_limit: dict[int | None, list[str]] = defaultdict(list)
    for block in blocks:
        by_limit[limit_of(block)].append(block)
    found: dict[str, list[int]] = defaultdict(list)
    refused: set[str] = set()
    for limit, group in sorted(by_limit.items(), key=lambda item: (item[0] is None, item[0])):
        for part in chunks(sorted(group)):
            for block, mention_id in _first_holders(session, part, limit):
                found[block].append(mention_id)
        if limit is not None:
            refused.update(b for b in group if len(found.get(b, ())) > limit)
    holders = {b: sorted(ids) for b, ids in found.items() if b not in refused}
    return holders, refused


def _first_holders(session: Session, blocks: list[str], limit: int | None) -> list[Any]:
    """``(block, mention_id)`` rows of ``blocks``, at most ``limit + 1`` per block: one
    statement whose cost is bounded per block (a lateral ``LIMIT`` on PostgreSQL, a
    correlated ``LIMIT`` on the rowid on SQLite)."""
    connection = core(session)
    dialect = connection.dialect.name
    if limit is None or dialect not in ("postgresql", "sqlite"):
        rows = connection.execute(
            select(MentionBlock.block, MentionBlock.mention_id).where(
                among(session, MentionBlock.block, blocks)
            )
        ).all()
        if limit is None:
            return list(rows)
        per_block: dict[str, int] = defaultdict(int)
        kept = []
        for block, mention_id in rows:
            per_block[block] += 1
            if per_block[block] <= limit + 1:
                kept.append((block, mention_id))
        return kept
    if dialect == "postgresql":
        sql = (
            "SELECT b.block, h.mention_id FROM unnest(CAST(:blocks AS text[])) AS b(block)"
            " CROSS JOIN LATERAL (SELECT mention_id FROM mention_block"
            " WHERE block = b.block LIMIT :n) AS h"
        )
        values: Any = list(blocks)
    else:
        sql = (
            "SELECT j.value, mb.mention_id FROM json_each(:blocks) AS j"
            " JOIN mention_block AS mb ON mb.id IN (SELECT m2.id FROM mention_block AS m2"
            " WHERE m2.block = j.value LIMIT :n)"
        )
        values = json.dumps(list(blocks))
    return list(connection.execute(text(sql), {"blocks": values, "n": limit + 1}).all())


def insert_new_rows(session: Session, table: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) that cannot conflict: their owners' old rows
    were deleted in this transaction, under the merge lock. ``COPY`` on PostgreSQL (several
    times faster than multi-row INSERTs there), executemany elsewhere. Columns missing from
    the rows must be nullable or database-generated: no Python-side default is applied."""
    if not rows:
        return
    connection = core(session)
    t = table.__table__
    columns = list(rows[0])
    if connection.dialect.name == "sqlite" and all(
        isinstance(t.c[c].type, _DRIVER_TYPES) and not isinstance(t.c[c].type, Enum)
        for c in columns
    ):
        _sqlite_executemany(connection, t, columns, rows)
        return
    if connection.dialect.name != "postgresql":
        stmt = insert(t)
        for part in chunks(rows):
            connection.execute(stmt, part)
        return
    as_json = [isinstance(t.c[c].type, JSON) for c in columns]
    names = ", ".join(f'"{c}"' for c in columns)
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    with dbapi.cursor() as cursor, cursor.copy(f'COPY "{t.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[c]) if is_json and row[c] is not None else row[c]
                    for c, is_json in zip(columns, as_json, strict=True)
                ]
            )


# Column types the sqlite3 driver stores as SQLAlchemy would (JSON is encoded here as its
# bind processor encodes it); a table with any other type (dates) goes through SQLAlchemy.
_DRIVER_TYPES = (Integer, String, JSON)


def _sqlite_executemany(
    connection: Connection, t: Any, columns: list[str], rows: Sequence[dict[str, Any]]
) -> None:
    """``rows`` inserted with the driver's own executemany on tuples: SQLAlchemy's per-row
    parameter building cost more than SQLite's insert of a small row. JSON values are encoded
    as ``sqlalchemy.JSON`` does (``None`` as JSON ``null`` unless the type says SQL NULL)."""
    encode = [
        (lambda v, n=t.c[c].type.none_as_null: _as_json(v, n))
        if isinstance(t.c[c].type, JSON)
        else None
        for c in columns
    ]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{t.name}" ({names}) VALUES ({marks})'
    plain = all(e is None for e in encode)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for part in chunks(rows):
            if plain:
                values = [tuple(r[c] for c in columns) for r in part]
            else:
                values = [
                    tuple(
                        r[c] if e is None else e(r[c]) for c, e in zip(columns, encode, strict=True)
                    )
                    for r in part
                ]
            cursor.executemany(sql, values)
    finally:
        cursor.close()


def _as_json(value: Any, none_as_null: bool) -> str | None:
    """``value`` encoded as ``sqlalchemy.JSON`` encodes it (empty ones without the encoder:
    most author mentions carry no ids and no affiliations)."""
    if value is None and none_as_null:
        return None
    if not value and isinstance(value, (dict, list, tuple)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


def update_by_id(session: Session, table: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """``UPDATE table SET ... WHERE id = :id`` for each of ``rows`` (dicts with ``id`` and the
    same other columns), as one Core executemany per chunk: the ORM's bulk update by primary key
    spent several times as long per row building its own parameters."""
    if not rows:
        return
    t = table.__table__
    columns = [c for c in rows[0] if c != "id"]
    connection = core(session)
    if connection.dialect.name == "sqlite" and all(
        type(t.c[c].type) in (Integer, String) for c in [*columns, "id"]
    ):
        # Plain integers and strings: the driver's executemany on tuples, as for inserts.
        sets = ", ".join(f'"{c}" = ?' for c in columns)
        sql = f'UPDATE "{t.name}" SET {sets} WHERE "id" = ?'
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            for part in chunks(rows):
                cursor.executemany(sql, [(*(r[c] for c in columns), r["id"]) for r in part])
        finally:
            cursor.close()
        return
    stmt = (
        t.update()
        .where(t.c.id == bindparam("b_id", type_=t.c.id.type))
        .values({c: bindparam(f"b_{c}", type_=t.c[c].type) for c in columns})
    )
    for part in chunks(rows):
        connection.execute(
            stmt, [{"b_id": r["id"], **{f"b_{c}": r[c] for c in columns}} for r in part]
        )


def mention_key(source: str, source_id: str) -> str:
    """The stable key of a source record's mention: ``source:source_id``."""
    return f"{source}:{source_id}"


def record_identifiers(record: WorkRecord, *, truncate: bool = True) -> list[tuple[str, str]]:
    """Every (scheme, value) a record carries, the primary ones first, without duplicates
    (cut to the column sizes unless ``truncate`` is false: the loader refuses such records
    before writing, see ``models.loader.check_record``)."""
    pairs = [(s, v) for s, v in record.identifiers.items() if v]
    pairs += [(s, v) for s, v in getattr(record, "other_identifiers", ()) if v]
    if truncate:
        pairs = [(s[:32], v[:255]) for s, v in pairs]
    return list(dict.fromkeys(pairs))


def profile_of(record: WorkRecord) -> str | None:
    """The Scholar profile an entry belongs to (its ids are ``user:pub``), else None."""
    if record.source == "scholar" and ":" in record.source_id:
        return record.source_id.split(":", 1)[0][:64]
    return None


def as_matching_mention(record: WorkRecord) -> matching.WorkMention:
    """The matcher's view of a record (the same one the merge step reads back)."""
    return matching.WorkMention(
        key=mention_key(record.source, record.source_id),
        source=record.source,
        title=record.title,
        year=record.year,
        venue=record.venue,
        ids=dict(record.identifiers),
        authors=tuple(a.name for a in record.authors),
        profile=profile_of(record),
    )


def write_mentions(session: Session, records: Sequence[tuple[int, WorkRecord]]) -> list[int]:
    """Upsert the mentions of ``(source_record_id, record)`` pairs and replace their ids,
    blocks and author mentions. Returns the mention ids. Flushes nothing else; no commit."""
    if not records:
        return []
    now = utcnow()
    rows = []
    for source_record_id, record in records:
        rows.append(
            {
                "source_record_id": source_record_id,
                "key": mention_key(record.source, record.source_id),
                "source": record.source,
                "title": record.title,
                "title_key": title_match_key(record.title),
                "year": record.year,
                "venue": record.venue,
                "profile": profile_of(record),
                "ids": dict(record.identifiers),
                "updated_at": now,
            }
        )
    stmt = insert_for(session, WorkMention)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={c: stmt.excluded[c] for c in rows[0] if c != "key"},
    )
    for part in chunks(rows):
        core(session).execute(stmt, list(part))
    keys = [r["key"] for r in rows]
    ids_by_key: dict[Any, int] = {}
    for part in chunks(keys):
        ids_by_key.update(
            core(session)
            .execute(
                select(WorkMention.key, WorkMention.id).where(among(session, WorkMention.key, part))
            )
            .tuples()
            .all()
        )
    mention_ids = [ids_by_key[k] for k in keys]

    for table in (MentionIdentifier, MentionBlock):
        for part in chunks(mention_ids):
            core(session).execute(delete(table).where(among(session, table.mention_id, part)))
    for part in chunks(mention_ids):
        core(session).execute(
            delete(AuthorMention).where(among(session, AuthorMention.work_mention_id, part))
        )

    identifier_rows: list[dict[str, Any]] = []
    block_rows: list[dict[str, Any]] = []
    author_rows: list[dict[str, Any]] = []
    author_ids_wanted: list[tuple[int, int, dict[str, str]]] = []
    for mention_id, (_, record) in zip(mention_ids, records, strict=True):
        identifier_rows += [
            {"mention_id": mention_id, "scheme": s, "value": v}
            for s, v in record_identifiers(record)
        ]
        prepared = matching.prepare_work(as_matching_mention(record))
        blocks = matching.work_block_keys(prepared) + matching.author_block_keys(
            mention_key(record.source, record.source_id), [a.name[:255] for a in record.authors]
        )
        block_rows += [
            {"mention_id": mention_id, "block": b} for b in dict.fromkeys(b[:255] for b in blocks)
        ]
        for position, author in enumerate(record.authors):
            author_rows.append(
                {
                    "work_mention_id": mention_id,
                    "position": position,
                    "name": author.name[:255],
                    "initials_key": initials_key(author.name)[:255],
                    "ids": {k: v for k, v in author.ids.items() if v},
                    "affiliations": list(author.affiliations),
                }
            )
            strong = {
                k: v[:255] for k, v in author.ids.items() if v and k in matching.AUTHOR_ID_SCHEMES
            }
            if strong:
                author_ids_wanted.append((mention_id, position, strong))
    _insert_all(session, MentionIdentifier, identifier_rows)
    # This batch's mentions had their blocks and author mentions deleted above: nothing to
    # conflict with (one row per block and per position of a mention).
    insert_new_rows(session, MentionBlock, block_rows)
    insert_new_rows(session, AuthorMention, author_rows)
    if author_ids_wanted:
        wanted_mentions = sorted({m for m, _, _ in author_ids_wanted})
        by_position: dict[tuple[int, int], int] = {}
        for part in chunks(wanted_mentions):
            rows_found = core(session).execute(
                select(
                    AuthorMention.work_mention_id, AuthorMention.position, AuthorMention.id
                ).where(among(session, AuthorMention.work_mention_id, part))
            )
            by_position.update({(m, p): i for m, p, i in rows_found})
        _insert_all(
            session,
            AuthorMentionIdentifier,
            [
                {"author_mention_id": by_position[(m, p)], "scheme": s, "value": v}
                for m, p, strong in author_ids_wanted
                for s, v in strong.items()
            ],
        )
    return mention_ids


def _insert_all(session: Session, table: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    if not batch:
        return
    stmt = insert_for(session, table).on_conflict_do_nothing()
    for part in chunks(batch):
        core(session).execute(stmt, list(part))
