"""Benchmark: ACL Anthology papers parsed and loaded per second, against a raw insert baseline.

Input: the real collection files in tests/fixtures/acl/xml (4 files, 61 papers), repeated
``--copies`` times with rewritten collection ids (``2023.bigpicture`` -> ``2023.bigpicturer7``),
so Anthology ids, PDF names and DOIs are unique per copy; authors keep their names and ids.

Measured in one run, on one fresh database (SQLite file by default, ``--pg`` for PostgreSQL):

1. parse only: collection XML -> WorkRecords (papers/s);
2. parse + load: ``flows.pipelines.acl.harvest_acl_venue`` into the full schema (papers/s);
3. a second harvest of the same data (nothing changed: every file skipped by its cursor);
4. baseline: the same papers (one row each: ids, title, abstract, year, venue, DOI, raw XML)
   inserted with one ``executemany`` into an equivalent plain table (rows/s).

Usage: uv run python bench/acl_ingest.py [--copies 100] [--pg [URL]]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.pipelines.acl import harvest_acl_venue  # noqa: E402
from harvesters.acl.data import LocalAnthology  # noqa: E402
from harvesters.acl.parse import parse_collection  # noqa: E402
from harvesters.records import WorkRecord  # noqa: E402
from models.base import Base  # noqa: E402
from models.engine import make_engine, session_factory  # noqa: E402

REAL = sorted((ROOT / "tests" / "fixtures" / "acl" / "xml").glob("*.xml"))
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def assemble(folder: Path, copies: int) -> int:
    """Write ``copies`` renamed copies of every real file into ``folder/xml``; the size."""
    xml = folder / "xml"
    xml.mkdir(parents=True)
    size = 0
    for path in REAL:
        content = path.read_bytes()
        old = path.stem.encode()
        for i in range(copies):
            new = old + b"r%d" % i
            data = content.replace(old, new)
            (xml / f"{new.decode()}.xml").write_bytes(data)
            size += len(data)
    return size


def baseline_table(metadata: MetaData) -> Table:
    return Table(
        "bench_raw_paper",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("source_id", String(255), unique=True, nullable=False),
        Column("doi", String(255), unique=True),
        Column("title", Text, nullable=False),
        Column("abstract", Text),
        Column("year", Integer),
        Column("venue", Text),
        Column("payload", Text, nullable=False),
        Column("content_hash", String(64), nullable=False),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=100, help="repeats of the real files")
    parser.add_argument("--pg", nargs="?", const=PG_URL, help="PostgreSQL URL (default local)")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="acl-bench-"))
    size = assemble(work / "data", args.copies)
    data = LocalAnthology(work / "data")
    files = data.collections()
    schema = None
    if args.pg:
        schema = f"acl_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.pg, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(f"sqlite:///{work / 'bench.db'}")
    try:
        Base.metadata.create_all(engine)
        sessions = session_factory(engine)
        print(
            f"input: {len(REAL)} real collection files x {args.copies} copies with rewritten "
            f"collection ids = {len(files)} files, {size / 1e6:.1f} MB ({engine.dialect.name})"
        )

        started = time.perf_counter()
        records = [
            r
            for f in files
            for r in parse_collection(data.read(f), f.collection_id)
            if isinstance(r, WorkRecord)
        ]
        parse_s = time.perf_counter() - started
        papers = len(records)
        print(
            f"parse only:          {papers} papers in {parse_s:6.2f} s = {papers / parse_s:9,.0f}/s"
        )

        started = time.perf_counter()
        summary = harvest_acl_venue(
            sessions, data, None, year_from=1950, batch_size=args.batch_size
        )
        load_s = time.perf_counter() - started
        assert summary.counts["inserted"] == papers, summary.counts
        print(
            f"parse + load:        {papers} papers in {load_s:6.2f} s = {papers / load_s:9,.0f}/s"
        )

        started = time.perf_counter()
        again = harvest_acl_venue(sessions, data, None, year_from=1950)
        again_s = time.perf_counter() - started
        print(
            f"second run:          {again.cursor['files_unchanged']} files unchanged, "
            f"{len(again.cursor['files_parsed'])} parsed, in {again_s:6.2f} s"
        )

        table = baseline_table(MetaData())
        table.create(engine)
        rows = [
            {
                "source_id": r.source_id,
                "doi": r.identifiers.get("doi"),
                "title": r.title,
                "abstract": r.abstract,
                "year": r.year,
                "venue": r.venue,
                "payload": r.raw,
                "content_hash": hashlib.sha256(r.raw.encode()).hexdigest(),
            }
            for r in records
        ]
        started = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(table.insert(), rows)
        raw_s = time.perf_counter() - started
        raw_rate = len(rows) / raw_s
        print(f"baseline raw insert: {len(rows)} rows   in {raw_s:6.2f} s = {raw_rate:9,.0f}/s")
        print(
            f"ratio: parse+load runs at {papers / load_s / raw_rate:.1%} of the raw insert rate "
            f"(raw is {raw_rate / (papers / load_s):.1f}x faster); parse alone is "
            f"{parse_s / load_s:.0%} of the parse+load time"
        )
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
