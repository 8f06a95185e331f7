"""Load+merge at a small scale: ~2,000 synthetic records shaped like the recordings.

The generator (``bench/identity_synth.py``, also behind ``bench/identity_load.py``) measures the
real fixtures and knows which records are one paper (10% of papers appear as an arXiv preprint
and as its ACL or Scholar publication, some with a slightly changed title). Not a timing test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from flows.pipelines.runs import RunTracker
from models.engine import session_factory
from models.identity.backfill import backfill_author_blocks
from models.identity.merge import merge_all, take_merge_lock
from models.loader import load_batch
from models.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "identity_synth", ROOT / "bench" / "identity_synth.py"
)
assert _spec is not None and _spec.loader is not None
synth = importlib.util.module_from_spec(_spec)
sys.modules["identity_synth"] = synth
_spec.loader.exec_module(synth)

N = 2000
BATCH = 500  # so a preprint and its publication usually arrive in different batches
# Moved on purpose by a reload (last_seen, the run) or not identity data at all.
VOLATILE = {"source_record": {"last_seen", "last_run_id"}}
TABLES = (
    "source_record",
    "work_mention",
    "mention_identifier",
    "mention_block",
    "author_mention",
    "author_mention_identifier",
    "work",
    "work_identifier",
    "work_link",
    "author",
    "author_identifier",
    "author_name_variant",
    "authorship",
    "merge_decision",
    "identity_redirect",
)


def _load(engine: Engine, gen: Any) -> dict[str, int]:
    tracker = RunTracker(session_factory(engine), "arxiv", "bench", {"n": N})
    for batch in gen.batches(BATCH):
        tracker.commit_batch(load_batch(tracker.session, batch, tracker.run.id))
    return tracker.finish().counts


def _snapshot(engine: Engine) -> dict[str, list[tuple]]:
    found = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"select * from {table} order by 1")).mappings().all()
            skip = VOLATILE.get(table, set())
            found[table] = [
                tuple(sorted((k, str(v)) for k, v in row.items() if k not in skip)) for row in rows
            ]
    return found


def test_synthetic_batches_merge_to_one_work_per_paper_and_reload_changes_nothing(
    empty_engine: Engine,
) -> None:
    upgrade(empty_engine)
    gen = synth.Generator(synth.measure_profile(), N, seed=7)
    truth = gen.papers_of_keys()
    assert gen.truth.pairs > 100 and len(truth) == N

    first = _load(empty_engine, gen)
    assert first["inserted"] == N

    with empty_engine.connect() as conn:
        work_of = dict(conn.execute(text("select key, work_id from work_mention")).tuples().all())
        works = conn.scalar(text("select count(*) from work"))
        shared = conn.execute(
            text(
                "select i.scheme, i.value from mention_identifier i"
                " join work_mention m on m.id = i.mention_id"
                " group by i.scheme, i.value having count(distinct m.work_id) > 1"
            )
        ).all()
        unowned = conn.scalar(
            text(
                "select count(*) from mention_identifier i"
                " join work_mention m on m.id = i.mention_id"
                " left join work_identifier w on w.scheme = i.scheme and w.value = i.value"
                " where w.work_id is null or w.work_id != m.work_id"
            )
        )
    # Every paper is one work, and no work holds two papers.
    assert works == gen.truth.papers
    papers_of_work: dict[int, set[int]] = {}
    for key, paper in truth.items():
        papers_of_work.setdefault(work_of[key], set()).add(paper)
    assert len(papers_of_work) == gen.truth.papers
    assert all(len(p) == 1 for p in papers_of_work.values())
    # No identifier is on two works, and each is listed on the work its mentions joined.
    assert shared == []
    assert unowned == 0

    before = _snapshot(empty_engine)
    second = _load(empty_engine, gen)
    assert second["unchanged"] == N and second["inserted"] == second["updated"] == 0
    assert _snapshot(empty_engine) == before


def test_batched_load_clusters_authors_as_one_merge_of_everything(empty_engine: Engine) -> None:
    """The author closure of a batch (blocks, ids, work clusters, current authors) reaches every
    mention a full re-merge would compare: re-merging everything afterwards changes nothing."""
    upgrade(empty_engine)
    gen = synth.Generator(synth.measure_profile(), N, seed=11)
    _load(empty_engine, gen)
    before = _snapshot(empty_engine)
    with session_factory(empty_engine)() as session:
        take_merge_lock(session)
        merge_all(session)
        session.commit()
    after = _snapshot(empty_engine)
    for table in ("work_mention", "author_mention", "work", "author", "authorship"):
        # A full re-merge rewrites every canonical row: only its time stamp may move.
        assert _without(after[table], "updated_at") == _without(before[table], "updated_at"), table


def _without(rows: list[tuple], column: str) -> list[tuple]:
    return [tuple(pair for pair in row if pair[0] != column) for row in rows]


def test_author_blocks_backfill_writes_what_the_loader_writes(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    gen = synth.Generator(synth.measure_profile(), 600, seed=3)
    _load(empty_engine, gen)
    query = text(
        "select mention_id, block from mention_block"
        " where block like 'ac:%' or block like 'ap:%' order by 1, 2"
    )
    with empty_engine.begin() as conn:
        written = conn.execute(query).all()
        conn.execute(text("delete from mention_block where block like 'a_:%'"))
    assert written
    with session_factory(empty_engine)() as session:
        backfill_author_blocks(session)
        backfill_author_blocks(session)  # idempotent
        session.commit()
    with empty_engine.connect() as conn:
        assert conn.execute(query).all() == written
