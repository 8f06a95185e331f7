"""Citation look-ups end to end on SQLite and PostgreSQL, from the recorded S2/OpenAlex answers:
versions joined by an S2 record, the count rule (no sum), one observation per work, source and
day, the lookup-age cursor, a blocked run that the next one continues, and secrets kept out."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from citation_records import versions
from conftest import FIXTURES
from sqlalchemy import MetaData, func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.citations import harvest_citations, openalex_harvester, s2_harvester
from harvesters.http.replay import replaying
from harvesters.records import WorkRecord
from models.citations.rule import work_citations, work_counts_by_year
from models.citations.tables import CitationLookup, CitationObservation
from models.loader import load_batch
from models.provenance import HarvestRun
from models.works import Work, WorkIdentifier

S2_REC = FIXTURES / "s2" / "recordings"
OA_REC = FIXTURES / "openalex" / "recordings"
DAY1 = date(2026, 12, 2)
DAY2 = DAY1 + timedelta(days=1)
PAPER = "79c6278423c07915ae5ec409b0110d15c45bef8c"  # S2: ArXiv 2401.08572 + DOI 10.1145/3613904...
KEY = "s2-SECRET-key-0123456789abcdef"
MAILTO = "secret-lab-inbox@example.org"


def load(sessions: sessionmaker[Session], records: list[WorkRecord]) -> None:
    with sessions() as session:
        load_batch(session, records, None)
        session.commit()


def row_counts(session: Session) -> dict[str, int]:
    """Rows per table, except the run log (each run adds its own row by design)."""
    meta = MetaData()
    meta.reflect(bind=session.get_bind())
    return {
        name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in meta.tables.items()
        if name not in ("harvest_run", "alembic_version", "metrics_change")
    }


def s2(sessions, folder, day, max_age_days=7, **kwargs):  # type: ignore[no-untyped-def]
    with replaying(folder):
        return harvest_citations(
            sessions, s2_harvester(replay=True, **kwargs), today=day, max_age_days=max_age_days
        )


def test_preprint_and_published_version_become_one_work_and_count_once(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, versions())
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(Work)).scalar_one() == 2

    summary = s2(sessions, S2_REC / "versions", DAY1)
    assert summary.status == "succeeded"
    assert summary.cursor["requests"] == 1 and summary.cursor["asked"] == 2
    assert summary.cursor["found"] == 2 and summary.cursor["observations"] == 1
    with sessions() as session:
        works = session.scalars(select(Work)).all()
        assert len(works) == 1
        ids = dict(
            session.execute(
                select(WorkIdentifier.scheme, WorkIdentifier.value).where(
                    WorkIdentifier.work_id == works[0].id
                )
            ).all()
        )
        assert ids["arxiv"] == "2401.08572" and ids["doi"] == "10.1145/3613904.3642703"
        assert ids["s2"] == PAPER
        # S2 answered both ids with one paper: one record, one observation, a count of 2
        # (not 2 + 2 for the two asked ids, nor + Scholar's 5).
        citations = work_citations(session, [works[0].id], today=DAY1)
        assert citations[works[0].id] == (2, "s2", DAY1, ())
        assert (
            session.execute(select(func.count()).select_from(CitationObservation)).scalar_one() == 1
        )
        before = row_counts(session)

    # Same day again: every work is fresh, nothing is asked, nothing changes.
    again = s2(sessions, S2_REC / "versions", DAY1)
    assert again.status == "succeeded" and again.cursor["requests"] == 0
    # Same day, forced (max age 0): the merged work is asked again by an id S2
    # answered (the same request each time); no new rows.
    forced = s2(sessions, S2_REC / "versions", DAY1, max_age_days=0)
    assert forced.cursor["requests"] == 1 and forced.counts["unchanged"] == 1
    with sessions() as session:
        assert row_counts(session) == before

    # A later day adds exactly one observation for the work and source.
    later = s2(sessions, S2_REC / "versions", DAY2, max_age_days=1)
    assert later.cursor["requests"] == 1 and later.cursor["observations"] == 1
    with sessions() as session:
        after = row_counts(session)
        assert after["citation_observation"] == before["citation_observation"] + 1
        assert {k: v for k, v in after.items() if k != "citation_observation"} == {
            k: v for k, v in before.items() if k != "citation_observation"
        }
        work_id = session.scalars(select(Work.id)).one()
        assert work_citations(session, [work_id], today=DAY2)[work_id] == (2, "s2", DAY2, ())


def test_openalex_observations_carry_counts_by_year_and_unknown_dois_are_remembered(
    sessions: sessionmaker[Session],
) -> None:
    dois = [
        "10.4081/gh.2014.294",
        "10.30773/pi.2018.08.27",
        "10.1007/s11634-015-0211-0",
        "10.9999/constructed.unknown",
    ]
    load(
        sessions,
        [
            WorkRecord(
                source="scholar",
                source_id=f"CONSTRUCTEDxx:{i}",
                title=f"constructed work number {i} with a distinct title",
                raw=f'{{"constructed": {i}}}',
                raw_format="json",
                identifiers={"doi": doi},
            )
            for i, doi in enumerate(dois)
        ],
    )
    with replaying(OA_REC / "dois"):
        summary = harvest_citations(sessions, openalex_harvester(replay=True), today=DAY1)
    assert summary.status == "succeeded"
    assert summary.cursor == {
        "works": 4,
        "asked": 4,
        "found": 3,
        "not_found": 1,
        "observations": 3,
        "requests": 1,
    }
    with sessions() as session:
        work_id = session.scalars(
            select(WorkIdentifier.work_id).where(WorkIdentifier.value == "10.4081/gh.2014.294")
        ).one()
        assert work_citations(session, [work_id], today=DAY1)[work_id] == (8, "openalex", DAY1, ())
        by_year = session.scalars(
            select(CitationObservation.counts_by_year).where(
                CitationObservation.citation_count == 8
            )
        ).one()
        assert by_year == {"2016": 1, "2018": 2, "2019": 3, "2020": 1, "2022": 1}
        assert work_counts_by_year(session, [work_id])[work_id] == (
            "openalex",
            DAY1,
            {2016: 1, 2018: 2, 2019: 3, 2020: 1, 2022: 1},
        )
        unknown = session.scalars(
            select(CitationLookup).where(CitationLookup.value == "10.9999/constructed.unknown")
        ).one()
        assert unknown.found is False and unknown.looked_up_on == DAY1
    # The unknown DOI is not asked again the same day: a second run sends nothing.
    with replaying(OA_REC / "dois"):
        again = harvest_citations(sessions, openalex_harvester(replay=True), today=DAY1)
    assert again.cursor["requests"] == 0 and again.cursor["works"] == 0


def test_a_persistent_429_blocks_the_run_and_the_next_run_continues(
    sessions: sessionmaker[Session], replay_dir
) -> None:  # type: ignore[no-untyped-def]
    load(sessions, versions()[1:])
    only_429 = replay_dir(S2_REC / "rate_limited" / "constructed_batch_429_1.json")
    blocked = s2(sessions, only_429, DAY1)
    assert blocked.status == "blocked" and "429" in (blocked.error or "")
    with sessions() as session:
        assert session.execute(select(func.count()).select_from(CitationLookup)).scalar_one() == 0
    resumed = s2(sessions, S2_REC / "rate_limited", DAY1)
    assert resumed.status == "succeeded" and resumed.cursor["found"] == 1


def test_a_spent_request_budget_blocks_and_keeps_what_was_fetched(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, versions())
    blocked = s2(sessions, S2_REC / "versions", DAY1, max_requests=0)
    assert blocked.status == "blocked" and blocked.cursor["requests"] == 0
    with sessions() as session:
        assert (
            session.execute(select(func.count()).select_from(CitationObservation)).scalar_one() == 0
        )


def test_no_key_or_mailto_in_logs_rows_or_summaries(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    load(sessions, versions())
    with replaying(S2_REC / "versions"):
        one = harvest_citations(sessions, s2_harvester(api_key=KEY, replay=True), today=DAY1)
    with replaying(OA_REC / "dois"):
        two = harvest_citations(
            sessions, openalex_harvester(mailto=MAILTO, replay=True), today=DAY1
        )
    assert one.status == two.status == "succeeded" and one.cursor["found"] == 2
    with sessions() as session:
        meta = MetaData()
        meta.reflect(bind=session.get_bind())
        dump = " ".join(
            str(row) for table in meta.sorted_tables for row in session.execute(select(table))
        )
        runs = session.scalars(select(HarvestRun.params)).all()
    assert dump and KEY not in dump and MAILTO not in dump
    assert all(p["authenticated"] is True for p in runs)
    assert KEY not in caplog.text and MAILTO not in caplog.text
    assert KEY not in str(one.as_dict()) and MAILTO not in str(two.as_dict())
