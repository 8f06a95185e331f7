"""Following a tracked author on OpenAlex: ``authors add --openalex-id`` (or ``--orcid``) and
``harvest openalex-authors``, replayed from constructed listings made of the real work objects
of ``tests/fixtures/openalex/originals`` (see that folder's PROVENANCE.md)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import FIXTURES
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.main import main
from flows.pipelines.citations import openalex_harvester
from flows.pipelines.openalex_authors import harvest_openalex_authors, tracked_openalex_authors
from harvesters.http.replay import replaying
from models.citations.tables import CitationObservation
from models.provenance import HarvestRun, SourceRecord
from models.queries import add_tracked_author, author_summary

AUTHORS_REC = FIXTURES / "openalex" / "recordings" / "authors"
BY_ID = AUTHORS_REC / "constructed_works_by_author_A5036846358.json"
BY_ORCID = AUTHORS_REC / "constructed_works_by_orcid_0000-0003-4519-864X.json"
NONE_LISTED = AUTHORS_REC / "constructed_works_by_author_A5999999991_none.json"
ZAHRA = "Zahra Shakeri Hossein Abad"
ZAHRA_ID = "A5036846358"
ZAHRA_ORCID = "0000-0003-4519-864X"
UNKNOWN = "A5999999991"
MAILTO = "lab-inbox-never-logged@example.org"
DAY1 = date(2026, 12, 2)
DAY2 = DAY1 + timedelta(days=1)


def listed_works() -> list[dict]:
    """The work objects of the recorded listing, read straight from the file."""
    return json.loads(json.loads(BY_ID.read_text(encoding="utf-8"))["body"])["results"]


def openalex_ids_per_work(session: Session) -> list[set[str]]:
    """The OpenAlex work ids each of Zahra's works holds."""
    found = []
    for work in author_summary(session, ZAHRA).works:
        ids = [f"{k}:{v}" for k, v in work.identifiers.items()] + work.other_identifiers
        found.append({i.removeprefix("openalex:") for i in ids if i.startswith("openalex:")})
    return found


# The listing is one paper three times: the JMIR article and its two preprints (OSF, JMIR).
ONE_PAPER = [{"W3212676313", "W4242624664", "W4243312951"}]


def track(sessions: sessionmaker[Session], name: str, **handles: str) -> None:
    with sessions() as session:
        add_tracked_author(session, name, **handles)
        session.commit()


def harvest(sessions, folder, day, **kwargs):  # type: ignore[no-untyped-def]
    with replaying(folder):
        return harvest_openalex_authors(
            sessions,
            openalex_harvester(replay=True, **kwargs),
            tracked_openalex_authors(sessions),
            today=day,
        )


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table, except the run log (each run adds its own row by design)."""
    meta = MetaData()
    meta.reflect(bind=session.get_bind())
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in meta.tables.items()
        if name not in ("harvest_run", "alembic_version", "metrics_change")
    }


def test_every_listed_work_is_the_tracked_authors_with_its_counts_by_year(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    works = listed_works()
    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)

    summary = harvest(sessions, replay_dir(BY_ID), DAY1)

    assert summary is not None and summary.status == "succeeded", summary
    assert summary.cursor["requests"] == 1 and summary.cursor["works"] == len(works) == 3
    with sessions() as session:
        (held,) = author_summary(session, ZAHRA).works
        assert held.title == works[0]["display_name"]  # the article's, not "... (Preprint)"
        assert held.identifiers["doi"] == "10.2196/28749"  # the journal DOI first
        assert {"doi:10.31219/osf.io/ndp8m", "doi:10.2196/preprints.28749"} <= set(
            held.other_identifiers
        )
        assert openalex_ids_per_work(session) == ONE_PAPER
        rows = session.execute(
            select(SourceRecord.source_id, CitationObservation).join(
                CitationObservation, CitationObservation.source_record_id == SourceRecord.id
            )
        ).all()
        by_id = {source_id: row for source_id, row in rows}
        assert len(by_id) == 3
        for work in works:
            row = by_id[work["id"].removeprefix("https://openalex.org/")]
            assert (row.source, row.observed_on) == ("openalex", DAY1)
            assert row.citation_count == work["cited_by_count"]
            assert row.counts_by_year == {
                str(c["year"]): c["cited_by_count"] for c in work["counts_by_year"]
            }


def test_an_author_with_only_an_orcid_is_followed_by_it(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    track(sessions, ZAHRA, orcid=ZAHRA_ORCID)
    (followed,) = tracked_openalex_authors(sessions)
    assert (followed.scheme, followed.value) == ("orcid", ZAHRA_ORCID)

    summary = harvest(sessions, replay_dir(BY_ORCID), DAY1)

    assert summary is not None and summary.status == "succeeded", summary
    with sessions() as session:
        assert openalex_ids_per_work(session) == ONE_PAPER


def test_the_same_listing_again_adds_only_one_observation_per_work_and_day(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)
    folder = replay_dir(BY_ID)
    harvest(sessions, folder, DAY1)
    with sessions() as session:
        first = row_counts(session)

    again = harvest(sessions, folder, DAY1)
    with sessions() as session:
        assert row_counts(session) == first
    assert again is not None and again.counts["unchanged"] == 3

    harvest(sessions, folder, DAY2)
    with sessions() as session:
        second = row_counts(session)
    assert second.pop("citation_observation") == first.pop("citation_observation") + 3
    assert second == first


def test_an_author_listing_no_work_is_named_and_the_others_still_run(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    track(sessions, "Nobody Listed", openalex_author_id=UNKNOWN)
    only_unknown = harvest(sessions, replay_dir(NONE_LISTED), DAY1)
    assert only_unknown is not None and only_unknown.status == "failed"
    assert f"Nobody Listed: OpenAlex lists no work for author id {UNKNOWN}" in (
        only_unknown.error or ""
    )

    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)
    both = harvest(sessions, replay_dir(BY_ID, NONE_LISTED), DAY1)
    assert both is not None and both.status == "partial", both
    with sessions() as session:
        assert openalex_ids_per_work(session) == ONE_PAPER


def test_a_spent_budget_ends_blocked_and_the_next_run_lists_everything(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    track(sessions, "Aaa First Listed", openalex_author_id=UNKNOWN)
    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)
    folder = replay_dir(BY_ID, NONE_LISTED)

    blocked = harvest(sessions, folder, DAY1, max_requests=1)

    assert blocked is not None and blocked.status == "blocked", blocked
    assert "budget of 1 spent" in (blocked.error or "")
    with sessions() as session:
        assert author_summary(session, ZAHRA).works == []
    resumed = harvest(sessions, folder, DAY1)
    assert resumed is not None and resumed.status == "partial"  # the unknown id stays unknown
    with sessions() as session:
        assert openalex_ids_per_work(session) == ONE_PAPER


def test_the_mailto_reaches_no_log_line_and_no_row(
    sessions: sessionmaker[Session],
    replay_dir: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)

    summary = harvest(sessions, replay_dir(BY_ID), DAY1, mailto=MAILTO)

    assert summary is not None and summary.status == "succeeded"
    assert MAILTO not in caplog.text
    assert MAILTO not in json.dumps(summary.as_dict(), default=str)
    with sessions() as session:
        assert session.get(HarvestRun, summary.run_id).params["polite_pool"] is True
        meta = MetaData()
        meta.reflect(bind=session.get_bind())
        for table in meta.tables.values():
            for row in session.execute(select(table)).all():
                assert MAILTO not in repr(tuple(row)), table.name


@pytest.mark.parametrize(
    ("option", "bad", "says"),
    [
        ("--openalex-id", "W3212676313", "is not an OpenAlex author id"),
        ("--openalex-id", "A12", "is not an OpenAlex author id"),
        ("--openalex-id", "https://example.org/A5036846358", "is not an OpenAlex author id"),
        ("--orcid", "0000-0003-4519-8640", "is not an ORCID iD"),  # wrong check digit
        ("--orcid", "0000-0003-4519", "is not an ORCID iD"),
    ],
)
def test_a_malformed_openalex_id_or_orcid_is_refused(
    tmp_path: Path, option: str, bad: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}"]

    assert main([*db, "authors", "add", ZAHRA, option, bad]) == 2
    err = capsys.readouterr().err
    assert f"{option}: " in err and says in err


def test_cli_add_by_openalex_url_then_harvest_and_list(
    database_url: str, replay_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", database_url]
    url = f"https://openalex.org/{ZAHRA_ID.lower()}"
    orcid_url = f"https://orcid.org/{ZAHRA_ORCID.lower()}"
    assert main([*db, "authors", "add", ZAHRA, "--openalex-id", url, "--orcid", orcid_url]) == 0
    assert main([*db, "authors", "add", "Someone Else", "--openalex-id", ZAHRA_ID]) == 2
    assert f"OpenAlex author id {ZAHRA_ID} is already tracked as '{ZAHRA}'" in (
        capsys.readouterr().err
    )

    code = main([*db, "harvest", "openalex-authors", "--replay", str(replay_dir(BY_ID))])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "openalex/authors: succeeded - fetched 3, inserted 3" in out
    assert main([*db, "authors", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["openalex_author_id"], listed["orcid"]) == (ZAHRA_ID, ZAHRA_ORCID)


def test_cli_harvest_with_no_followed_author_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--database-url", f"sqlite:///{tmp_path / 'cli.db'}"]

    assert main([*db, "harvest", "openalex-authors"]) == 0
    assert "authors add NAME --openalex-id ID" in capsys.readouterr().err + capsys.readouterr().out


@pytest.mark.prefect
@pytest.mark.xdist_group("prefect_harness")
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_follows_openalex_authors_then_merge_citations_metrics(
    database_url: str, replay_dir: Callable[..., Path]
) -> None:
    from flows.prefect.nightly import ALL_SOURCES, nightly
    from flows.runtime import open_database
    from models.metrics.export import summary_rows
    from models.queries import find_author

    assert "openalex-authors" in ALL_SOURCES
    sessions = open_database(database_url)
    track(sessions, ZAHRA, openalex_author_id=ZAHRA_ID)

    state = nightly(
        sources=["openalex-authors"],
        citation_sources=["openalex"],
        replay_dir=str(replay_dir(BY_ID)),
        database_url=database_url,
        return_state=True,
    )

    assert state.is_completed() and state.name == "Completed", state
    results = state.result()
    assert list(results) == ["openalex-authors", "merge", "citations", "metrics"]
    assert [(r["part"], r["status"]) for r in results["openalex-authors"]["runs"]] == [
        ("authors", "succeeded")
    ]
    # The works just listed were counted today: the citation refresh asks nothing about them.
    assert results["citations"]["runs"][0]["cursor"]["works"] == 0
    with sessions() as session:
        (summary,) = summary_rows(session, [find_author(session, ZAHRA).id])
    # One paper: its count is the highest of its three records' (3, 0, 0), never their sum.
    assert summary["works"] == 1
    assert summary["citations"] == max(w["cited_by_count"] for w in listed_works()) == 3
    sessions.kw["bind"].dispose()
