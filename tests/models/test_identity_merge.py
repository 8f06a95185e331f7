"""The merge step on a database: order-independent clusters, overrides that survive re-harvests,
concurrent loaders, and a database written before the identity layer.

Records: the real ACL Anthology papers of tests/fixtures/acl/xml, plus for each paper two views
derived from it (``constructed`` here, from the real metadata): a DOI-only view, as a citation
graph would return it, and a Scholar-style view (lower-cased title, initials, no id, a year
later) that only the fuzzy rules can join.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import FIXTURES, pg_schema_engine
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.acl.parse import parse_collection
from harvesters.records import AuthorName, WorkRecord
from models.authors import Author, Authorship
from models.engine import make_engine, session_factory
from models.identity import matching
from models.identity.merge import merge_all
from models.identity.overrides import add_override
from models.identity.store import as_matching_mention
from models.identity.tables import AuthorMention, MergeDecision, WorkMention
from models.loader import load_batch
from models.migrate import upgrade
from models.provenance import SourceRecord
from models.works import Work, WorkIdentifier

ROOT = Path(__file__).resolve().parents[2]
ACL_FILES = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))


def acl_records() -> list[WorkRecord]:
    return [
        item
        for path in ACL_FILES
        for item in parse_collection(path.read_bytes(), path.stem)
        if isinstance(item, WorkRecord)
    ]


def _initials(name: str) -> str:
    *given, last = name.split()
    return " ".join([("".join(g[0] for g in given)), last]) if given else name


def derived_views(paper: WorkRecord) -> list[WorkRecord]:
    """A DOI-only view and a Scholar-style view of one real paper (constructed)."""
    views = []
    doi = paper.identifiers.get("doi")
    if doi:
        views.append(
            dataclasses.replace(
                paper,
                source="constructed-doi-view",
                source_id=doi,
                identifiers={"doi": doi},
                raw=f"constructed doi view of {doi}",
                raw_format="text",
                abstract=None,
            )
        )
    if not paper.title.lower().startswith(("proceedings", "front")):
        views.append(
            WorkRecord(
                source="scholar",
                source_id=f"constructedprofile:{paper.source_id}",
                title=paper.title.lower(),
                raw=f"constructed scholar view of {paper.source_id}",
                raw_format="text",
                year=(paper.year or 2023) + 1,
                authors=tuple(AuthorName(_initials(a.name)) for a in paper.authors[:3]),
                identifiers={"scholar_pub": f"constructedprofile:{paper.source_id}"},
            )
        )
    return views


def all_records() -> list[WorkRecord]:
    papers = acl_records()
    return papers + [v for p in papers for v in derived_views(p)]


@contextmanager
def fresh_sessions(kind: str, tmp_path: Path, name: str) -> Iterator[sessionmaker[Session]]:
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / (name + '.db')}")
        upgrade(engine)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()
    else:
        for engine, _ in pg_schema_engine():
            upgrade(engine)
            yield session_factory(engine)


def load(sessions: sessionmaker[Session], records: list[WorkRecord], batch: int) -> None:
    for start in range(0, len(records), batch):
        with sessions() as session:
            load_batch(session, records[start : start + batch], None)
            session.commit()


def clusters(sessions: sessionmaker[Session]) -> tuple[set[frozenset[str]], set[frozenset[str]]]:
    """Works and authors as sets of mention keys: what order must not change."""
    with sessions() as session:
        works: dict[int, set[str]] = {}
        for key, work_id in session.execute(select(WorkMention.key, WorkMention.work_id)):
            works.setdefault(work_id, set()).add(key)
        authors: dict[int, set[str]] = {}
        for key, position, author_id in session.execute(
            select(WorkMention.key, AuthorMention.position, AuthorMention.author_id).join(
                WorkMention, WorkMention.id == AuthorMention.work_mention_id
            )
        ):
            authors.setdefault(author_id, set()).add(f"{key}#{position}")
    return {frozenset(v) for v in works.values()}, {frozenset(v) for v in authors.values()}


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_any_order_and_batch_size_gives_the_same_clusters(kind: str, tmp_path: Path) -> None:
    records = all_records()
    with fresh_sessions(kind, tmp_path, "reference") as sessions:
        load(sessions, records, 1000)
        reference = clusters(sessions)
        with sessions() as session:
            decisions = {
                (d.left_key, d.right_key, d.outcome, d.rule)
                for d in session.scalars(select(MergeDecision))
            }
    papers = len(acl_records())
    works = reference[0]
    assert len(works) == papers  # every derived view found its paper, nothing else merged
    for seed, batch in ((1, 1), (2, 7), (3, 40)):
        shuffled = records[:]
        random.Random(seed).shuffle(shuffled)
        with fresh_sessions(kind, tmp_path, f"order{seed}") as sessions:
            load(sessions, shuffled, batch)
            assert clusters(sessions) == reference, (seed, batch)
            with sessions() as session:
                again = {
                    (d.left_key, d.right_key, d.outcome, d.rule)
                    for d in session.scalars(select(MergeDecision))
                }
            assert again == decisions, (seed, batch)


def _work_of(session: Session, key: str) -> int:
    return session.scalar(select(WorkMention.work_id).where(WorkMention.key == key))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_overrides_survive_a_full_reharvest_and_remerge(kind: str, tmp_path: Path) -> None:
    records = all_records()
    papers = [p for p in acl_records() if "doi" in p.identifiers and p.authors]
    first, second = papers[3], papers[4]
    doi_view = f"constructed-doi-view:{first.identifiers['doi']}"
    with fresh_sessions(kind, tmp_path, "overrides") as sessions:
        load(sessions, records, 1000)
        with sessions() as session:
            assert _work_of(session, f"acl:{first.source_id}") == _work_of(session, doi_view)
            # The operator knows better twice: the DOI view is another work, and two papers
            # are one (say, a paper and its erratum the rules keep apart).
            add_override(session, "work", "split", f"acl:{first.source_id}", doi_view)
            add_override(
                session, "work", "merge", f"acl:{first.source_id}", f"acl:{second.source_id}"
            )
            session.commit()

        def check() -> None:
            with sessions() as session:
                assert _work_of(session, f"acl:{first.source_id}") != _work_of(session, doi_view)
                assert _work_of(session, f"acl:{first.source_id}") == _work_of(
                    session, f"acl:{second.source_id}"
                )

        check()
        # A full re-harvest in which every payload changed (so every mention is rewritten and
        # re-merged), then a re-merge of everything: the overrides still win.
        changed = [dataclasses.replace(r, raw=r.raw + " ") for r in records]
        load(sessions, changed, 25)
        check()
        with sessions() as session:
            merge_all(session)
            session.commit()
        check()
        with sessions() as session:
            identifiers = session.execute(
                select(WorkIdentifier.scheme, WorkIdentifier.value, func.count())
                .group_by(WorkIdentifier.scheme, WorkIdentifier.value)
                .having(func.count() > 1)
            ).all()
        assert identifiers == []


def _harvest_acl_cli(url: str, checkout: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "SCHOLARFLOW_DATABASE_URL": url, "SCHOLARFLOW_ACL_DATA_DIR": str(cwd)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli.main",
            "-q",
            "harvest",
            "acl",
            "--data-dir",
            str(checkout),
            "--years",
            "2020-2024",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _identity_rows(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        counts = {
            "works": conn.scalar(select(func.count()).select_from(Work)),
            "authors": conn.scalar(select(func.count()).select_from(Author)),
            "authorships": conn.scalar(select(func.count()).select_from(Authorship)),
            "identifiers": conn.scalar(select(func.count()).select_from(WorkIdentifier)),
            "records": conn.scalar(select(func.count()).select_from(SourceRecord)),
            "mentions": conn.scalar(select(func.count()).select_from(WorkMention)),
        }
        counts["duplicate_ids"] = len(
            conn.execute(
                select(WorkIdentifier.value)
                .group_by(WorkIdentifier.scheme, WorkIdentifier.value)
                .having(func.count() > 1)
            ).all()
        )
    return counts


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_harvests_of_the_same_data_at_once_leave_what_one_leaves(
    kind: str, tmp_path: Path
) -> None:
    checkout = tmp_path / "acl-anthology" / "data" / "xml"
    checkout.mkdir(parents=True)
    for path in ACL_FILES:
        (checkout / path.name).write_bytes(path.read_bytes())
    checkout = checkout.parent.parent

    def url_of(engine: Engine, schema: str | None) -> str:
        if schema is None:
            return engine.url.render_as_string(hide_password=False)
        return engine.url.set(query={"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )

    def run(engine: Engine, schema: str | None, processes: int, tag: str) -> dict[str, int]:
        upgrade(engine)  # the processes would race to migrate: a separate (hardening) test
        url = url_of(engine, schema)
        procs = [_harvest_acl_cli(url, checkout, tmp_path / f"{tag}{i}") for i in range(processes)]
        outputs = [p.communicate(timeout=300)[0] for p in procs]
        assert [p.returncode for p in procs] == [0] * processes, outputs
        return _identity_rows(engine)

    if kind == "sqlite":
        results = []
        for name, n in (("single", 1), ("double", 2)):
            engine = make_engine(f"sqlite:///{tmp_path / (name + '.db')}")
            results.append(run(engine, None, n, name))
            engine.dispose()
    else:
        results = []
        for n in (1, 2):
            for engine, schema in pg_schema_engine():
                results.append(run(engine, schema, n, f"pg{n}"))
    single, double = results
    assert double["duplicate_ids"] == 0
    assert double == single
    assert single["works"] == single["mentions"] == 61


def test_a_database_written_before_the_identity_layer_upgrades_and_remerges(
    tmp_path: Path,
) -> None:
    db = tmp_path / "legacy.db"
    dump = gzip.decompress((FIXTURES / "legacy" / "demo_db_at_0a61825.sql.gz").read_bytes())
    with sqlite3.connect(db) as conn:
        conn.executescript(dump.decode("utf-8"))
        before = {
            "records": conn.execute("select count(*) from source_record").fetchone()[0],
            "works": sorted(r[0] for r in conn.execute("select id from work")),
            "record_work": dict(conn.execute("select id, work_id from source_record").fetchall()),
        }
    from flows.runtime import open_database

    sessions = open_database(f"sqlite:///{db}")  # migrates, then backfills the mentions
    with sessions() as session:
        after_records = session.scalar(select(func.count()).select_from(SourceRecord))
        works = sorted(session.scalars(select(Work.id)))
        record_work = dict(session.execute(select(SourceRecord.id, SourceRecord.work_id)).all())
        mentions = session.scalar(select(func.count()).select_from(WorkMention))
        work_records = session.scalar(
            select(func.count()).select_from(SourceRecord).where(SourceRecord.kind == "work")
        )
        unattached = session.scalar(
            select(func.count()).select_from(WorkMention).where(WorkMention.work_id.is_(None))
        )
    assert after_records == before["records"]  # no source record lost
    assert mentions == work_records and unattached == 0
    assert works == before["works"]  # downstream readers keep their work ids
    assert record_work == before["record_work"]


def _block_test_record(source: str, number: int, title: str, year: int) -> WorkRecord:
    return WorkRecord(
        source=source,
        source_id=str(number),
        title=title,
        raw=f"constructed record {source}:{number}",
        raw_format="text",
        year=year,
        authors=(AuthorName("J. Smith"), AuthorName("K. Lee")),
    )


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_two_mentions_meeting_only_in_an_oversized_block_are_kept_apart_in_any_batch(
    kind: str, tmp_path: Path
) -> None:
    """Constructed records: more than MAX_BLOCK papers by J. Smith whose titles start with
    "Learning" fill the block ``a:smith:learning``, which the merge's closure no longer follows.
    Two reworded titles that meet only in that block are then not compared, whether they
    arrive in one batch or in two (before the fix, one batch compared and merged them)."""
    rng = random.Random(5)
    words = ["graph", "kernel", "sparse", "robust", "bayes", "vision", "speech", "policy"]
    fillers = [
        _block_test_record(
            "constructed-filler",
            i,
            f"Learning {' '.join(rng.sample(words, 4))} number {i} for {rng.choice(words)}",
            2019,
        )
        for i in range(matching.MAX_BLOCK + 1)
    ]
    a = _block_test_record(
        "constructed-a", 1, "Learning deep structured representations for parsing text", 2020
    )
    b = _block_test_record(
        "constructed-b", 1, "Learning structured deep representations for text parsing", 2021
    )
    # Compared, the two are one work; they share no other block.
    views = [as_matching_mention(r) for r in (a, b)]
    assert len(matching.resolve_works(views).clusters) == 1
    shared = set(matching.work_block_keys(matching.prepare_work(views[0]))) & set(
        matching.work_block_keys(matching.prepare_work(views[1]))
    )
    assert shared == {"a:smith:learning"}
    found = []
    for batches in ([fillers, [a, b]], [fillers, [a], [b]]):
        with fresh_sessions(kind, tmp_path, f"oversized{len(batches)}") as sessions:
            for batch in batches:
                load(sessions, batch, len(batch))
            works, _ = clusters(sessions)
            found.append(works)
            assert frozenset({"constructed-a:1"}) in works
            assert frozenset({"constructed-b:1"}) in works
    assert found[0] == found[1]
