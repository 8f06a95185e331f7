"""Benchmark: load+merge (``models.loader.load_batch``) against a raw insert of the same rows.

Input: N synthetic WorkRecords shaped like the real recordings (``bench/identity_synth.py``
measures the fixtures and prints the distributions it samples from; fixed seed).

For each size and database, in a subprocess of its own (so peak memory is per run):

1. a fresh database (SQLite file in WAL mode, or a fresh PostgreSQL schema), ``upgrade`` to head;
2. load: batches of ``--batch-size`` records through ``load_batch``, one transaction per batch
   with the run's counts, as ``flows.pipelines.runs.RunTracker.commit_batch`` does (timed: load
   and commit only; generating the records is not timed);
3. baseline: every row the load wrote in the ten identity tables (source_record, work_mention,
   mention_identifier, mention_block, author_mention, author_mention_identifier, work,
   work_identifier, author, authorship), read back and inserted into a second fresh database with
   plain ``executemany`` (no conflict handling; same indexes; commits every 10,000 rows). Reading
   is not timed, inserting and committing is.

Reported: records/s of load+merge, rows written, raw-insert rows/s, the ratio of the two (in
records and in rows it is the same number, since both write the same rows), time per record, the
slowest batch vs the first ones, peak RSS (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the
run's process, read after the load, generation included), and statements per record (cursor
executions, counted with a ``before_cursor_execute`` listener; an executemany counts once).

Usage: uv run python bench/identity_load.py [--sizes 10000,100000] [--db sqlite,postgresql]
       [--batch-size 1000] [--pg-url URL]    (1,000,000 is ``--sizes 1000000``; it takes long)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.identity_synth import Generator, measure_profile  # noqa: E402
from flows.pipelines.runs import RunTracker  # noqa: E402
from models.base import Base  # noqa: E402
from models.engine import make_engine, session_factory  # noqa: E402
from models.loader import load_batch  # noqa: E402
from models.migrate import upgrade  # noqa: E402

logger = logging.getLogger(__name__)

PG_URL = os.environ.get(
    "SCHOLARFLOW_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/t_h8"
)
# Insert order respects the foreign keys (source_record.work_id -> work, ...).
TABLES = (
    "work",
    "author",
    "source_record",
    "work_mention",
    "mention_identifier",
    "mention_block",
    "author_mention",
    "author_mention_identifier",
    "work_identifier",
    "authorship",
)
COPY_CHUNK = 10_000


@contextmanager
def fresh_database(kind: str, pg_url: str) -> Iterator[Engine]:
    """An engine on an empty, upgraded database: a SQLite file or a new PostgreSQL schema."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="sf_bench_") as folder:
            engine = make_engine(f"sqlite:///{folder}/bench.db")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"sf_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(pg_url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class StatementCounter:
    """Counts cursor executions on an engine while ``active``."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.active = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        if self.active:
            self.count += 1


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: int(conn.scalar(select(func.count()).select_from(Base.metadata.tables[name])))
            for name in TABLES
        }


def raw_insert(source: Engine, target: Engine) -> float:
    """Copy every row of ``TABLES`` (and the run rows they point at) from ``source`` into
    ``target`` with plain executemany; seconds spent inserting and committing."""
    spent = 0.0
    with source.connect() as src, target.connect() as dst:
        runs = [dict(r._mapping) for r in src.execute(select(Base.metadata.tables["harvest_run"]))]
        dst.execute(Base.metadata.tables["harvest_run"].insert(), runs)
        dst.commit()
        for name in TABLES:
            table = Base.metadata.tables[name]
            result = src.execution_options(yield_per=COPY_CHUNK).execute(
                select(table).order_by(table.c.id)
            )
            for part in result.partitions():
                rows = [dict(r._mapping) for r in part]
                start = time.perf_counter()
                dst.execute(table.insert(), rows)
                dst.commit()
                spent += time.perf_counter() - start
    return spent


def run_one(n: int, kind: str, batch_size: int, pg_url: str, seed: int) -> dict[str, Any]:
    """Load ``n`` records into a fresh ``kind`` database, then the raw baseline; the numbers."""
    profile = measure_profile()
    gen = Generator(profile, n, seed)
    result: dict[str, Any] = {"n": n, "db": kind, "batch_size": batch_size}
    with fresh_database(kind, pg_url) as engine:
        counter = StatementCounter(engine)
        tracker = RunTracker(session_factory(engine), "bench", "identity-load", {"n": n})
        load_s = cpu_s = 0.0
        batch_times: list[float] = []
        window = [0.0, 0.0, 0]  # wall, cpu, records since the last progress line
        for batch in gen.batches(batch_size):
            counter.active = True
            start, start_cpu = time.perf_counter(), time.process_time()
            counts = load_batch(tracker.session, batch, tracker.run.id)
            tracker.commit_batch(counts)
            spent, spent_cpu = time.perf_counter() - start, time.process_time() - start_cpu
            counter.active = False
            load_s += spent
            cpu_s += spent_cpu
            batch_times.append(spent)
            window = [window[0] + spent, window[1] + spent_cpu, window[2] + len(batch)]
            if len(batch_times) % 10 == 0:
                logger.info(
                    "%s n=%d: %d records loaded, %.0f s; last %d records: %.2f ms/record wall, "
                    "%.2f ms/record cpu (this process)",
                    kind,
                    n,
                    len(batch_times) * batch_size,
                    load_s,
                    window[2],
                    1000 * window[0] / window[2],
                    1000 * window[1] / window[2],
                )
                window = [0.0, 0.0, 0]
        tracker.finish()
        result["rss_after_load_mb"] = round(maxrss_mb(), 1)
        rows = table_counts(engine)
        with engine.connect() as conn:
            works = int(conn.scalar(text("select count(*) from work")))
        result.update(
            load_s=round(load_s, 3),
            cpu_s=round(cpu_s, 3),
            statements=counter.count,
            rows=rows,
            rows_total=sum(rows.values()),
            works=works,
            works_expected=gen.truth.papers,
            pairs=gen.truth.pairs,
            first_batches_s=round(sum(batch_times[:5]) / min(5, len(batch_times)), 4),
            last_batches_s=round(sum(batch_times[-5:]) / min(5, len(batch_times)), 4),
            slowest_batch_s=round(max(batch_times), 4),
        )
        with fresh_database(kind, pg_url) as target:
            result["raw_s"] = round(raw_insert(engine, target), 3)
            if table_counts(target) != rows:
                raise RuntimeError("the baseline did not copy every row")
    result["rss_mb"] = round(maxrss_mb(), 1)
    return result


def derived(r: dict[str, Any]) -> dict[str, Any]:
    n, rows = r["n"], r["rows_total"]
    load_rps = n / r["load_s"]
    raw_rows_ps = rows / r["raw_s"]
    return {
        "records_per_s": load_rps,
        "load_rows_per_s": rows / r["load_s"],
        "raw_rows_per_s": raw_rows_ps,
        "raw_records_per_s": n / r["raw_s"],
        "ratio_records": load_rps / (n / r["raw_s"]),
        "ratio_rows": (rows / r["load_s"]) / raw_rows_ps,
        "ms_per_record": 1000 * r["load_s"] / n,
        "stmts_per_record": r["statements"] / n,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    head = (
        f"{'db':<10} {'N':>9} {'rec/s':>8} {'rows':>10} {'rows/rec':>8} {'raw rows/s':>11} "
        f"{'ratio':>6} {'ms/rec':>7} {'cpu ms':>7} {'stmt/rec':>8} {'1st/last batch s':>17} "
        f"{'RSS MB':>7} {'works/expected':>15}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        d = derived(r)
        print(
            f"{r['db']:<10} {r['n']:>9} {d['records_per_s']:>8.0f} {r['rows_total']:>10} "
            f"{r['rows_total'] / r['n']:>8.2f} {d['raw_rows_per_s']:>11.0f} "
            f"{d['ratio_records']:>6.3f} {d['ms_per_record']:>7.3f} "
            f"{1000 * r.get('cpu_s', 0) / r['n']:>7.3f} {d['stmts_per_record']:>8.3f} "
            f"{r['first_batches_s']:>8.3f}/{r['last_batches_s']:<8.3f} "
            f"{r['rss_after_load_mb']:>7.0f} {r['works']:>7}/{r['works_expected']:<7}"
        )
    print()
    print("ratio = load+merge throughput / raw executemany throughput of the same rows")
    print(
        "        (records and rows give the same ratio: both write the same rows); target >= 0.333"
    )
    print("cpu ms = this process's CPU per record during the load (the host is shared: wall")
    print("         time includes waiting for the CPU; PostgreSQL's own work is not in it)")
    print("RSS   = peak resident set (ru_maxrss) of the run's own process after the load")
    for kind in sorted({r["db"] for r in results}):
        mine = sorted((r for r in results if r["db"] == kind), key=lambda r: r["n"])
        if len(mine) > 1:
            small, large = mine[0], mine[-1]
            growth = derived(large)["ms_per_record"] / derived(small)["ms_per_record"]
            print(
                f"{kind}: time per record at {large['n']:,} / at {small['n']:,} = {growth:.2f}x "
                "(target <= 1.5x)"
            )
    for r in results:
        print(f"rows {r['db']} {r['n']}: {json.dumps(r['rows'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # "N:db": one run, JSON to stdout
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if args.one:
        n, kind = args.one.split(":")
        print(json.dumps(run_one(int(n), kind, args.batch_size, args.pg_url, args.seed)))
        return 0
    print("measured from the recordings (the generator samples these):")
    print(json.dumps(measure_profile().summary(), ensure_ascii=False))
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        for kind in args.db.split(","):
            cmd = [sys.executable, __file__, "--one", f"{n}:{kind}"]
            cmd += ["--batch-size", str(args.batch_size), "--pg-url", args.pg_url]
            cmd += ["--seed", str(args.seed)]
            out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(f"done: {json.dumps(result)}", flush=True)
            results.append(result)
    print()
    print_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
