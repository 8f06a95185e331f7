"""Following a tracked author by Semantic Scholar author id: ``authors add --s2-id`` and
``harvest s2-authors``, replayed from the real recording of Lewis C. Cantley's paper list."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES
from listed_papers import CANTLEY_SAME_PAPERS, TURING_TWICE, h_index, paper_groups, work_counts
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.citations import s2_harvester
from flows.pipelines.s2_authors import harvest_s2_authors, tracked_s2_authors
from harvesters.http.replay import replaying
from models.citations.tables import CitationObservation
from models.queries import add_tracked_author, author_summary

S2_REC = FIXTURES / "s2" / "recordings"
PAGES = S2_REC / "author_papers"
TURING_REC = S2_REC / "author_turing"
CANTLEY = ("Lewis C. Cantley", "1723755")  # a real paper list; no recorded /author answer
TURING = ("Alan M. Turing", "2262347")  # the real author object Author.json
DAY1 = date(2026, 12, 2)
DAY2 = DAY1 + timedelta(days=1)


def recorded_papers() -> list[dict]:
    """Every paper of the nine recorded pages, read straight from the recordings."""
    return [
        p
        for f in sorted(PAGES.glob("*.json"))
        for p in json.loads(json.loads(f.read_text(encoding="utf-8"))["body"])["data"]
    ]


def track(sessions: sessionmaker[Session], name: str, s2_id: str) -> None:
    with sessions() as session:
        add_tracked_author(session, name, s2_author_id=s2_id)
        session.commit()


def harvest(sessions, folder, day, numbers=False, **kwargs):  # type: ignore[no-untyped-def]
    with replaying(folder):
        return harvest_s2_authors(
            sessions,
            s2_harvester(replay=True, **kwargs),
            tracked_s2_authors(sessions),
            today=day,
            numbers=numbers,
        )


def recorded_page_papers(pages: int) -> list[dict]:
    """The papers of the first ``pages`` recorded pages."""
    return [
        p
        for f in sorted(PAGES.glob("*.json"))[:pages]
        for p in json.loads(json.loads(f.read_text(encoding="utf-8"))["body"])["data"]
    ]


def s2_ids_per_work(session: Session, name: str) -> list[frozenset[str]]:
    """The S2 paper ids each of ``name``'s works holds, sorted like :func:`paper_groups`."""
    groups = []
    for work in author_summary(session, name).works:
        ids = [f"{k}:{v}" for k, v in work.identifiers.items()] + work.other_identifiers
        groups.append(frozenset(i.removeprefix("s2:") for i in ids if i.startswith("s2:")))
    return sorted(groups, key=sorted)


def turing() -> dict:
    """A. Turing's author object as S2 gave it (with the 60 papers it embeds)."""
    return json.loads((FIXTURES / "s2" / "originals" / "Author.json").read_text("utf-8"))


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table, except the run log (each run adds its own row by design)."""
    meta = MetaData()
    meta.reflect(bind=session.get_bind())
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in meta.tables.items()
        if name not in ("harvest_run", "alembic_version", "metrics_change")
    }


def test_every_listed_paper_becomes_a_work_of_the_tracked_author_with_its_count(
    sessions: sessionmaker[Session],
) -> None:
    papers = recorded_papers()
    track(sessions, *CANTLEY)

    summary = harvest(sessions, PAGES, DAY1)

    assert summary is not None and summary.status == "succeeded", summary
    assert summary.counts["inserted"] == len({p["paperId"] for p in papers})
    assert summary.cursor["requests"] == 9  # offset 0..800, the last page has no `next`
    with sessions() as session:
        # One work per paper: S2's second records of a paper (same DOI or PubMed id, or the
        # preprint of a journal article) join it; every listed record is in exactly one work.
        groups = paper_groups(papers, CANTLEY_SAME_PAPERS)
        assert len(groups) == 857 and len(papers) == 879
        assert s2_ids_per_work(session, CANTLEY[0]) == groups
        observed = session.scalars(select(CitationObservation.citation_count)).all()
        assert sorted(observed) == sorted(p["citationCount"] for p in papers)


def test_papers_s2_lists_twice_are_one_work_counted_once(
    sessions: sessionmaker[Session],
) -> None:
    from models.metrics.store import compute_metrics
    from models.queries import find_author

    papers = recorded_papers()
    track(sessions, *CANTLEY)
    harvest(sessions, PAGES, DAY1)

    with sessions() as session:
        works = {w.title: w for w in author_summary(session, CANTLEY[0]).works}
        # The bioRxiv preprint and the mBio article: one work, the journal DOI first.
        p38 = works["SARS-CoV-2 hijacks p38β/MAPK11 to promote virus replication"]
        assert p38.identifiers["doi"] == "10.1128/mbio.01007-23"
        assert "doi:10.1101/2021.08.20.457146" in p38.other_identifiers
        run = compute_metrics(session, [find_author(session, CANTLEY[0]).id], full=True)
        session.commit()
    (summary,) = run.summaries
    counts = work_counts(papers, paper_groups(papers, CANTLEY_SAME_PAPERS))
    assert summary["works"] == len(counts) == 857
    assert summary["citations"] == sum(counts)  # each paper's highest count, never a sum
    assert summary["h_index"] == h_index(counts)


def test_the_same_recording_again_adds_only_one_observation_per_work_and_day(
    sessions: sessionmaker[Session],
) -> None:
    papers = recorded_papers()
    track(sessions, *CANTLEY)
    harvest(sessions, PAGES, DAY1)
    with sessions() as session:
        first = row_counts(session)

    again = harvest(sessions, PAGES, DAY1)
    with sessions() as session:
        assert row_counts(session) == first
    assert again is not None and again.counts["unchanged"] == len(papers)

    harvest(sessions, PAGES, DAY2)
    with sessions() as session:
        second = row_counts(session)
    assert second.pop("citation_observation") == first.pop("citation_observation") + len(papers)
    assert second == first


def test_an_unknown_author_id_is_a_failed_run_naming_the_id(
    sessions: sessionmaker[Session],
) -> None:
    track(sessions, "Nobody Known", "0")

    summary = harvest(sessions, S2_REC / "author_not_found", DAY1, numbers=True)

    assert summary is not None and summary.status == "failed"
    assert "Nobody Known: Semantic Scholar has no author with id 0" in (summary.error or "")
    assert "Author with id 0 not found" in (summary.error or "")


def test_a_spent_budget_ends_blocked_and_keeps_the_pages_fetched(
    sessions: sessionmaker[Session],
) -> None:
    papers = recorded_papers()
    track(sessions, *CANTLEY)

    summary = harvest(sessions, PAGES, DAY1, max_requests=3)

    assert summary is not None and summary.status == "blocked"
    assert "budget of 3 spent" in (summary.error or "")
    with sessions() as session:
        assert s2_ids_per_work(session, CANTLEY[0]) == paper_groups(
            recorded_page_papers(3), CANTLEY_SAME_PAPERS
        )
    # The next run lists everything.
    assert harvest(sessions, PAGES, DAY1).status == "succeeded"
    with sessions() as session:
        assert s2_ids_per_work(session, CANTLEY[0]) == paper_groups(papers, CANTLEY_SAME_PAPERS)


@pytest.mark.parametrize("bad", ["abc", "17237x5", " ", "\uff11\uff12\uff13"])
def test_an_s2_id_that_is_not_digits_is_refused(
    tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}"]

    assert main([*db, "authors", "add", "Lewis C. Cantley", "--s2-id", bad]) == 2
    assert "is not a Semantic Scholar author id (digits only" in capsys.readouterr().err


def test_cli_add_by_s2_id_then_harvest_and_list(
    database_url: str, replay_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", database_url]
    assert main([*db, "authors", "add", CANTLEY[0], "--s2-id", CANTLEY[1]]) == 0
    assert main([*db, "authors", "add", "Someone Else", "--s2-id", CANTLEY[1]]) == 2
    assert "already tracked as 'Lewis C. Cantley'" in capsys.readouterr().err

    code = main(
        [*db, "harvest", "s2-authors", "--no-s2-numbers", "--replay", str(replay_dir(PAGES))]
    )

    out = capsys.readouterr().out
    assert code == 0, out
    assert "s2/authors: succeeded - fetched 879, inserted 879" in out
    assert main([*db, "authors", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["s2_author_id"] == CANTLEY[1]


def test_cli_unknown_author_id_exits_1_naming_it(
    database_url: str, replay_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", database_url]
    assert main([*db, "authors", "add", "Nobody Known", "--s2-id", "0"]) == 0
    folder = replay_dir(S2_REC / "author_not_found")

    assert main([*db, "harvest", "s2-authors", "--replay", str(folder)]) == 1

    out = capsys.readouterr()
    assert "s2/authors: failed" in out.out
    assert "Semantic Scholar has no author with id 0" in out.err


@pytest.mark.prefect
@pytest.mark.xdist_group("prefect_harness")
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_follows_s2_authors_then_merge_citations_metrics(
    database_url: str, replay_dir: Callable[..., Path]
) -> None:
    from flows.prefect.nightly import ALL_SOURCES, nightly
    from flows.runtime import open_database
    from models.metrics.export import summary_rows
    from models.queries import find_author

    papers = turing()["papers"]
    assert "s2-authors" in ALL_SOURCES
    sessions = open_database(database_url)
    track(sessions, *TURING)

    state = nightly(
        sources=["s2-authors"],
        citation_sources=["s2"],
        replay_dir=str(replay_dir(TURING_REC)),
        database_url=database_url,
        return_state=True,
    )

    assert state.is_completed() and state.name == "Completed", state
    results = state.result()
    assert list(results) == ["s2-authors", "merge", "citations", "metrics"]
    assert [(r["part"], r["status"]) for r in results["s2-authors"]["runs"]] == [
        ("authors", "succeeded")
    ]
    # The works just listed were counted today: the citation refresh asks nothing about them.
    assert results["citations"]["runs"][0]["cursor"]["works"] == 0
    with sessions() as session:
        (summary,) = summary_rows(session, [find_author(session, TURING[0]).id])
    counts = work_counts(papers, paper_groups(papers, TURING_TWICE))
    assert summary["works"] == len(counts) == len(papers) - 1  # one paper listed twice
    assert summary["citations"] == sum(counts)
    assert (summary["s2_citations"], summary["s2_h_index"]) == (
        turing()["citationCount"],
        turing()["hIndex"],
    )
    sessions.kw["bind"].dispose()


def test_s2s_own_numbers_are_kept_by_day_beside_the_computed_metrics(
    sessions: sessionmaker[Session],
) -> None:
    from models.citations.author_reports import AuthorReport
    from models.metrics.store import compute_metrics
    from models.queries import find_author

    author = turing()
    # S2 lists one 1937 paper twice: 59 works, that paper counted once (its higher count).
    counts = work_counts(author["papers"], paper_groups(author["papers"], TURING_TWICE))
    h = h_index(counts)
    track(sessions, *TURING)

    summary = harvest(sessions, TURING_REC, DAY1, numbers=True)
    harvest(sessions, TURING_REC, DAY1, numbers=True)  # the same day again: no new report

    assert summary is not None and summary.status == "succeeded", summary
    assert summary.cursor["reports"] == 1 and summary.cursor["requests"] == 2
    with sessions() as session:
        reports = session.scalars(select(AuthorReport)).all()
        assert [(r.external_id, r.observed_on) for r in reports] == [(TURING[1], DAY1)]
        assert (reports[0].works, reports[0].citations, reports[0].h_index) == (
            author["paperCount"],
            author["citationCount"],
            author["hIndex"],
        )
        author_id = find_author(session, TURING[0]).id
        run = compute_metrics(session, [author_id], full=True)
        session.commit()
    (computed,) = run.summaries
    s2 = computed["s2"]["comparison"]
    assert s2["h_index"] == {
        "computed": h,
        "reported": author["hIndex"],
        "difference": h - author["hIndex"],
    }
    assert s2["citations"]["computed"] == sum(counts)
    assert s2["citations"]["difference"] == sum(counts) - author["citationCount"]
    assert s2["works"] == {"computed": 59, "reported": author["paperCount"], "difference": -1}

    harvest(sessions, TURING_REC, DAY2, numbers=True)  # a later day: history
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuthorReport)) == 2


def test_a_429_waits_retry_after_then_continues_and_a_persistent_one_blocks(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    from harvesters.s2.client import S2Client
    from harvesters.s2.harvester import S2Harvester

    papers = recorded_papers()
    limited = S2_REC / "author_rate_limited" / "constructed_author_papers_429.json"
    track(sessions, *CANTLEY)
    authors = tracked_s2_authors(sessions)

    def run(folder: Path, waits: list[float]):  # type: ignore[no-untyped-def]
        client = S2Client(min_interval=0.0, sleep=waits.append)
        with replaying(folder):
            return harvest_s2_authors(
                sessions, S2Harvester(client), authors, today=DAY1, numbers=False
            )

    waits: list[float] = []
    blocked = run(replay_dir(PAGES / "test_get_author_papers_0.json", limited), waits)
    assert blocked is not None and blocked.status == "blocked"
    assert "429" in (blocked.error or "")
    with sessions() as session:
        assert s2_ids_per_work(session, CANTLEY[0]) == paper_groups(  # the first page stays
            recorded_page_papers(1), CANTLEY_SAME_PAPERS
        )

    waits = []
    resumed = run(replay_dir(PAGES, limited), waits)
    assert resumed is not None and resumed.status == "succeeded"
    assert 30.0 in waits  # S2's Retry-After, longer than the first backoff step
    with sessions() as session:
        assert s2_ids_per_work(session, CANTLEY[0]) == paper_groups(papers, CANTLEY_SAME_PAPERS)
