"""Scholar observations (one per subject, metric and day) and how Scholar publications reach
canonical works (eprint link, then title and year), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import ARXIV_RECORDINGS
from sqlalchemy import func, select

from flows.pipelines.arxiv import harvest_arxiv_ids
from flows.runtime import arxiv_api_harvester
from harvesters.http.replay import replaying
from harvesters.scholar.harvester import ScholarPublication
from models.loader import load_batch
from models.scholar.store import record_observations
from models.scholar.tables import ScholarObservation
from models.works import Work, WorkIdentifier

MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
EVENING = datetime(2026, 11, 20, 22, 0, tzinfo=UTC)
NEXT_DAY = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_one_observation_per_subject_metric_and_day(sessions) -> None:
    def observe(when: datetime, citedby: int) -> None:
        with sessions() as session:
            record_observations(
                session,
                "profile",
                {"8daWuo4AAAAJ": {"citedby": citedby, "hindex": 17}},
                observed_at=when,
                origin="harvest",
                run_id=None,
            )
            session.commit()

    observe(MORNING, 1338)
    observe(EVENING, 1340)  # same day: the day's value is updated, no row added
    observe(NEXT_DAY, 1341)  # a later day: history grows

    with sessions() as session:
        rows = session.execute(
            select(
                ScholarObservation.metric, ScholarObservation.observed_on, ScholarObservation.value
            ).order_by(ScholarObservation.observed_on, ScholarObservation.metric)
        ).all()
    assert [(m, d.isoformat(), v) for m, d, v in rows] == [
        ("citedby", "2026-11-20", 1340),
        ("hindex", "2026-11-20", 17),
        ("citedby", "2026-11-21", 1341),
        ("hindex", "2026-11-21", 17),
    ]


def _scholar(pub_id: str, title: str, year: int, **links: str) -> ScholarPublication:
    payload = {
        "container_type": "Publication",
        "bib": {"title": title, "pub_year": str(year)},
        "author_pub_id": pub_id,
        "num_citations": 3,
        **links,
    }
    return ScholarPublication(pub_id.split(":")[0], 0, payload)


def test_scholar_publications_reach_the_arxiv_work(sessions) -> None:
    with replaying(ARXIV_RECORDINGS):
        harvest_arxiv_ids(sessions, arxiv_api_harvester(replay=True), ["1605.08386"])
    with sessions() as session:
        work = session.scalars(select(Work)).one()
        title, year = work.title, work.year
    assert year is not None

    by_eprint = _scholar(
        "u1:a", "a title cut short …", year, eprint_url="https://arxiv.org/abs/1605.08386"
    )
    by_title = _scholar("u2:b", title.upper(), year + 1)
    too_late = _scholar("u3:c", title, year + 3)
    with sessions() as session:
        load_batch(session, [p.work_record() for p in (by_eprint, by_title, too_late)], None)
        session.commit()
        ids = dict(session.execute(select(WorkIdentifier.value, WorkIdentifier.work_id)).all())
        works = session.scalar(select(func.count()).select_from(Work))

    assert ids["u1:a"] == ids["1605.08386"] == work.id
    assert ids["u2:b"] == work.id  # same title, year within one (another profile's entry)
    assert ids["u3:c"] != work.id  # three years apart: left apart
    assert works == 2

    # A second entry of the same profile is another work of that profile: never merged by
    # title into a work that already carries one of its entries.
    with sessions() as session:
        load_batch(session, [_scholar("u1:z", title, year).work_record()], None)
        session.commit()
        ids = dict(session.execute(select(WorkIdentifier.value, WorkIdentifier.work_id)).all())
    assert ids["u1:z"] not in (work.id, ids["u3:c"])
