"""The documented citation rule on SQLite and PostgreSQL: one value per source (the latest day,
the maximum over that source's records of the work, never a sum), the first fresh source in
precedence order for the metrics, the others kept beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.citations import CitationObservation as Observed
from harvesters.records import WorkRecord
from models.citations.rule import CITATION_PRECEDENCE, SourceCount, work_citations
from models.citations.store import store_observations
from models.loader import load_batch
from models.scholar.store import record_observations
from models.works import WorkIdentifier

TODAY = date(2026, 12, 2)
DOI = "10.1145/3613904.3642703"


def record(source: str, source_id: str, **ids: str) -> WorkRecord:
    """constructed: a minimal record of one source for the work with ``DOI``."""
    return WorkRecord(
        source=source,
        source_id=source_id,
        title="The illusion of artificial inclusion",
        raw=f"constructed {source} {source_id}",
        raw_format="text",
        identifiers=ids,
        year=2024,
    )


def seen(source: str, source_id: str, count: int, day: date) -> Observed:
    return Observed(source, source_id, {}, count, day)


def test_the_first_fresh_source_wins_and_duplicates_are_never_summed(
    sessions: sessionmaker[Session],
) -> None:
    assert CITATION_PRECEDENCE == ("s2", "openalex", "scholar")
    with sessions() as session:
        load_batch(
            session,
            [
                record("s2", "S2PAPER", doi=DOI, s2="S2PAPER"),
                record("openalex", "W1", doi=DOI, openalex="W1"),
                # One paper on two Scholar profiles: two records of one source and work.
                record("scholar", "profA:pub1", doi=DOI, scholar_pub="profA:pub1"),
                record("scholar", "profB:pub9", doi=DOI, scholar_pub="profB:pub9"),
            ],
            None,
        )
        stale = TODAY - timedelta(days=40)
        store_observations(
            session,
            [
                seen("s2", "S2PAPER", 30, stale - timedelta(days=1)),
                seen("s2", "S2PAPER", 31, stale),
                seen("openalex", "W1", 25, TODAY - timedelta(days=3)),
            ],
            run_id=None,
        )
        at = datetime(2026, 12, 1, 12, tzinfo=UTC)
        record_observations(
            session,
            "publication",
            {"profA:pub1": {"num_citations": 7}, "profB:pub9": {"num_citations": 9}},
            observed_at=at,
            origin="harvest",
            run_id=None,
        )
        session.commit()
        work_id = session.scalars(
            select(WorkIdentifier.work_id).where(WorkIdentifier.value == DOI)
        ).one()
        result = work_citations(session, [work_id], today=TODAY)[work_id]
        # S2's value is 40 days old: OpenAlex, fresh, is used; Scholar's is the larger of its
        # two profiles' counts (9), not 7 + 9.
        assert result == (
            25,
            "openalex",
            TODAY - timedelta(days=3),
            (SourceCount("s2", 31, stale), SourceCount("scholar", 9, date(2026, 12, 1))),
        )
        # With S2 fresh it wins, whatever the other counts are.
        store_observations(session, [seen("s2", "S2PAPER", 33, TODAY)], run_id=None)
        fresh = work_citations(session, [work_id], today=TODAY)[work_id]
        assert (fresh.count, fresh.source, fresh.observed_on) == (33, "s2", TODAY)
        assert fresh.count not in (33 + 25, 33 + 25 + 9)
        # Nothing fresh at all: the most recent value, whatever its source.
        later = work_citations(session, [work_id], today=TODAY + timedelta(days=365))[work_id]
        assert (later.count, later.source) == (33, "s2")
        assert work_citations(session, [work_id + 1000], today=TODAY) == {}


def test_a_second_observation_the_same_day_replaces_it(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        load_batch(session, [record("s2", "S2PAPER", doi=DOI, s2="S2PAPER")], None)
        assert store_observations(session, [seen("s2", "S2PAPER", 1, TODAY)], run_id=None) == (1, 0)
        assert store_observations(session, [seen("s2", "S2PAPER", 2, TODAY)], run_id=None) == (0, 1)
        assert store_observations(
            session, [seen("s2", "S2PAPER", 3, TODAY + timedelta(days=1))], run_id=None
        ) == (1, 0)
        session.commit()
        work_id = session.scalars(select(WorkIdentifier.work_id)).first()
        assert work_citations(session, [work_id], today=TODAY)[work_id].count == 3


def test_the_metrics_take_the_count_the_rule_chooses(sessions: sessionmaker[Session]) -> None:
    from models.metrics.citations import citation_counts

    with sessions() as session:
        load_batch(
            session,
            [
                record("s2", "S2PAPER", doi=DOI, s2="S2PAPER"),
                record("openalex", "W1", doi=DOI, openalex="W1"),
            ],
            None,
        )
        stale = TODAY - timedelta(days=40)
        store_observations(
            session,
            [
                seen("s2", "S2PAPER", 31, stale),
                seen("openalex", "W1", 25, TODAY - timedelta(days=3)),
            ],
            run_id=None,
        )
        session.commit()
        (work_id,) = set(session.scalars(select(WorkIdentifier.work_id)))
        rule = work_citations(session, [work_id], today=TODAY)[work_id]
        used = citation_counts(session, [work_id], today=TODAY)[work_id]
        # The same choice as the rule: OpenAlex (S2 is stale, 40 days old), never 25 + 31;
        # S2's value kept beside it. Once S2 is fresh, S2.
        assert (used.count, used.source, used.observed_on) == (
            rule.count,
            rule.source,
            rule.observed_on,
        )
        assert (used.count, used.source) == (25, "openalex")
        assert [(o.source, o.count) for o in used.others] == [("s2", 31)]
        store_observations(session, [seen("s2", "S2PAPER", 33, TODAY)], run_id=None)
        fresh = citation_counts(session, [work_id], today=TODAY)[work_id]
        assert (fresh.count, fresh.source) == (33, "s2")
