"""Which authors' metric inputs changed since their summary was computed, without reading
every author's inputs.

Database triggers (SQLite and PostgreSQL alike, so every write path is covered: the loader,
the merge and its overrides, the citation, Scholar and GitHub stores, a hand-written
``UPDATE``) append a row to ``metrics_change`` whenever a row an author's summary is computed
from is inserted, deleted, or has a column the summary reads updated. A row names what
changed, in the terms the trigger has at hand:

========== =====================================================================
``kind``   ``ref`` is ... and the authors it concerns
========== =====================================================================
author     an author id: that author
work       a work id: the work's authors (co-author counts, bylines, topics)
record     a source record id: the authors of the works its mentions belong to
coauthor   an author id whose name changed: the authors who share a work with it
repo       a GitHub repository id: its owner authors and the authors of its works
========== =====================================================================

:func:`pending_authors` first turns every other kind into ``author`` rows (set-based, in
SQL), then returns the marked authors and which rows it saw; :func:`clear` deletes, of those
rows only, the ones of the authors a run has recomputed, so a change written meanwhile (even
one whose id is lower than a seen one: PostgreSQL ids are handed out before commit) stays for
the next run.
The stored fingerprint remains the final guard: a marked author whose inputs hash as before
(a re-harvest reporting the same numbers) is not recomputed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Connection, Integer, String, delete, event, func, inspect, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

TABLE = "metrics_change"


class MetricsChange(Base):
    """One change to an author's metric inputs, appended by a trigger (see the module)."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[int] = mapped_column(Integer)


def _mark(kind: str, expr: str) -> str:
    """A trigger statement appending ``(kind, expr)``; ``{r}`` stands for NEW or OLD."""
    return f"INSERT INTO {TABLE} (kind, ref) SELECT '{kind}', {expr} WHERE {expr} IS NOT NULL"


#: (table, columns whose update matters, statements run for the NEW and the OLD row).
WATCHED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "authorship",
        ("author_id", "work_id", "position"),
        (_mark("author", "{r}.author_id"), _mark("work", "{r}.work_id")),
    ),
    ("work", ("year", "categories", "venues"), (_mark("work", "{r}.id"),)),
    ("author", ("display_name",), (_mark("author", "{r}.id"), _mark("coauthor", "{r}.id"))),
    (
        "work_mention",
        ("work_id", "source_record_id", "source", "profile"),
        (_mark("work", "{r}.work_id"),),
    ),
    ("source_record", ("source_id",), (_mark("record", "{r}.id"),)),
    (
        "citation_observation",
        ("source_record_id", "source", "observed_on", "citation_count", "counts_by_year"),
        (_mark("record", "{r}.source_record_id"),),
    ),
    (
        "scholar_profile",
        (
            "author_id",
            "scholar_id",
            "observed_at",
            "citedby",
            "hindex",
            "i10index",
            "citedby5y",
            "hindex5y",
            "i10index5y",
            "cites_per_year",
        ),
        (_mark("author", "{r}.author_id"),),
    ),
    (
        "scholar_publication",
        (
            "profile_id",
            "author_pub_id",
            "position",
            "num_citations",
            "observed_at",
            "payload",
            "filled_at",
            "listed",
        ),
        (
            # the profile's author (its listed counts), and the entry's source record (whose
            # mention gives the work), found through the (source, source_id) index
            f"INSERT INTO {TABLE} (kind, ref) SELECT 'author', p.author_id FROM scholar_profile p"
            " WHERE p.id = {r}.profile_id AND p.author_id IS NOT NULL",
            f"INSERT INTO {TABLE} (kind, ref) SELECT 'record', s.id FROM source_record s"
            " WHERE s.source = 'scholar' AND s.source_id = {r}.author_pub_id",
        ),
    ),
    ("github_repository", ("stars", "full_name"), (_mark("repo", "{r}.id"),)),
    (
        "github_author_repository",
        ("author_id", "repository_id"),
        (_mark("author", "{r}.author_id"),),
    ),
    ("github_work_repository", ("work_id", "repository_id"), (_mark("work", "{r}.work_id"),)),
    (
        # S2's own numbers reach the authors holding that S2 id (summary["s2"])
        "author_report",
        ("source", "external_id", "observed_on", "works", "citations", "h_index"),
        (
            f"INSERT INTO {TABLE} (kind, ref) SELECT 'author', i.author_id"
            " FROM author_identifier i WHERE i.scheme = {r}.source AND i.value = {r}.external_id",
        ),
    ),
    (
        # which author holds an S2 id decides whose summary shows S2's numbers
        "author_identifier",
        ("author_id", "scheme", "value"),
        (
            f"INSERT INTO {TABLE} (kind, ref) SELECT 'author', {{r}}.author_id"
            " WHERE {r}.scheme = 's2'",
        ),
    ),
)


def trigger_ddl(dialect: str) -> list[str]:
    """The statements creating the triggers on ``dialect`` (``sqlite`` or ``postgresql``)."""
    out: list[str] = []
    for table, columns, statements in WATCHED:
        name = f"{TABLE}_{table}"
        new = "; ".join(s.format(r="NEW") for s in statements)
        old = "; ".join(s.format(r="OLD") for s in statements)
        cols = ", ".join(columns)
        if dialect == "postgresql":
            out.append(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n"
                f"  IF TG_OP <> 'DELETE' THEN {new}; END IF;\n"
                f"  IF TG_OP <> 'INSERT' THEN {old}; END IF;\n"
                f"  RETURN NULL;\nEND $$"
            )
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            out.append(
                f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {cols} ON {table}"
                f" FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        else:
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {name}_ins AFTER INSERT ON {table} BEGIN {new}; END"
            )
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {name}_del AFTER DELETE ON {table} BEGIN {old}; END"
            )
            out.append(
                f"CREATE TRIGGER IF NOT EXISTS {name}_upd AFTER UPDATE OF {cols} ON {table} "
                f"BEGIN {new}; {old}; END"
            )
    return out


def drop_ddl(dialect: str) -> list[str]:
    """The statements removing what :func:`trigger_ddl` created."""
    out: list[str] = []
    for table, _, _ in WATCHED:
        name = f"{TABLE}_{table}"
        if dialect == "postgresql":
            out.append(f"DROP FUNCTION IF EXISTS {name}() CASCADE")
        else:
            out += [f"DROP TRIGGER IF EXISTS {name}_{op}" for op in ("ins", "del", "upd")]
    return out


def _create_triggers(target: object, connection: Connection, **kw: object) -> None:
    """``create_all`` creates the triggers too, once every watched table exists (the
    statements are idempotent, so a second ``create_all`` changes nothing)."""
    present = set(inspect(connection).get_table_names())
    if not ({TABLE} | {t for t, _, _ in WATCHED}) <= present:
        return  # a partial create_all: the triggers need every watched table
    for statement in trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


def _drop_triggers(target: object, connection: Connection, **kw: object) -> None:
    """``drop_all`` drops PostgreSQL's trigger functions (tables take their triggers along)."""
    if connection.dialect.name == "postgresql":
        for statement in drop_ddl("postgresql"):
            connection.exec_driver_sql(statement)


event.listen(Base.metadata, "after_create", _create_triggers)
event.listen(Base.metadata, "before_drop", _drop_triggers)


# --------------------------------------------------------------------------- reading

_RESOLVE = {
    "work": "SELECT a.author_id FROM authorship a WHERE a.work_id IN ({refs})",
    "record": "SELECT a.author_id FROM work_mention m JOIN authorship a ON a.work_id = m.work_id"
    " WHERE m.source_record_id IN ({refs})",
    "coauthor": "SELECT b.author_id FROM authorship a JOIN authorship b ON b.work_id = a.work_id"
    " WHERE a.author_id IN ({refs})",
    "repo": "SELECT r.author_id FROM github_author_repository r WHERE r.repository_id IN ({refs})"
    " UNION SELECT a.author_id FROM github_work_repository w"
    " JOIN authorship a ON a.work_id = w.work_id WHERE w.repository_id IN ({refs})",
}


#: The ``metrics_change`` rows a run saw: their ids as sorted, disjoint inclusive ranges.
Seen = list[tuple[int, int]]

#: Ranges per statement (each is one ``BETWEEN`` of an ``OR``).
_RANGES_PER_STATEMENT = 200


def last_id(connection: Connection) -> int:
    """The id of the newest ``metrics_change`` row (0: none)."""
    table = MetricsChange.__table__
    return connection.scalar(select(func.max(table.c.id))) or 0


def visible(connection: Connection) -> Seen:
    """The ids of every ``metrics_change`` row this transaction sees now, as ranges: usually
    one (count = max - min + 1), else the islands of consecutive ids, found in SQL. A row
    another transaction has written but not committed yet is a gap, so it is never taken
    for seen (on PostgreSQL it may hold an id lower than ones already committed)."""
    table = MetricsChange.__table__
    n, low, high = connection.execute(
        select(func.count(), func.min(table.c.id), func.max(table.c.id))
    ).one()
    if not n:
        return []
    if n == high - low + 1:
        return [(low, high)]
    island = (table.c.id - func.row_number().over(order_by=table.c.id)).label("island")
    ids = select(table.c.id, island).subquery()
    return [
        (a, b)
        for a, b in connection.execute(
            select(func.min(ids.c.id), func.max(ids.c.id))
            .group_by(ids.c.island)
            .order_by(func.min(ids.c.id))
        )
    ]


def _ranges(ids: Iterable[int]) -> Seen:
    """Sorted ids as inclusive ranges of consecutive ids."""
    out: Seen = []
    for i in sorted(set(ids)):
        if out and out[-1][1] == i - 1:
            out[-1] = (out[-1][0], i)
        else:
            out.append((i, i))
    return out


def _merge(*parts: Seen) -> Seen:
    out: Seen = []
    for low, high in sorted(r for part in parts for r in part):
        if out and low <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _empty_at_once(connection: Connection, seen: Seen) -> bool:
    """Empty the table in one statement when it holds the rows of ``seen`` and nothing else,
    and no other transaction is writing to it; True when done, False (nothing done) else.

    After a bulk load the table holds millions of marks: deleting them row by row took
    4.8 s for 11M, a ``TRUNCATE`` 0.4 s. ``seen``'s ranges hold only rows the run saw (a
    range is consecutive visible ids), so the table holds nothing else when its row count is
    their total. On PostgreSQL the table is first locked without waiting: a transaction that
    wrote a mark holds a lock on it until it ends (then this gives up and the caller deletes
    row by row), and a writer that comes later waits in its trigger until the caller's
    transaction ends, its mark kept. On SQLite the caller is the only writer; an
    unconditional ``DELETE`` there drops the table's pages at once."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        try:
            with connection.begin_nested():
                connection.execute(text(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE NOWAIT"))
        except OperationalError:  # lock_not_available: someone is writing marks
            return False
    held = connection.scalar(select(func.count()).select_from(MetricsChange.__table__))
    if held != sum(high - low + 1 for low, high in seen):
        return False
    connection.execute(text(f"TRUNCATE {TABLE}" if postgres else f"DELETE FROM {TABLE}"))
    return True


def _within(seen: Seen) -> Iterator[str]:
    """SQL conditions on ``id`` (integers only, so inlined), one per slice of ranges."""
    for start in range(0, len(seen), _RANGES_PER_STATEMENT):
        part = seen[start : start + _RANGES_PER_STATEMENT]
        yield "(" + " OR ".join(f"id BETWEEN {int(a)} AND {int(b)}" for a, b in part) + ")"


def pending_authors(connection: Connection) -> tuple[set[int], Seen]:
    """The authors marked changed, and the ``metrics_change`` rows this covers (to hand to
    :func:`clear`; empty: none).

    Only the rows visible when it starts are read (:func:`visible`): rows of the other kinds
    among them are turned into ``author`` rows (and deleted) first, in SQL; the ``author``
    rows so added count as seen too. A row committed meanwhile is left for the next run."""
    seen = visible(connection)
    if not seen:
        return set(), []
    added: list[int] = []
    for within in _within(seen):
        for kind, query in _RESOLVE.items():
            refs = f"SELECT ref FROM {TABLE} WHERE kind = '{kind}' AND {within}"
            added += connection.execute(
                text(
                    f"INSERT INTO {TABLE} (kind, ref) SELECT DISTINCT 'author', x.author_id "
                    f"FROM ({query.format(refs=refs)}) x RETURNING id"
                )
            ).scalars()
        connection.execute(text(f"DELETE FROM {TABLE} WHERE kind <> 'author' AND {within}"))
    seen = _merge(seen, _ranges(added))
    authors: set[int] = set()
    for within in _within(seen):
        authors.update(
            connection.execute(
                text(f"SELECT DISTINCT ref FROM {TABLE} WHERE kind = 'author' AND {within}")
            ).scalars()
        )
    return authors, seen


def clear(connection: Connection, author_ids: Iterable[int] | None, seen: Seen) -> None:
    """Delete the rows of ``seen`` (:func:`visible`, :func:`pending_authors`): every one
    (``author_ids`` None), or the ``author`` rows of ``author_ids``. Rows written since the
    run read them are not in ``seen``, so they stay for the next run."""
    if not seen:
        return
    if author_ids is None:
        if _empty_at_once(connection, seen):
            return
        for within in _within(seen):
            connection.execute(text(f"DELETE FROM {TABLE} WHERE {within}"))
        return
    table = MetricsChange.__table__
    ids: Sequence[int] = sorted(set(author_ids))
    for within in _within(seen):
        for start in range(0, len(ids), 5000):
            connection.execute(
                delete(table).where(
                    table.c.kind == "author",
                    text(within),
                    table.c.ref.in_(ids[start : start + 5000]),
                )
            )
