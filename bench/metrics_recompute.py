"""Benchmark: full and incremental recomputation of per-author metric summaries.

Synthetic rows shaped like real ones are inserted directly with executemany: authors, works
(year, arXiv categories, ACL venues for some), 1-5 authorships per work, and for every work
one Scholar entry (source_record + work_mention + scholar_publication on its first author's
profile; 5% filled with per-year counts), one Scholar profile per author, one repository per
50 works. Then, in one run on one database:

1. **read**: the rows the computation needs, read with plain full-table selects (authorships,
   works, the Scholar join, profiles) and fetched into Python: the floor for (2);
2. **full**: ``compute_metrics(all authors, full=True)``, stored and committed;
3. **unchanged**: the same run again without ``full`` (0 recomputed: nothing marked changed);
4. the Scholar counts of 100 single-author works of 100 distinct authors change (the
   triggers of :mod:`models.metrics.changes` mark them), then **incremental (all in scope)**:
   the default run over every author, which reads only the marked ones, 100 recomputed,
   against **read (100)**: reading those authors' rows with plain selects;
5. **incremental (100 named)**: the same with the 100 changed authors named as the scope.

It prints one line per figure (seconds, and the ratio to its read baseline) and the whole
result as JSON; ``peak_rss_mb`` is the process's peak resident memory, ``peak_rss_workers_mb``
the largest of the worker processes the full run forks (pages shared with the parent
counted in both), ``cpu_s`` and ``cpu_workers_s`` the CPU seconds of the whole bench (insert
included) in this process and in the workers.

Inserting takes minutes (about 10 at 100k/1M on PostgreSQL). ``--schema NAME`` (with
``--pg``) keeps the rows in a named schema instead of a throw-away one, and ``--reuse`` (with
``--schema`` or ``--keep``) starts from the rows of an earlier run of the same size: its
metric tables are emptied and its change marks put back as they were right after inserting
(a copy kept in ``bench_seed_change``), so every run starts from the same state without
inserting again (``insert_s`` is then null). Only the work of the first read differs: the
rows were read before (PostgreSQL's hint bits are set, pages may be cached).

Usage: uv run python bench/metrics_recompute.py [--authors N] [--works M]
    [--pg URL [--schema NAME] | --keep FILE] [--reuse]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import models  # noqa: E402, F401  (every table on Base.metadata)
from models.authors import Author, Authorship  # noqa: E402
from models.base import Base  # noqa: E402
from models.engine import make_engine, session_factory  # noqa: E402
from models.github.tables import GitHubRepository, GitHubWorkRepository  # noqa: E402
from models.identity.tables import WorkMention  # noqa: E402
from models.metrics.citations import _scholar_query  # noqa: E402
from models.metrics.store import compute_metrics  # noqa: E402
from models.metrics.summaries import read_inputs  # noqa: E402
from models.provenance import SourceRecord  # noqa: E402
from models.scholar.tables import ScholarProfile, ScholarPublication  # noqa: E402
from models.works import Work  # noqa: E402

NOW = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
CHUNK = 20_000
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "stat.ML", "hep-th", "quant-ph", "math.CO"]
VENUES = ["acl", "emnlp", "naacl", "coling", "tacl"]


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def populate(engine: Engine, n_authors: int, n_works: int, seed: int = 7) -> list[int]:
    """Insert the synthetic rows; returns 100 single-author works of distinct authors."""
    rng = random.Random(seed)
    Base.metadata.create_all(engine)
    with engine.begin() as conn:

        def put(table: Any, rows: list[dict[str, Any]]) -> None:
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(table.__table__), rows[start : start + CHUNK])

        put(
            Author,
            [
                {
                    "id": i,
                    "display_name": f"Author {i}",
                    "name_key": f"author {i}",
                    "created_at": NOW,
                }
                for i in range(1, n_authors + 1)
            ],
        )
        put(
            ScholarProfile,
            [
                {
                    "id": i,
                    "scholar_id": f"U{i:010d}",
                    "author_id": i,
                    "name": f"Author {i}",
                    "payload": "{}",
                    "origin": "harvest",
                    "observed_at": NOW,
                    "first_seen": NOW,
                    "interests": [],
                    "cites_per_year": {"2024": 10, "2025": 12},
                    "citedby": rng.randint(0, 5000),
                    "hindex": rng.randint(0, 40),
                    "i10index": rng.randint(0, 60),
                }
                for i in range(1, n_authors + 1)
            ],
        )
        single: list[int] = []
        used: set[int] = set()
        works, ships, records, mentions, pubs = [], [], [], [], []
        repos, links = [], []
        for w in range(1, n_works + 1):
            year = rng.randint(1995, 2026)
            n = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
            team = rng.sample(range(1, n_authors + 1), n)
            if n == 1 and len(single) < 100 and team[0] not in used:
                single.append(w)
                used.add(team[0])
            works.append(
                {
                    "id": w,
                    "title": f"Work {w}",
                    "year": year,
                    "match_key": f"work {w}",
                    "canonical_source": "arxiv-api",
                    "categories": rng.sample(CATEGORIES, rng.randint(0, 2)),
                    "venues": [rng.choice(VENUES)] if w % 4 == 0 else None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            for position, author_id in enumerate(team):
                ships.append(
                    {
                        "work_id": w,
                        "author_id": author_id,
                        "position": position,
                        "raw_name": f"Author {author_id}",
                        "affiliations": [],
                        "source": "arxiv-api",
                    }
                )
            owner = team[0]
            source_id = f"U{owner:010d}:P{w}"
            records.append(
                {
                    "id": w,
                    "source": "scholar",
                    "source_id": source_id,
                    "kind": "work",
                    "payload": "{}",
                    "payload_format": "json",
                    "content_hash": hashlib.sha256(source_id.encode()).hexdigest(),
                    "parsed": {},
                    "work_id": w,
                    "first_seen": NOW,
                    "last_seen": NOW,
                    "changed_at": NOW,
                }
            )
            mentions.append(
                {
                    "source_record_id": w,
                    "key": f"scholar:{source_id}",
                    "source": "scholar",
                    "title": f"Work {w}",
                    "title_key": f"work {w}",
                    "year": year,
                    "profile": f"U{owner:010d}",
                    "ids": {"scholar_pub": source_id},
                    "work_id": w,
                    "updated_at": NOW,
                }
            )
            cites = int(rng.paretovariate(1.2)) - 1
            filled = rng.random() < 0.05
            payload = {"author_pub_id": source_id, "num_citations": cites}
            if filled:
                payload["cites_per_year"] = {str(max(year, 2020)): cites}
            pubs.append(
                {
                    "profile_id": owner,
                    "author_pub_id": source_id,
                    "position": w,
                    "title": f"Work {w}",
                    "pub_year": year,
                    "num_citations": cites,
                    "payload": json.dumps(payload),
                    "listed": True,
                    "filled_at": NOW if filled else None,
                    "observed_at": NOW,
                }
            )
            if w % 50 == 0:
                r = w // 50
                repos.append(
                    {
                        "id": r,
                        "github_id": r,
                        "full_name": f"o{r}/r{r}",
                        "name_key": f"o{r}/r{r}",
                        "owner": f"o{r}",
                        "topics": [],
                        "stars": rng.randint(0, 2000),
                        "status": "active",
                    }
                )
                links.append(
                    {"work_id": w, "repository_id": r, "url": f"https://github.com/o{r}/r{r}",
                     "source": "arxiv-api"}
                )  # fmt: skip
            if len(works) >= CHUNK:
                for table, rows in (
                    (Work, works), (Authorship, ships), (SourceRecord, records),
                    (WorkMention, mentions), (ScholarPublication, pubs),
                ):  # fmt: skip
                    put(table, rows)
                    rows.clear()
        for table, rows in (
            (Work, works), (Authorship, ships), (SourceRecord, records),
            (WorkMention, mentions), (ScholarPublication, pubs),
            (GitHubRepository, repos), (GitHubWorkRepository, links),
        ):  # fmt: skip
            put(table, rows)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return single


def raw_read(engine: Engine, author_ids: list[int] | None = None) -> int:
    """Fetch the rows the computation needs with plain selects; returns how many."""
    sessions = session_factory(engine)
    with sessions() as session:
        if author_ids is None:
            own = select(Work.id)
            ships = select(Authorship.author_id, Authorship.work_id, Authorship.position)
        else:
            own = select(Authorship.work_id).where(Authorship.author_id.in_(author_ids))
            ships = select(Authorship.author_id, Authorship.work_id, Authorship.position).where(
                Authorship.work_id.in_(own)
            )
        n = len(session.execute(ships).all())
        n += len(
            session.execute(
                select(Work.id, Work.year, Work.categories, Work.venues).where(Work.id.in_(own))
            ).all()
        )
        n += len(session.execute(_scholar_query(WorkMention.work_id.in_(own))).all())
        profiles = select(ScholarProfile.author_id, ScholarProfile.citedby, ScholarProfile.hindex)
        if author_ids is not None:
            profiles = profiles.where(ScholarProfile.author_id.in_(author_ids))
        n += len(session.execute(profiles).all())
    return n


def timed(label: str, job: Any) -> tuple[float, Any]:
    log(f"{label} ...")
    start = time.perf_counter()
    result = job()
    seconds = time.perf_counter() - start
    log(f"{label}: {seconds:.2f} s")
    return seconds, result


#: Kept beside the rows of a reusable bench database: its size, the works ``_change`` edits.
SEED_INFO = "bench_seed_info"
#: The ``metrics_change`` rows as the insert left them (the triggers' marks).
SEED_CHANGES = "bench_seed_change"


def seed(engine: Engine, n_authors: int, n_works: int) -> list[int]:
    """Populate, then keep what :func:`reset` needs to return to this state."""
    single = populate(engine, n_authors, n_works)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {SEED_CHANGES}"))
        conn.execute(text(f"CREATE TABLE {SEED_CHANGES} AS SELECT * FROM metrics_change"))
        conn.execute(text(f"DROP TABLE IF EXISTS {SEED_INFO}"))
        conn.execute(
            text(f"CREATE TABLE {SEED_INFO} (authors INTEGER, works INTEGER, single TEXT)")
        )
        conn.execute(
            text(f"INSERT INTO {SEED_INFO} VALUES (:a, :w, :s)"),
            {"a": n_authors, "w": n_works, "s": json.dumps(single)},
        )
    return single


def seeded(engine: Engine, n_authors: int, n_works: int) -> list[int] | None:
    """The works ``_change`` edits when the database holds a complete seed of this size,
    else None."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, SEED_INFO):
            return None
        row = conn.execute(text(f"SELECT authors, works, single FROM {SEED_INFO}")).first()
    if row is None or (row[0], row[1]) != (n_authors, n_works):
        return None
    return json.loads(row[2])


def reset(engine: Engine) -> None:
    """Back to the state right after :func:`seed`'s insert: no summary, no snapshot, the
    insert's change marks. (The 100 works' Scholar counts keep the +7s of earlier runs:
    still a change for the incremental runs.)"""
    with engine.begin() as conn:
        for table in ("author_metrics_snapshot", "author_metrics", "metrics_change"):
            if engine.dialect.name == "postgresql":
                conn.execute(text(f"TRUNCATE {table}"))
            else:
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text(f"INSERT INTO metrics_change SELECT * FROM {SEED_CHANGES}"))
        conn.execute(text("ANALYZE metrics_change"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.execute(text("VACUUM"))


def bench(engine: Engine, n_authors: int, n_works: int, reuse: bool = False) -> dict[str, Any]:
    single = seeded(engine, n_authors, n_works) if reuse else None
    if single is None:
        t_insert: float | None
        t_insert, single = timed("insert", lambda: seed(engine, n_authors, n_works))
    else:
        t_insert = None
        timed("reset (reused rows)", lambda: reset(engine))
    sessions = session_factory(engine)
    all_ids = list(range(1, n_authors + 1))

    def run(ids: list[int], full: bool = False) -> Any:
        with sessions() as session:
            result = compute_metrics(session, ids, full=full, now=NOW, keep_summaries=False)
            session.commit()
        return result

    t_read, rows = timed("read", lambda: raw_read(engine))
    t_full, full = timed("full", lambda: run(all_ids, full=True))
    t_same, same = timed("unchanged", lambda: run(all_ids))
    changed_authors = _change(engine, single)
    t_read100, rows100 = timed("read (100)", lambda: raw_read(engine, changed_authors))
    t_inc, inc = timed("incremental (all in scope)", lambda: run(all_ids))
    _change(engine, single)
    t_named, named = timed("incremental (100 named)", lambda: run(changed_authors))

    def inputs100() -> Any:
        with sessions() as session:  # closed, so no transaction outlives the run
            return read_inputs(session, changed_authors)

    t_inputs100, _ = timed("read_inputs (100)", inputs100)

    return {
        "database": engine.dialect.name,
        "authors": n_authors,
        "works": n_works,
        "insert_s": None if t_insert is None else round(t_insert, 2),
        "read_rows": rows,
        "read_s": round(t_read, 2),
        "full_s": round(t_full, 2),
        "full_computed": full.computed,
        "full_over_read": round(t_full / t_read, 2),
        "unchanged_s": round(t_same, 2),
        "unchanged_computed": same.computed,
        "incremental_all_s": round(t_inc, 3),
        "incremental_all_read": inc.read,
        "incremental_all_computed": inc.computed,
        "incremental_all_over_read100": round(t_inc / t_read100, 2),
        "read100_rows": rows100,
        "read100_s": round(t_read100, 3),
        "incremental_named_s": round(t_named, 3),
        "incremental_named_computed": named.computed,
        "incremental_named_over_read100": round(t_named / t_read100, 2),
        "read_inputs100_s": round(t_inputs100, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # the largest of the worker processes a whole-table run forks (0: none forked)
        "peak_rss_workers_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "cpu_s": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_utime
            + resource.getrusage(resource.RUSAGE_SELF).ru_stime,
            1,
        ),
        "cpu_workers_s": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
            1,
        ),
    }


def report(r: dict[str, Any]) -> None:
    """The figures, one per line, each beside the read it is compared with."""
    db = f"{r['database']} {r['authors']} authors / {r['works']} works"
    inserted = "reused" if r["insert_s"] is None else f"{r['insert_s']} s"
    print(f"{db}: insert {inserted}; read {r['read_rows']} rows {r['read_s']} s")
    print(
        f"{db}: full {r['full_s']} s ({r['full_computed']} recomputed) = "
        f"{r['full_over_read']}x read"
    )
    print(f"{db}: unchanged {r['unchanged_s']} s ({r['unchanged_computed']} recomputed)")
    print(
        f"{db}: incremental, all in scope, 100 changed: {r['incremental_all_s']} s "
        f"({r['incremental_all_read']} read, {r['incremental_all_computed']} recomputed) = "
        f"{r['incremental_all_over_read100']}x read of their {r['read100_rows']} rows "
        f"({r['read100_s']} s)"
    )
    print(
        f"{db}: incremental, 100 named: {r['incremental_named_s']} s "
        f"({r['incremental_named_computed']} recomputed) = "
        f"{r['incremental_named_over_read100']}x read of their rows"
    )
    print(
        f"{db}: peak RSS {r['peak_rss_mb']} MB (largest worker process "
        f"{r['peak_rss_workers_mb']} MB); CPU of the whole bench {r['cpu_s']} s, of its worker "
        f"processes {r['cpu_workers_s']} s"
    )


def _change(engine: Engine, works: list[int]) -> list[int]:
    """Add 7 citations to each of these single-author works; returns their authors."""
    with engine.begin() as conn:
        pubs = ScholarPublication.__table__
        for w in works:
            conn.execute(
                update(pubs)
                .where(pubs.c.author_pub_id.like(f"%:P{w}"), pubs.c.position == w)
                .values(num_citations=pubs.c.num_citations + 7)
            )
        authors = conn.execute(
            select(Authorship.author_id).where(Authorship.work_id.in_(works))
        ).scalars()
        return sorted(set(authors))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", type=int, default=10_000)
    parser.add_argument("--works", type=int, default=100_000)
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL URL (a throw-away schema)")
    parser.add_argument("--keep", metavar="FILE", help="SQLite: build FILE and keep it")
    parser.add_argument("--schema", help="PostgreSQL: a schema to keep (not dropped)")
    parser.add_argument(
        "--reuse", action="store_true", help="start from the kept rows when of this size"
    )
    args = parser.parse_args()
    if args.reuse and not (args.schema or args.keep):
        parser.error("--reuse needs --schema (PostgreSQL) or --keep (SQLite)")
    # the store's own account of a whole-table run (read / compute / write seconds)
    store_log = logging.getLogger("models.metrics.store")
    store_log.setLevel(logging.INFO)
    store_log.addHandler(logging.StreamHandler(sys.stderr))
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg:
            schema = args.schema or f"bench_{uuid.uuid4().hex[:10]}"
            admin = make_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            engine = make_engine(args.pg, connect_args={"options": f"-csearch_path={schema}"})
        else:
            engine = make_engine(f"sqlite:///{args.keep or Path(tmp) / 'metrics.db'}")
        try:
            result = bench(engine, args.authors, args.works, reuse=args.reuse)
        finally:
            engine.dispose()
            if args.pg and not args.schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    report(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
