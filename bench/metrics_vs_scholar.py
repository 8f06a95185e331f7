"""Check: our indices against the numbers Google Scholar reported, on real crawler files.

Each real AcadHomepage crawler dump in tests/fixtures/scholar/originals (see PROVENANCE.md) is
imported with ``import_gs_data`` into one fresh SQLite database (``--pg URL`` for PostgreSQL);
the publications are read back with ``models.metrics.inputs.scholar_inputs`` and the h-index,
i10-index, citation total and "since" citations are computed with ``models.metrics.indices``.
Prints one row per file: reported, computed, and whether they agree; then the other indices
of the same data.

Usage: uv run python bench/metrics_vs_scholar.py [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.pipelines.scholar import import_gs_data  # noqa: E402
from models.base import Base  # noqa: E402
from models.engine import make_engine, session_factory  # noqa: E402
from models.metrics import indices  # noqa: E402
from models.metrics.inputs import scholar_inputs  # noqa: E402

FILES = sorted((ROOT / "tests" / "fixtures" / "scholar" / "originals").glob("*_gs_data.json"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL URL (a throw-away schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = make_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            engine = make_engine(args.pg, connect_args={"options": f"-csearch_path={schema}"})
        else:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'metrics.db'}")
        try:
            return report(engine)
        finally:
            engine.dispose()
            if args.pg:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()


def report(engine) -> int:  # type: ignore[no-untyped-def]
    Base.metadata.create_all(engine)
    sessions = session_factory(engine)
    reported: dict[str, tuple[str, dict]] = {}
    for path in FILES:
        raw = path.read_text(encoding="utf-8")
        import_gs_data(sessions, raw, name=path.name)
        data = json.loads(raw)
        reported[data["scholar_id"].split("&")[0]] = (path.name, data)
    with sessions() as session:
        inputs = {i.scholar_id: i for i in scholar_inputs(session)}

    print(f"database: {engine.dialect.name}; files: {len(FILES)}")
    head = ("file", "papers", "reported h/i10/total/5y", "computed h/i10/total/5y", "agree")
    rows: list[tuple[str, ...]] = [head]
    mismatches = 0
    extras: list[tuple[str, ...]] = [
        ("file", "coverage", "g", "e", "mean", "median", "m", "hc", "AWCR", "AW", "h5y")
    ]
    for scholar_id, (name, data) in reported.items():
        papers = inputs[scholar_id].papers
        year = datetime.fromisoformat(data["updated"]).year
        since = indices.scholar_since_year(year)
        ours = (
            indices.h_index(papers),
            indices.i10_index(papers),
            indices.citations_total(papers),
            indices.citations_since(inputs[scholar_id].cites_per_year, since),
        )
        theirs = (data["hindex"], data["i10index"], data["citedby"], data["citedby5y"])
        agree = ours == theirs
        mismatches += not agree
        rows.append((name, str(len(papers)), fmt(theirs), fmt(ours), "yes" if agree else "NO"))
        with_counts, total = indices.coverage(papers)
        extras.append(
            (
                name,
                f"{with_counts}/{total}",
                str(indices.g_index(papers)),
                num(indices.e_index(papers)),
                num(indices.citations_per_paper_mean(papers)),
                num(indices.citations_per_paper_median(papers)),
                num(indices.m_quotient(papers, current_year=year)),
                str(indices.hc_index(papers, current_year=year)),
                num(indices.awcr(papers, current_year=year)),
                num(indices.aw_index(papers, current_year=year)),
                fmt((indices.h_index_since(papers, since),)),
            )
        )
    table(rows)
    print()
    print("other indices (current year = the file's 'updated' year; h5y needs per-paper counts):")
    table(extras)
    print(f"\nmismatches: {mismatches}")
    return 1 if mismatches else 0


def fmt(values: tuple) -> str:
    return "/".join("-" if v is None else str(v) for v in values)


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
