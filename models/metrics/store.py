"""Computing and storing author summaries: only authors whose inputs changed are recomputed.

Each stored summary carries the fingerprint of its inputs
(:meth:`models.metrics.summaries.AuthorInputs.fingerprint`). A run reads the inputs of the
authors in scope batch by batch, skips those whose fingerprint equals the stored one, and for
the others replaces the ``author_metrics`` row and adds an ``author_metrics_snapshot`` row.
``full=True`` recomputes (and snapshots) every author in scope regardless.

Callers own the transaction: this module flushes, never commits.
"""

from __future__ import annotations

import functools
import gc
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Text, column, delete, func, insert, select, table
from sqlalchemy.orm import Session

from models.authors import Author, Authorship, TrackedAuthor
from models.base import utcnow
from models.citations.rule import FRESH_DAYS
from models.citations.tables import CitationObservation
from models.identity.tables import WorkMention
from models.metrics import changes
from models.metrics.summaries import AllInputs, read_all_inputs, read_inputs, summarize
from models.metrics.tables import AuthorMetrics, AuthorMetricsSnapshot
from models.metrics.workers import can_fork, in_workers

log = logging.getLogger(__name__)

BATCH = 2000
#: A run reading at least this share of all authors reads whole tables instead of batches.
WHOLE_TABLE_SHARE = 0.2
#: Rows written per statement by a whole-table run.
WRITE_CHUNK = 5000
#: Chunks of rows the writer thread may hold queued.
WRITER_QUEUE = 8
#: Authors per task of a whole-table run (what a worker process computes at a time).
TASK = 1000
#: A whole-table run of this many authors or more computes in worker processes...
PARALLEL_MIN = 10_000
#: ... one per core, at most this many.
MAX_WORKERS = 4

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
    """What one computation did: authors considered, whose inputs were read (the candidates),
    recomputed, skipped (unchanged), and the summaries written (changed authors only)."""

    considered: int = 0
    read: int = 0
    computed: int = 0
    unchanged: int = 0
    computed_at: datetime | None = None
    summaries: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "considered": self.considered,
            "read": self.read,
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
    workers: int | None = None,
) -> MetricsRun:
    """Recompute the summaries of ``author_ids`` whose inputs changed (all of them with
    ``full``), store them and a snapshot each. ``now`` (aware UTC; default: the clock) is the
    computation time and gives the current year. Flushes; does not commit.

    Without ``full``, only candidates are read: authors marked in ``metrics_change``
    (:mod:`models.metrics.changes`), authors without a stored summary or with one of another
    year, and authors whose citation source may have changed by age alone (an observation
    that stopped being fresh since). A candidate whose fingerprint equals the stored one is
    counted unchanged, as is every author not read.

    A run that reads at least :data:`WHOLE_TABLE_SHARE` of all authors reads whole tables
    (:func:`models.metrics.summaries.iter_all_inputs`), else batches of :data:`BATCH`
    authors; both give the same inputs. A whole-table run computes in ``workers`` forked
    processes (default: :func:`_worker_count`); the rows stored are the same. Only the change
    marks the run saw are cleared."""
    now = now or utcnow()
    session.flush()
    conn = session.connection()
    run = MetricsRun(computed_at=now)
    ids = sorted(set(author_ids))
    known = _existing(conn, ids)
    run.considered = len(known)
    total = conn.scalar(select(func.count()).select_from(Author)) or 0
    everyone = full and len(known) == total
    if everyone:  # every mark is spent: no need to resolve them to authors
        marked, seen = set(), changes.visible(conn)
    else:
        marked, seen = changes.pending_authors(conn)
    todo = known if full else sorted(set(known) & (marked | _due(conn, known, now)))
    run.read = len(todo)
    # every author in scope is up to date once the run commits: its marks (those seen) are
    # spent. A whole-table run clears them last, from its writer thread (in one TRUNCATE
    # when it saw every mark: its lock then lasts only until the caller commits).
    # (the author rows seen are those of the marked authors: naming only those in scope
    # deletes the same rows as naming every author in scope, with a far shorter IN list)
    clear = functools.partial(
        changes.clear, conn, None if everyone else sorted(marked.intersection(known)), seen
    )
    if todo and len(todo) >= WHOLE_TABLE_SHARE * total:
        _compute_whole(session, todo, full, now, run, keep_summaries, progress, clear, workers)
    else:
        _compute_batches(session, todo, full, now, run, keep_summaries, progress)
        clear()
    run.unchanged = run.considered - run.computed
    log.info(
        "metrics: %d author(s) considered, %d read, %d recomputed, %d unchanged",
        run.considered,
        len(todo),
        run.computed,
        run.unchanged,
    )
    return run


def _compute_batches(
    session: Session,
    todo: list[int],
    full: bool,
    now: datetime,
    run: MetricsRun,
    keep_summaries: bool,
    progress: Callable[[str], None] | None,
) -> None:
    """Read, compare, compute and write ``todo`` :data:`BATCH` authors at a time."""
    conn = session.connection()
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        inputs = read_inputs(session, batch)
        stored = dict(
            conn.execute(
                select(AuthorMetrics.author_id, AuthorMetrics.fingerprint).where(
                    AuthorMetrics.author_id.in_(batch)
                )
            ).all()
        )
        rows: list[dict[str, Any]] = []
        for author_id in batch:
            if author_id not in inputs:
                continue
            fingerprint = inputs[author_id].fingerprint(now.year)
            if not full and stored.get(author_id) == fingerprint:
                continue
            summary = summarize(inputs[author_id], current_year=now.year)
            rows.append(_row(author_id, summary, fingerprint, now))
            if keep_summaries:
                run.summaries.append(summary)
        _write(conn, rows)
        run.computed += len(rows)
        if progress and len(todo) > BATCH:
            progress(f"metrics: {min(start + BATCH, len(todo))}/{len(todo)} authors read")


def _compute_whole(
    session: Session,
    todo: list[int],
    full: bool,
    now: datetime,
    run: MetricsRun,
    keep_summaries: bool,
    progress: Callable[[str], None] | None,
    clear: Callable[[], None],
    workers: int | None,
) -> None:
    """Read every input table once (:func:`models.metrics.summaries.read_all_inputs`), then
    compute ``todo`` in tasks of :data:`TASK` authors, in forked worker processes
    (:mod:`models.metrics.workers`, :func:`_worker_count`) or in this one, and write the
    rows in id order, :data:`WRITE_CHUNK` at a time (on PostgreSQL from a writer thread, so
    the database stores a chunk while the next ones are computed); ``clear`` (the marks'
    deletion) runs last in the writer. Only this process uses the connection. The garbage
    collector is off meanwhile (the rows read are millions of long-lived objects it would
    scan again and again, and the loop makes no cycles) and restored afterwards, even on
    error."""
    conn = session.connection()
    stored: dict[int, str] = {}
    if not full:
        stored = dict(
            conn.execute(select(AuthorMetrics.author_id, AuthorMetrics.fingerprint)).all()
        )
    was_enabled = gc.isenabled()
    gc.disable()
    started = time.perf_counter()
    read_s = 0.0
    # the thread starts with the first job: after the workers are forked
    writer = _Writer(conn, threaded=conn.dialect.name == "postgresql")
    results: Iterator[_Task] = iter(())
    try:
        whole = read_all_inputs(session, todo)
        gc.freeze()  # what was read stays: keep it out of any later collection
        read_s = time.perf_counter() - started
        n = len(whole.author_ids)
        tasks = [(start, min(start + TASK, n)) for start in range(0, n, TASK)]
        job = functools.partial(
            _compute_task, whole, stored, full, now, keep_summaries, _serializes(conn)
        )
        count = _worker_count(workers, n, conn)
        if count > 1:
            results = in_workers(tasks, job, count)
        else:
            results = (job(start, stop) for start, stop in tasks)
        rows: list[dict[str, Any]] = []
        done = 0
        for task_rows, summaries, authors in results:
            done += authors
            rows += task_rows
            if keep_summaries:
                run.summaries += summaries
            while len(rows) >= WRITE_CHUNK:
                writer.put(rows[:WRITE_CHUNK])
                run.computed += WRITE_CHUNK
                rows = rows[WRITE_CHUNK:]
                if progress:
                    progress(f"metrics: {done}/{len(todo)} authors computed")
        writer.put(rows)
        run.computed += len(rows)
        writer.call(clear)
        computed_s = time.perf_counter() - started
        writer.close()
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()  # stops the workers if the loop ended early
        writer.close()
        gc.unfreeze()
        if was_enabled:
            gc.enable()
    log.info(
        "metrics: whole-table run: read %.1f s, computed by %.1f s, written by %.1f s "
        "(%.1f s writing, %d process(es) computing)",
        read_s,
        computed_s,
        time.perf_counter() - started,
        writer.busy,
        count,
    )


#: What a task of a whole-table run gives: the rows to write (changed authors), their
#: summaries (when kept), and how many authors it read.
_Task = tuple[list[dict[str, Any]], list[dict[str, Any]], int]


def _compute_task(
    whole: AllInputs,
    stored: dict[int, str],
    full: bool,
    now: datetime,
    keep_summaries: bool,
    serialize: bool,
    start: int,
    stop: int,
) -> _Task:
    """Fingerprint ``whole.author_ids[start:stop]`` and summarize those whose fingerprint
    differs from the ``stored`` one (all with ``full``); with ``serialize`` their rows carry
    the summary as its JSON text (:class:`_JsonText`), which a worker process makes."""
    rows: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    for inputs in whole.iter(start, stop):
        fingerprint = inputs.fingerprint(now.year)
        if not full and stored.get(inputs.author_id) == fingerprint:
            continue
        summary = summarize(inputs, current_year=now.year)
        row = _row(inputs.author_id, summary, fingerprint, now)
        if serialize:
            row["summary"] = _JsonText(json.dumps(summary))
        rows.append(row)
        if keep_summaries:
            summaries.append(summary)
    return rows, summaries, stop - start


def _worker_count(workers: int | None, authors: int, conn: Connection) -> int:
    """Processes computing a whole-table run of ``authors``: ``workers`` if given, else one
    per core (at most :data:`MAX_WORKERS`) from :data:`PARALLEL_MIN` authors on; one where
    the platform cannot fork or the rows cannot be written pre-serialized
    (:func:`_serializes`)."""
    if not (can_fork() and _serializes(conn)):
        return 1
    if workers is not None:
        return max(1, workers)
    if authors < PARALLEL_MIN:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


def _serializes(conn: Connection) -> bool:
    """Whether :func:`_write` stores a summary given as JSON text: by COPY on PostgreSQL
    with psycopg, as text in SQLite's JSON column."""
    return conn.dialect.name == "sqlite" or _copies(conn)


def _copies(conn: Connection) -> bool:
    """Whether :func:`_write` writes by COPY (PostgreSQL with psycopg)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


class _JsonText(str):
    """A summary serialized by ``json.dumps`` (the JSON type's own serializer, and the one
    psycopg's ``Jsonb`` uses): written as it is."""


class _Writer:
    """Jobs on the connection (:func:`_write` of chunks of rows, the marks' deletion), in
    order, in the caller's thread or in one writer thread (``threaded``, started with the
    first job): then the caller must not use the connection until :meth:`close`, which
    waits for every job and raises the writer's error, if any."""

    def __init__(self, conn: Connection, *, threaded: bool) -> None:
        self.conn = conn
        self.busy = 0.0  # seconds spent in jobs
        self.error: BaseException | None = None
        self.queue: queue.Queue[Callable[[], None] | None] | None = None
        self.thread: threading.Thread | None = None
        if threaded:
            # room for a few chunks, so the computing goes on while the database stores one
            self.queue = queue.Queue(maxsize=WRITER_QUEUE)

    def put(self, rows: list[dict[str, Any]]) -> None:
        """Write ``rows`` (now, or queued for the writer thread)."""
        if self.error is not None:
            raise self.error
        if rows:
            self.call(functools.partial(_write, self.conn, rows))

    def call(self, job: Callable[[], None]) -> None:
        """Run ``job`` (a use of the connection), now or in turn in the writer thread."""
        if self.error is not None:
            raise self.error
        if self.queue is None:
            self._run_job(job)
            return
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="metrics-writer", daemon=True)
            self.thread.start()
        self.queue.put(job)

    def close(self) -> None:
        """Wait for every queued chunk; raise the writer's error. Idempotent."""
        if self.thread is not None and self.queue is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run_job(self, job: Callable[[], None]) -> None:
        start = time.perf_counter()
        job()
        self.busy += time.perf_counter() - start

    def _run(self) -> None:
        assert self.queue is not None
        while (job := self.queue.get()) is not None:
            if self.error is None:  # after an error, drain the queue without writing
                try:
                    self._run_job(job)
                except BaseException as exc:  # handed to the caller by put/call/close
                    self.error = exc


def _existing(conn: Connection, ids: list[int]) -> list[int]:
    """The ids of ``ids`` that are authors, sorted."""
    wanted = set(ids)
    if len(ids) > 5000:  # one scan beats many IN lists
        return [i for i in conn.scalars(select(Author.id).order_by(Author.id)) if i in wanted]
    return sorted(conn.scalars(select(Author.id).where(Author.id.in_(ids))))


def _due(conn: Connection, ids: list[int], now: datetime) -> set[int]:
    """Authors of ``ids`` a default run must read though nothing marked them: no stored
    summary, a summary of another year (the year is an input), or a work whose citation
    value may have changed source by age alone since the oldest stored summary."""
    table, authors = AuthorMetrics.__table__, Author.__table__
    start = datetime(now.year, 1, 1, tzinfo=UTC)
    end = datetime(now.year + 1, 1, 1, tzinfo=UTC)
    due = set(
        conn.scalars(
            select(authors.c.id)
            .outerjoin(table, table.c.author_id == authors.c.id)
            .where(
                (table.c.author_id.is_(None))
                | (table.c.computed_at < start)
                | (table.c.computed_at >= end)
            )
        )
    )
    oldest = conn.scalar(select(func.min(table.c.computed_at)))
    if oldest is not None:
        since = oldest.date() - timedelta(days=FRESH_DAYS + 1)
        until = datetime.now(UTC).date() - timedelta(days=FRESH_DAYS)
        due |= _aged_out(conn, since, until)
    return due & set(ids)


def _aged_out(conn: Connection, since: date, until: date) -> set[int]:
    """Authors of works with an S2/OpenAlex observation dated in ``[since, until]``: values
    that stopped being fresh (``FRESH_DAYS``) between the oldest stored summary and today.

    Scholar's values are left out on purpose: Scholar comes last in the precedence, so its
    value is taken only when no other is fresh, and once it ages it is still the most recent
    one, which the rule then takes. An aging S2 value can hand over to a fresh OpenAlex or
    Scholar one."""
    if until < since:
        return set()
    obs, mention, ship = CitationObservation.__table__, WorkMention.__table__, Authorship.__table__
    # nested IN lists, innermost first: SQLite otherwise starts from every authorship
    records = select(obs.c.source_record_id).where(obs.c.observed_on.between(since, until))
    works = select(mention.c.work_id).where(mention.c.source_record_id.in_(records))
    return set(conn.scalars(select(ship.c.author_id).where(ship.c.work_id.in_(works))))


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


def _write(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Replace the current rows of these authors and add one snapshot each: the rows by
    COPY on PostgreSQL, by one multi-row insert elsewhere; the snapshots copied from them
    in SQL, so each summary is serialized once, not twice."""
    if not rows:
        return
    current, snapshots = AuthorMetrics.__table__, AuthorMetricsSnapshot.__table__
    ids = [r["author_id"] for r in rows]
    conn.execute(delete(current).where(current.c.author_id.in_(ids)))
    if _copies(conn):
        _copy(conn, rows)
    elif isinstance(rows[0]["summary"], _JsonText):
        conn.execute(insert(_TEXT_SUMMARY), rows)
    else:
        conn.execute(insert(current), rows)
    conn.execute(
        insert(snapshots).from_select(
            [c.name for c in current.columns],
            select(*current.columns).where(current.c.author_id.in_(ids)),
        )
    )


#: ``author_metrics`` with the summary as text: rows whose summary is :class:`_JsonText`.
_TEXT_SUMMARY = table(
    AuthorMetrics.__tablename__,
    *(
        column(c.name, Text() if c.name == "summary" else c.type)
        for c in AuthorMetrics.__table__.columns
    ),
)


def _copy(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """``COPY author_metrics FROM STDIN`` of ``rows``, in this transaction, with the values
    the ORM would bind (UTC times, the summary as JSONB serialized by ``json.dumps``, or
    as the JSON text it is already, which COPY's text format hands to the server alike)."""
    from psycopg.types.json import Jsonb

    names = [c.name for c in AuthorMetrics.__table__.columns]
    at = names.index("summary"), names.index("computed_at")
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    with dbapi.cursor() as cursor:
        statement = f"COPY author_metrics ({', '.join(names)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[name] for name in names]
                summary = values[at[0]]
                values[at[0]] = str(summary) if isinstance(summary, _JsonText) else Jsonb(summary)
                values[at[1]] = values[at[1]].astimezone(UTC)
                copy.write_row(values)


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
