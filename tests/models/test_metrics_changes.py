"""A default (incremental) metrics run reads only the authors whose inputs changed, and
recomputes exactly the authors a fingerprint comparison of every author finds changed, for
each way an input changes: a newly loaded paper (mentions, authorships), a citation
observation, a Scholar count, a merge override, a GitHub repository's stars, a migrated
database. On SQLite and PostgreSQL.

Records: the real ACL Anthology papers of tests/fixtures/acl/xml and, for one of them, a
Semantic Scholar view constructed here from its real metadata (the id is made up).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES, pg_schema_engine
from metrics_rows import NOW, USER, Builder
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from harvesters.acl.parse import parse_collection
from harvesters.records import WorkRecord
from models.authors import Author, Authorship
from models.base import Base
from models.citations.store import store_observations
from models.engine import make_engine, session_factory
from models.github.tables import GitHubRepository, GitHubWorkRepository
from models.identity.overrides import add_override
from models.identity.tables import WorkMention
from models.loader import load_batch
from models.metrics.changes import MetricsChange
from models.metrics.store import compute_metrics
from models.metrics.summaries import read_inputs
from models.metrics.tables import AuthorMetrics
from models.migrate import upgrade
from models.scholar.tables import ScholarProfile, ScholarPublication


def acl_records() -> list[WorkRecord]:
    return [
        item
        for path in sorted((FIXTURES / "acl" / "xml").glob("*.xml"))
        for item in parse_collection(path.read_bytes(), path.stem)
        if isinstance(item, WorkRecord)
    ]


def load(sessions: sessionmaker[Session], records: list[WorkRecord], batch: int) -> None:
    for start in range(0, len(records), batch):
        with sessions() as session:
            load_batch(session, records[start : start + batch], None)
            session.commit()


@contextmanager
def fresh_sessions(kind: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database built by the migrations (not create_all)."""
    if kind == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        upgrade(engine)
        try:
            yield session_factory(engine)
        finally:
            engine.dispose()
    else:
        for engine, _ in pg_schema_engine():
            upgrade(engine)
            yield session_factory(engine)


@dataclasses.dataclass(frozen=True)
class S2Count:
    """A Semantic Scholar citation count, as harvesters.citations reports one (constructed)."""

    source: str
    source_id: str
    citation_count: int
    observed_on: date
    counts_by_year: dict[int, int] | None = None


def _all(session: Session) -> list[int]:
    return list(session.scalars(select(Author.id).order_by(Author.id)))


def _changed(session: Session) -> set[int]:
    """Ground truth: the authors whose inputs no longer hash as their stored summary says,
    found the slow way (every author's inputs read)."""
    stored = dict(
        session.execute(select(AuthorMetrics.author_id, AuthorMetrics.fingerprint)).tuples().all()
    )
    inputs = read_inputs(session, _all(session))
    return {a for a, i in inputs.items() if stored.get(a) != i.fingerprint(NOW.year)}


def _authors_of(session: Session, mention_key: str) -> set[int]:
    work = select(WorkMention.work_id).where(WorkMention.key == mention_key).scalar_subquery()
    return set(session.scalars(select(Authorship.author_id).where(Authorship.work_id == work)))


def _incremental(session: Session, expected: set[int]) -> None:
    """A default run over every author recomputes exactly ``expected`` (non-empty), which is
    what the fingerprints of all authors say changed, and reads far fewer than everyone."""
    truth = _changed(session)
    assert expected and expected <= truth
    run = compute_metrics(session, _all(session), now=NOW)
    session.commit()
    assert {s["author_id"] for s in run.summaries} == truth
    assert run.read < run.considered / 2
    assert _changed(session) == set()
    again = compute_metrics(session, _all(session), now=NOW)
    assert (again.read, again.computed) == (0, 0)


def _papers() -> list[WorkRecord]:
    return [p for p in acl_records() if p.authors and "doi" in p.identifiers]


def _s2_view(paper: WorkRecord) -> WorkRecord:
    """A Semantic Scholar record of a real paper (constructed: the S2 id is made up)."""
    return dataclasses.replace(
        paper,
        source="s2",
        source_id=f"constructed-s2-{paper.source_id}",
        identifiers={"doi": paper.identifiers["doi"]},
        raw=f"constructed s2 view of {paper.source_id}",
        raw_format="text",
        abstract=None,
    )


def _loaded(sessions: sessionmaker[Session], records: list[WorkRecord]) -> None:
    load(sessions, records, 1000)
    with sessions() as session:
        first = compute_metrics(session, _all(session), now=NOW)
        session.commit()
        assert first.computed == first.considered > 20


def test_a_newly_loaded_paper_recomputes_its_authors(sessions) -> None:  # type: ignore[no-untyped-def]
    papers = _papers()
    held_out = papers[5]
    _loaded(sessions, [p for p in papers if p is not held_out])
    load(sessions, [held_out], 10)
    with sessions() as session:
        _incremental(session, _authors_of(session, f"acl:{held_out.source_id}"))


def test_a_citation_observation_recomputes_the_works_authors(sessions) -> None:  # type: ignore[no-untyped-def]
    papers = _papers()
    paper = papers[2]
    _loaded(sessions, [*papers, _s2_view(paper)])
    with sessions() as session:
        observed = S2Count("s2", f"constructed-s2-{paper.source_id}", 17, NOW.date())
        store_observations(session, [observed], run_id=None, now=NOW)
        session.commit()
        _incremental(session, _authors_of(session, f"acl:{paper.source_id}"))


def test_a_merge_override_recomputes_the_authors_it_moves(sessions) -> None:  # type: ignore[no-untyped-def]
    papers = _papers()
    first, second = papers[3], papers[4]
    _loaded(sessions, papers)
    with sessions() as session:
        before = _authors_of(session, f"acl:{first.source_id}") | _authors_of(
            session, f"acl:{second.source_id}"
        )
        add_override(session, "work", "merge", f"acl:{first.source_id}", f"acl:{second.source_id}")
        session.commit()
        moved = _changed(session)  # the merged work's authors whose inputs it changed
        assert moved and moved <= before
        _incremental(session, moved)


def test_a_scholar_count_recomputes_the_works_authors_and_a_profile_its_owner(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        b = Builder(session)
        ada, cy, dan = b.author("Ada"), b.author("Cy"), b.author("Dan")
        others = [b.author(f"Other {i}") for i in range(10)]
        w1 = b.work("one", 2015, [ada, cy])
        b.work("two", 2018, [cy, dan])
        for i, other in enumerate(others):
            b.work(f"other {i}", 2019, [other])
        b.scholar_profile(ada, citedby=60, hindex=4)
        b.scholar_entry(w1, "p1", 30, NOW)
        session.commit()
        compute_metrics(session, _all(session), now=NOW)
        session.commit()
        session.execute(
            update(ScholarPublication)
            .where(ScholarPublication.author_pub_id == f"{USER}:p1")
            .values(num_citations=31)
        )
        _incremental(session, {ada, cy})
        session.execute(update(ScholarProfile).values(citedby=61))
        _incremental(session, {ada})


def test_a_repository_star_change_recomputes_the_works_authors(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        b = Builder(session)
        authors = [b.author(f"Author {i}") for i in range(12)]
        works = [b.work(f"w{i}", 2020, [a]) for i, a in enumerate(authors)]
        repo = GitHubRepository(full_name="o/r", name_key="o/r", owner="o", stars=5)
        session.add(repo)
        session.flush()
        session.add(
            GitHubWorkRepository(
                work_id=works[0], repository_id=repo.id, url="https://github.com/o/r", source="x"
            )
        )
        session.commit()
        compute_metrics(session, _all(session), now=NOW)
        session.commit()
        repo.stars = 9
        session.flush()
        _incremental(session, {authors[0]})


def test_the_year_turning_recomputes_everyone_and_full_clears_the_marks(sessions) -> None:  # type: ignore[no-untyped-def]
    with sessions() as session:
        b = Builder(session)
        ids = [b.author(f"Author {i}") for i in range(3)]
        b.work("w", 2020, ids)
        session.commit()
        full = compute_metrics(session, ids, full=True, now=NOW)
        session.commit()
        assert full.computed == 3
        assert session.scalar(select(func.count()).select_from(MetricsChange)) == 0
        later = compute_metrics(session, ids, now=NOW + timedelta(days=40))
        assert later.computed == 3  # a new year: every summary's current year changed


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_migrated_database_marks_changes_too(kind: str, tmp_path: Path) -> None:
    with fresh_sessions(kind, tmp_path) as sessions, sessions() as session:
        b = Builder(session)
        ids = [b.author(f"Author {i}") for i in range(12)]
        b.work("w", 2020, ids[:2])
        session.commit()
        compute_metrics(session, ids, now=NOW)
        session.commit()
        session.execute(update(Author).where(Author.id == ids[0]).values(display_name="Renamed"))
        _incremental(session, {ids[0], ids[1]})  # the renamed author and the co-author


def test_s2s_own_numbers_for_an_s2_id_recompute_the_author_holding_it(sessions) -> None:  # type: ignore[no-untyped-def]
    from harvesters.s2.author_report import S2AuthorReport
    from models.authors import AuthorIdentifier
    from models.citations.author_reports import store_author_reports

    _loaded(sessions, _papers())
    with sessions() as session:
        author_id = _all(session)[3]
        session.add(AuthorIdentifier(author_id=author_id, scheme="s2", value="2262347"))
        session.commit()
        compute_metrics(session, _all(session), now=NOW)  # no report yet: nothing changes
        session.commit()
        report = S2AuthorReport("2262347", "A. Turing", 60, 12415, 23, NOW.date())
        store_author_reports(session, "s2", [report], run_id=None, now=NOW)
        session.commit()
        _incremental(session, {author_id})


def _ada_and_bob(session: Session, others: int = 0) -> tuple[int, int]:
    """Ada (one paper, on her Scholar profile with 30 citations) and Bob (one paper), and
    ``others`` more authors of a paper each; committed."""
    b = Builder(session)
    ada, bob = b.author("Ada"), b.author("Bob")
    w = b.work("one", 2015, [ada])
    b.work("two", 2016, [bob])
    for i in range(others):
        b.work(f"other {i}", 2019, [b.author(f"Other {i}")])
    b.scholar_profile(ada, citedby=60, hindex=4)
    b.scholar_entry(w, "p1", 30, NOW)
    session.commit()
    return ada, bob


@pytest.mark.parametrize("full", [False, True])
def test_a_mark_committed_during_a_run_is_not_cleared_by_it(full: bool, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL hands out ids before commit: a change whose transaction began before the run
    but commits while it runs has a mark with a lower id than marks the run saw. The run must
    leave that mark (it did not see it), so the next run recomputes its author. (SQLite has
    one writer at a time: no mark can be committed while a run holds its transaction.)"""
    from models.metrics import changes

    for engine, _ in pg_schema_engine():
        Base.metadata.create_all(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            ada, bob = _ada_and_bob(session, others=10)
            compute_metrics(session, _all(session), now=NOW)
            session.commit()
        with engine.connect() as late:
            # the late change takes its mark's id first, then commits during the run below
            late.execute(update(ScholarProfile).values(citedby=61))
            with sessions() as session:
                session.execute(update(Author).where(Author.id == bob).values(display_name="B"))
                session.commit()
                clear = changes.clear

                def commit_then_clear(*args, clear=clear, late=late) -> None:  # type: ignore[no-untyped-def]
                    late.commit()
                    clear(*args)

                monkeypatch.setattr(changes, "clear", commit_then_clear)
                run = compute_metrics(session, _all(session), full=full, now=NOW)
                session.commit()
                monkeypatch.setattr(changes, "clear", clear)
                assert bob in {s["author_id"] for s in run.summaries}
                left = session.execute(select(MetricsChange.kind, MetricsChange.ref)).all()
                assert ("author", ada) in left  # the late mark is still there
                again = compute_metrics(session, _all(session), now=NOW)
                session.commit()
                assert [s["author_id"] for s in again.summaries] == [ada]
                assert again.summaries[0]["scholar"]["comparison"]["citations"]["reported"] == 61


def test_a_full_run_empties_the_marks_at_once_unless_a_writer_is_at_work(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A whole-table run that saw every mark empties the table in one TRUNCATE (millions of
    marks after a bulk load), unless another transaction is writing marks: then it does not
    wait for that writer's lock, deletes what it saw row by row, and the writer's mark stays
    for the next run."""
    from models.metrics import changes

    emptied: list[bool] = []
    at_once = changes._empty_at_once

    def spy(*args):  # type: ignore[no-untyped-def]
        emptied.append(at_once(*args))
        return emptied[-1]

    monkeypatch.setattr(changes, "_empty_at_once", spy)
    for engine, _ in pg_schema_engine():
        Base.metadata.create_all(engine)
        sessions = session_factory(engine)
        with sessions() as session:
            ada, bob = _ada_and_bob(session)
            assert session.scalar(select(func.count()).select_from(MetricsChange)) > 0
            compute_metrics(session, _all(session), full=True, now=NOW)
            session.commit()
            assert emptied == [True]
            assert session.scalar(select(func.count()).select_from(MetricsChange)) == 0
        with engine.connect() as late, sessions() as session:
            session.execute(update(Author).where(Author.id == bob).values(display_name="B"))
            session.commit()
            late.execute(update(ScholarProfile).values(citedby=61))  # a writer at work
            compute_metrics(session, _all(session), full=True, now=NOW)  # must not wait
            session.commit()
            assert emptied == [True, False]
            late.commit()
            left = session.execute(select(MetricsChange.kind, MetricsChange.ref)).all()
            assert set(left) == {("author", ada)}  # only the writer's marks
            again = compute_metrics(session, _all(session), now=NOW)
            session.commit()
            assert [s["author_id"] for s in again.summaries] == [ada]
