"""Fault injection: the demo's harvests under ~30% failing HTTP exchanges end with the same
database as a clean run.

Every source the demo harvests over HTTP (arXiv API and OAI-PMH, Google Scholar, GitHub;
the ACL part reads local files, so no exchange of it can fail) is replayed from the shipped
recordings, with faults injected at the replay layer (harvesters/http/faults.py): a
constructed 503 with ``Retry-After: 0``, a connection reset, and for the arXiv API an empty
Atom page. Faults are deterministic per ``--seed``; at most ``--max-consecutive`` hit one
request in a row (the smallest retry budget is Scholar's 3 attempts, so 2 always gets
through; more makes runs fail, and the parts that failed are re-run as an operator would,
faults still on, up to ``--reruns`` times). Retries do not sleep
(SCHOLARFLOW_HTTP_RETRY_DELAYS=0,0,0).

Then both databases are compared row for row on natural keys (models/snapshot.py says
exactly what is compared: every table but harvest_run and merge_lock, without surrogate
ids, run ids and wall-clock columns, foreign keys resolved to the referenced rows).

Usage: uv run python bench/fault_injection.py [--seed 1] [--rate 0.3] [--rounds 20] [--pg [URL]]
Exit code 1 when a round's database differs from the clean one or a run is left running.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flows.cli.demo import PARTS  # noqa: E402
from flows.runtime import open_database  # noqa: E402
from harvesters.http.faults import FAULT_KINDS, FaultInjector, injecting_faults  # noqa: E402
from models.engine import make_engine  # noqa: E402
from models.runs import HarvestRun  # noqa: E402
from models.snapshot import Snapshot, compare, snapshot  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class DemoResult:
    """What one demo harvest did: run statuses, parts that failed and were re-run."""

    statuses: Counter[str] = field(default_factory=Counter)
    failed_parts: list[str] = field(default_factory=list)
    reruns: int = 0
    unfinished: list[str] = field(default_factory=list)


def harvest_demo(url: str, reruns: int = 0) -> DemoResult:
    """Every demo part into the database at ``url``; a part whose call raised or whose runs
    did not all succeed is re-run (at most ``reruns`` times). ``unfinished`` names the parts
    still failing at the end."""
    sessions = open_database(url)
    result = DemoResult()
    for label, _what, part in PARTS:
        for attempt in range(reruns + 1):
            result.reruns += attempt > 0
            try:
                runs = part(sessions, None)
            except Exception as exc:  # a failed part: what the operator re-runs
                failure = f"{label}: {type(exc).__name__}: {exc}"
            else:
                bad = [r for r in runs if r.status != "succeeded"]
                failure = f"{label}: {bad[0].status}: {bad[0].error}" if bad else ""
            if not failure:
                break
            result.failed_parts.append(failure)
        else:
            result.unfinished.append(label)
    with sessions() as session:
        result.statuses.update(
            dict(session.execute(select(HarvestRun.status, func.count()).group_by("status")).all())
        )
    sessions.kw["bind"].dispose()
    return result


def read(url: str) -> Snapshot:
    engine = make_engine(url)
    try:
        return snapshot(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def databases(pg: str | None, folder: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh database URLs (SQLite files in ``folder``, or PostgreSQL schemas
    dropped afterwards)."""
    schemas: list[str] = []

    def new(name: str) -> str:
        if not pg:
            return f"sqlite:///{folder / f'{name}_{uuid.uuid4().hex[:8]}.db'}"
        schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        admin = make_engine(pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        schemas.append(schema)
        return (
            make_engine(pg)
            .url.set(query={"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )

    try:
        yield new
    finally:
        if schemas:
            admin = make_engine(pg)
            with admin.begin() as conn:
                for schema in schemas:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


@dataclass
class RoundReport:
    injector: FaultInjector
    result: DemoResult
    differences: list[str]


def faulty_round(
    new_url: Callable[[str], str],
    clean: Snapshot,
    seed: int,
    rate: float,
    *,
    max_consecutive: int = 2,
    kinds: tuple[str, ...] = FAULT_KINDS,
    reruns: int = 10,
) -> RoundReport:
    """One demo harvest under faults into a fresh database, compared with ``clean``."""
    url = new_url(f"faulty{seed}")
    injector = FaultInjector(seed=seed, rate=rate, max_consecutive=max_consecutive, kinds=kinds)
    with injecting_faults(injector):
        result = harvest_demo(url, reruns=reruns)
    return RoundReport(injector, result, compare(clean, read(url)))


def main() -> int:
    # Instant retries for this script only (set here, not at import: tests import this module).
    os.environ.setdefault("SCHOLARFLOW_HTTP_RETRY_DELAYS", "0,0,0")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="first seed (round i uses seed+i)")
    parser.add_argument("--rate", type=float, default=0.3, help="share of exchanges that fail")
    parser.add_argument("--rounds", type=int, default=20, help="faulty demo harvests")
    parser.add_argument("--max-consecutive", type=int, default=2)
    parser.add_argument("--kinds", default=",".join(FAULT_KINDS), help="faults to inject")
    parser.add_argument("--reruns", type=int, default=10, help="re-runs of a failed part")
    parser.add_argument("--pg", nargs="?", const=PG_URL, help="PostgreSQL URL (default local)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)  # the harvests' warnings are expected here
    kinds = tuple(k for k in args.kinds.split(",") if k)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp, databases(args.pg, Path(tmp)) as new:
        clean_url = new("clean")
        with contextlib.redirect_stdout(io.StringIO()):
            clean_result = harvest_demo(clean_url)
        clean = read(clean_url)
        print(
            f"clean run: runs {dict(clean_result.statuses)}, {len(clean.tables)} tables, "
            f"{clean.rows()} rows"
        )
        totals: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        exchanges = retries = reruns = differences = 0
        for i in range(args.rounds):
            report = faulty_round(
                new,
                clean,
                args.seed + i,
                args.rate,
                max_consecutive=args.max_consecutive,
                kinds=kinds,
                reruns=args.reruns,
            )
            inj, res = report.injector, report.result
            totals.update(inj.injected)
            statuses.update(res.statuses)
            exchanges += inj.exchanges
            retries += inj.retries
            reruns += res.reruns
            differences += len(report.differences)
            print(
                f"round {i + 1} seed {args.seed + i}: {inj.summary()}; runs "
                f"{dict(res.statuses)}; parts re-run {res.reruns}; "
                f"parts still failing {res.unfinished}; differences {len(report.differences)}"
            )
            for line in report.differences[:10]:
                print(f"  {line[:300]}")
        kinds_text = ", ".join(f"{k} {totals[k]}" for k in kinds)
        print(
            f"total: {args.rounds} rounds on {'postgresql' if args.pg else 'sqlite'}, exchanges "
            f"{exchanges}, faults injected {sum(totals.values())} ({kinds_text}), retries "
            f"{retries}, runs {dict(statuses)}, parts re-run {reruns}"
        )
        per_table = ", ".join(f"{k} {sum(v.values())}" for k, v in clean.tables.items())
        print(f"compared per round: {len(clean.tables)} tables, {clean.rows()} rows ({per_table})")
        print(f"differences: {differences}; {time.perf_counter() - started:.1f}s")
    return 1 if differences or statuses.get("running") else 0


if __name__ == "__main__":
    raise SystemExit(main())
