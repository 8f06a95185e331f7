"""Per-author summaries from merged works, on SQLite and PostgreSQL (rows constructed here,
shaped as the loader and the identity layer write them): coverage, the Scholar count rule,
an author with no citation data, h <= works, and recomputation of changed authors only."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_rows import EARLIER, NOW, USER, Builder
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from models.metrics.citations import citation_counts
from models.metrics.store import compute_metrics, scope_author_ids
from models.metrics.summaries import AuthorInputs, WorkInput, summarize
from models.metrics.tables import AuthorMetrics, AuthorMetricsSnapshot
from models.scholar.tables import ScholarPublication


def _world(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Ada (tracked, Scholar profile): five works, four with Scholar counts, one of them
    listed twice on her profile; Bob (tracked): two arXiv works, no citation data."""
    with sessions() as session:
        b = Builder(session)
        ada, bob, cy = b.author("Ada", tracked=True), b.author("Bob", tracked=True), b.author("Cy")
        w1 = b.work("one", 2015, [ada, cy], categories=["cs.CL"], venues=["acl"])
        w2 = b.work("two", 2018, [cy, ada], categories=["cs.CL", "cs.LG"])
        w3 = b.work("three", 2020, [ada])
        w4 = b.work("four", 2024, [cy, ada], venues=["emnlp"])
        b.work("five (no count)", 2025, [ada, cy])
        b.work("bob one", 2021, [bob, cy], categories=["hep-th"])
        b.work("bob two", None, [bob])
        b.scholar_profile(ada, citedby=60, hindex=4, i10index=2)
        b.scholar_entry(w1, "p1", 30, NOW, position=0)
        # w2 is listed twice on the profile: the newer observation (12) is the one used, not
        # the older larger one (20) and not the sum
        b.scholar_entry(w2, "p2a", 12, NOW, position=1)
        b.scholar_entry(w2, "p2b", 20, EARLIER, position=4)
        b.scholar_entry(w3, "p3", 4, NOW, position=2)
        b.scholar_entry(w4, "p4", 3, NOW, position=3)
        session.commit()
        return {"ada": ada, "bob": bob, "cy": cy, "w2": w2, "w3": w3}


def _summaries(session: Session, ids: list[int]) -> dict[int, dict]:
    return {
        m.author_id: m.summary
        for m in session.scalars(select(AuthorMetrics).where(AuthorMetrics.author_id.in_(ids)))
    }


def _snapshots(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuthorMetricsSnapshot)) or 0


def test_the_newest_scholar_entry_of_a_work_is_its_count(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = _world(sessions)
    with sessions() as session:
        counts = citation_counts(session, [ids["w2"], ids["w3"]])
    assert counts[ids["w2"]].count == 12
    assert counts[ids["w2"]].entry == f"{USER}:p2a"
    assert [(o.entry, o.count) for o in counts[ids["w2"]].others] == [(f"{USER}:p2b", 20)]
    assert counts[ids["w3"]].count == 4 and counts[ids["w3"]].source == "scholar"


def test_summary_from_merged_works_with_coverage_and_scholar_beside(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = _world(sessions)
    with sessions() as session:
        run = compute_metrics(session, scope_author_ids(session), now=NOW)
        session.commit()
        assert (run.considered, run.computed, run.unchanged) == (2, 2, 0)
        ada = _summaries(session, [ids["ada"]])[ids["ada"]]
        row = session.get_one(AuthorMetrics, ids["ada"])

    # counts 30, 12, 4, 3 and one unknown
    assert ada["works"] == 5 and ada["works_with_citations"] == 4
    assert ada["coverage"]["by_source"] == {"scholar": 4}
    assert ada["coverage"]["without_citation_count"] == 1
    assert (ada["citations"], ada["h_index"], ada["i10_index"], ada["g_index"]) == (49, 3, 2, 4)
    assert ada["citations_median"] == 8.0
    assert ada["m_quotient"] == 3 / 12  # first work 2015, in 2026
    assert (ada["first_author"], ada["last_author"]) == (3, 2)  # w1, w3, w5; w2, w4
    assert ada["coauthors"][0] == {"author_id": ids["cy"], "name": "Cy", "works": 4}
    assert ada["topics"][0] == {"name": "cs.CL", "works": 2}
    assert {v["name"] for v in ada["venues"]} == {"acl", "emnlp"}
    comparison = ada["scholar"]["comparison"]
    assert comparison["citations"] == {"computed": 49, "reported": 60, "difference": -11}
    assert comparison["h_index"] == {"computed": 3, "reported": 4, "difference": -1}
    explained = " ".join(ada["scholar"]["explanations"])
    assert "1 work(s) appear as several entries" in explained
    assert "1 work(s) have no known citation count" in explained
    # the main numbers are columns too
    assert (row.works, row.citations, row.h_index, row.scholar_h_index) == (5, 49, 3, 4)


def test_an_author_with_no_citation_data_has_unknown_not_zero_indices(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = _world(sessions)
    with sessions() as session:
        compute_metrics(session, [ids["bob"]], now=NOW)
        session.commit()
        bob = _summaries(session, [ids["bob"]])[ids["bob"]]
        row = session.get_one(AuthorMetrics, ids["bob"])
    assert bob["works"] == 2 and bob["works_with_citations"] == 0
    assert bob["coverage"]["by_source"] == {}
    assert bob["citations"] is None and bob["h_index"] is None and bob["g_index"] is None
    assert bob["scholar"] is None
    assert bob["first_author"] == 2
    assert (row.citations, row.h_index, row.works_with_citations) == (None, None, 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(0, 500)), max_size=30))
def test_h_never_exceeds_the_works_held(counts: list[int | None]) -> None:
    from models.metrics.citations import CitationCount

    inputs = AuthorInputs(1, "X")
    for i, count in enumerate(counts):
        citation = None if count is None else CitationCount(count, "scholar", NOW.date(), f"e{i}")
        inputs.works.append(WorkInput(i, 2020, 0, 1, (), (), citation))
    s = summarize(inputs, current_year=2026)
    h = s["h_index"]
    assert s["works"] == len(counts)
    assert h is None or h <= s["works_with_citations"] <= s["works"]
    assert (h is None) == (bool(counts) and all(c is None for c in counts))


def test_only_authors_whose_inputs_changed_are_recomputed(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = _world(sessions)
    with sessions() as session:
        authors = scope_author_ids(session)
        compute_metrics(session, authors, now=NOW)
        session.commit()
        first = _snapshots(session)
        assert first == 2

        again = compute_metrics(session, authors, now=NOW + timedelta(hours=1))
        session.commit()
        assert (again.computed, again.unchanged) == (0, 2)
        assert _snapshots(session) == first  # no snapshot written

        # a re-harvest reporting the same count on a later day changes nothing either
        session.execute(update(ScholarPublication).values(observed_at=NOW + timedelta(days=1)))
        assert compute_metrics(session, authors, now=NOW).computed == 0

        # Scholar now reports 40 for w3: only Ada is recomputed
        session.execute(
            update(ScholarPublication)
            .where(ScholarPublication.author_pub_id == f"{USER}:p3")
            .values(num_citations=40)
        )
        changed = compute_metrics(session, authors, now=NOW + timedelta(hours=2))
        session.commit()
        assert changed.computed == 1 and [s["name"] for s in changed.summaries] == ["Ada"]
        assert _snapshots(session) == first + 1
        ada = session.get_one(AuthorMetrics, ids["ada"])
        assert (ada.citations, ada.h_index) == (85, 3)
        history = session.scalars(
            select(AuthorMetricsSnapshot.citations)
            .where(AuthorMetricsSnapshot.author_id == ids["ada"])
            .order_by(AuthorMetricsSnapshot.computed_at)
        ).all()
        assert history == [49, 85]

        full = compute_metrics(session, authors, full=True, now=NOW + timedelta(hours=3))
        assert full.computed == 2


def test_a_new_coauthorship_recomputes_the_coauthors(sessions) -> None:  # type: ignore[no-untyped-def]
    ids = _world(sessions)
    with sessions() as session:
        compute_metrics(session, [ids["ada"], ids["bob"], ids["cy"]], now=NOW)
        session.commit()
        b = Builder(session)
        b.work("joint", 2026, [ids["bob"], ids["cy"]])
        run = compute_metrics(session, [ids["ada"], ids["bob"], ids["cy"]], now=NOW)
        assert sorted(s["name"] for s in run.summaries) == ["Bob", "Cy"]


def _random_world(sessions: sessionmaker[Session], seed: int) -> list[int]:
    """A constructed database with some of everything the inputs read: random bylines (an
    author twice on one work too), years (one in the future), topics, venues, Scholar
    entries (duplicated, filled with per-year counts), repositories, S2's own numbers."""
    import json
    import random

    from harvesters.s2.author_report import S2AuthorReport
    from models.authors import AuthorIdentifier
    from models.citations.author_reports import store_author_reports
    from models.github.tables import (
        GitHubAuthorRepository,
        GitHubRepository,
        GitHubWorkRepository,
    )

    rng = random.Random(seed)
    with sessions() as session:
        b = Builder(session)
        authors = [b.author(f"Author {i}") for i in range(40)]
        b.scholar_profile(authors[0], citedby=500, hindex=7, i10index=3)
        works = []
        for i in range(150):
            team = rng.sample(authors, rng.choice((1, 2, 3, 5)))
            if i == 7:
                team = [*team, team[0]]  # the same author at two positions
            year = rng.choice((None, 2026, 2030, *range(1995, 2026)))
            cats = rng.sample(["cs.CL", "cs.LG", "hep-th", "math.CO"], rng.randint(0, 2))
            venues = [rng.choice(["acl", "emnlp"])] if i % 3 == 0 else None
            works.append(b.work(f"w{i}", year, team, categories=cats, venues=venues))
        for i, w in enumerate(rng.sample(works, 90)):
            b.scholar_entry(w, f"p{i}", int(rng.paretovariate(1.1)) - 1, NOW, position=i)
            if i % 9 == 0:
                b.scholar_entry(w, f"d{i}", rng.randint(0, 50), EARLIER, position=200 + i)
        for pub in session.scalars(select(ScholarPublication)).all()[::4]:
            pub.filled_at = NOW
            pub.payload = json.dumps({"cites_per_year": {"2024": 2, "2025": pub.num_citations}})
        for r in range(6):
            repo = GitHubRepository(
                full_name=f"o{r}/r{r}", name_key=f"o{r}/r{r}", owner=f"o{r}", stars=r * 7
            )
            session.add(repo)
            session.flush()
            session.add(
                GitHubWorkRepository(
                    work_id=works[r * 5], repository_id=repo.id, url=f"u{r}", source="x"
                )
            )
            session.add(
                GitHubAuthorRepository(author_id=authors[r], repository_id=repo.id, login="o")
            )
        session.add(AuthorIdentifier(author_id=authors[2], scheme="s2", value="2262347"))
        session.flush()
        report = S2AuthorReport("2262347", "A. Turing", 60, 12415, 23, NOW.date())
        store_author_reports(session, "s2", [report], run_id=None, now=NOW)
        session.commit()
        return authors


def test_the_whole_table_reader_gives_the_batch_readers_inputs(sessions) -> None:  # type: ignore[no-untyped-def]
    import json

    from models.metrics.summaries import iter_all_inputs, read_inputs

    authors = _random_world(sessions, seed=3)
    with sessions() as session:
        batch = read_inputs(session, authors)
        whole = {i.author_id: i for i in iter_all_inputs(session, [*authors, 10**9])}
        part = [i.author_id for i in iter_all_inputs(session, authors[5:9])]
    assert whole == batch and part == authors[5:9]
    assert any(len(i.works) > 5 and i.repositories and i.coauthors for i in whole.values())
    assert any(i.scholar for i in whole.values()) and any(i.s2 for i in whole.values())
    for author_id, inputs in whole.items():
        assert inputs.fingerprint(2026) == batch[author_id].fingerprint(2026)
        # the works' JSON spliced from halves built once per work = encoded for the author
        assert all(w.shared_entry for w in inputs.works)
        works = [replace(w, shared_entry=None) for w in reversed(inputs.works)]
        assert inputs.fingerprint(2026) == replace(inputs, works=works).fingerprint(2026)
        assert json.dumps(summarize(inputs, current_year=2026)) == json.dumps(
            summarize(batch[author_id], current_year=2026)
        )


def test_a_whole_table_run_stores_what_a_batch_run_stores(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from models.metrics import store

    authors = _random_world(sessions, seed=5)
    # small tasks and chunks: the 40 authors make 6 tasks and 4 writes, out of step
    monkeypatch.setattr(store, "TASK", 7)
    monkeypatch.setattr(store, "WRITE_CHUNK", 11)
    stored = []
    # batches of authors, then whole tables in this process, then in two and three workers
    for share, workers in ((2.0, None), (0.0, 1), (0.0, 2), (0.0, 3)):
        monkeypatch.setattr(store, "WHOLE_TABLE_SHARE", share)
        with sessions() as session:
            run = compute_metrics(session, authors, full=True, now=NOW, workers=workers)
            session.commit()
            assert run.computed == len(authors)
            rows = session.execute(select(AuthorMetrics).order_by(AuthorMetrics.author_id))
            stored.append(
                [
                    {c.name: getattr(m, c.key) for c in AuthorMetrics.__mapper__.columns}
                    for m in rows.scalars()
                ]
            )
            snapshots = session.scalars(
                select(AuthorMetricsSnapshot).order_by(AuthorMetricsSnapshot.id.desc())
            ).all()[: len(authors)]
            last = {s.author_id: (s.summary, s.fingerprint, s.h_index) for s in snapshots}
            assert last == {r["author_id"]: (r["summary"], r["fingerprint"], r["h_index"])
                            for r in stored[-1]}  # fmt: skip
    assert stored[0] == stored[1] == stored[2] == stored[3]
    assert len(stored[0]) == len(authors)


def test_worker_processes_keep_the_summaries_one_process_computes(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A default run (not full) in two worker processes: only changed authors are written,
    the summaries kept are the ones one process computes, in id order."""
    from models.metrics import store

    authors = _random_world(sessions, seed=6)
    monkeypatch.setattr(store, "TASK", 3)
    monkeypatch.setattr(store, "WRITE_CHUNK", 4)
    monkeypatch.setattr(store, "WHOLE_TABLE_SHARE", 0.0)
    with sessions() as session:
        compute_metrics(session, authors, full=True, now=NOW, workers=2)
        session.commit()
    with sessions() as session:  # Author 3 shares a new work with Author 4
        Builder(session).work("new", 2024, [authors[3], authors[4]])
        session.commit()
    runs = []
    for workers in (1, 2):
        with sessions() as session:
            runs.append(compute_metrics(session, authors, now=NOW, workers=workers))
            session.rollback()
    one, two = runs
    assert two.computed == one.computed == 2
    assert [s["author_id"] for s in two.summaries] == [authors[3], authors[4]]
    assert json.dumps(two.summaries) == json.dumps(one.summaries)


def test_a_failing_worker_fails_the_run(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """An error in a worker process is raised by the run, with the worker's traceback as a
    note; a worker that dies raises WorkerDied; either way no worker is left running and
    the collector is restored."""
    import gc
    import multiprocessing
    import os

    import pytest

    from models.metrics import store
    from models.metrics.workers import WorkerDied

    authors = _random_world(sessions, seed=9)
    monkeypatch.setattr(store, "TASK", 5)
    monkeypatch.setattr(store, "WHOLE_TABLE_SHARE", 0.0)
    real = store.summarize

    def failing(inputs, *, current_year):  # type: ignore[no-untyped-def]
        if inputs.author_id == authors[23]:
            raise ValueError("no such year")
        return real(inputs, current_year=current_year)

    def dying(inputs, *, current_year):  # type: ignore[no-untyped-def]
        if inputs.author_id == authors[31]:
            os._exit(3)
        return real(inputs, current_year=current_year)

    for broken, error, match in ((failing, ValueError, "no such year"),
                                 (dying, WorkerDied, "exit code 3")):  # fmt: skip
        monkeypatch.setattr(store, "summarize", broken)
        with sessions() as session, pytest.raises(error, match=match) as raised:
            compute_metrics(session, authors, full=True, now=NOW, workers=2)
        if error is ValueError:
            assert "in a metrics worker process" in "".join(raised.value.__notes__)
        assert multiprocessing.active_children() == []
        assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_failed_write_fails_the_run_and_restores_the_collector(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc

    import pytest

    from models.metrics import store

    authors = _random_world(sessions, seed=8)

    def broken(conn, rows) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_write", broken)
    monkeypatch.setattr(store, "WHOLE_TABLE_SHARE", 0.0)
    assert gc.isenabled()
    with sessions() as session, pytest.raises(RuntimeError, match="disk full"):
        compute_metrics(session, authors, full=True, now=NOW)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
