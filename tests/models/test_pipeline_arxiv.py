"""arXiv harvests end to end into the schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import ARXIV_RECORDINGS
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.cli.demo_sources import harvest_recordings
from flows.pipelines.arxiv import (
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
    window_key,
)
from flows.runtime import arxiv_api_harvester, arxiv_oai_harvester
from harvesters.errors import SourceHTTPError
from harvesters.http.replay import NoRecordingError, replaying
from models import (
    Author,
    Authorship,
    HarvestCursor,
    HarvestRun,
    SourceRecord,
    Work,
    WorkIdentifier,
)

IDS = ["1605.08386", "2104.12255v1", "astro-ph/0601001", "hep-ex/0406020v1", "1707.08567"]


def harvest_everything(sessions: sessionmaker[Session]) -> list[dict[str, int]]:
    """Every recorded arXiv source once, as the demo harvests them."""
    summaries = harvest_recordings(sessions)
    assert all(s.status == "succeeded" for s in summaries)
    return [s.counts for s in summaries]


def distinct(session: Session, *columns) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(select(*columns).distinct().subquery()))


def count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_records_reach_canonical_works_with_their_fields(sessions) -> None:
    harvest_everything(sessions)
    with sessions() as s:
        work = s.scalar(
            select(Work)
            .join(WorkIdentifier)
            .where(WorkIdentifier.scheme == "arxiv", WorkIdentifier.value == "cond-mat/0603029")
        )
        assert work is not None
        assert work.year == 2006
        assert work.journal_ref == "Phys. Rev. B 74, 024520 (2006)"
        assert {i.scheme: i.value for i in work.identifiers} == {
            "arxiv": "cond-mat/0603029",
            "doi": "10.1103/physrevb.74.024520",
        }
        names = s.scalars(
            select(Author.display_name)
            .join(Authorship)
            .where(Authorship.work_id == work.id)
            .order_by(Authorship.position)
        ).all()
        assert names == ["Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev"]
        raw = s.scalar(select(SourceRecord.payload).where(SourceRecord.source_id == "1412.8323"))
        assert raw is not None and "<keyname>Hoehn</keyname>" in raw


def test_second_harvest_changes_nothing_and_counts_equal_distinct_keys(sessions) -> None:
    first = harvest_everything(sessions)
    assert sum(c["inserted"] for c in first) == 10 + 5 + 5 + 3
    second = harvest_everything(sessions)
    assert all(c["inserted"] == 0 and c["updated"] == 0 for c in second)
    assert sum(c["unchanged"] for c in second) == 23
    with sessions() as s:
        assert count(s, SourceRecord) == distinct(s, SourceRecord.source, SourceRecord.source_id)
        assert count(s, SourceRecord) == 23
        assert count(s, WorkIdentifier) == distinct(s, WorkIdentifier.scheme, WorkIdentifier.value)
        arxiv_ids = s.scalar(
            select(func.count(func.distinct(WorkIdentifier.value))).where(
                WorkIdentifier.scheme == "arxiv"
            )
        )
        assert count(s, Work) == arxiv_ids == 23
        assert count(s, Authorship) == distinct(s, Authorship.work_id, Authorship.position)
        runs = s.scalars(select(HarvestRun).order_by(HarvestRun.id)).all()
        assert [r.status for r in runs] == ["succeeded"] * 8


def test_a_changed_payload_is_an_update(sessions, replay_dir, tmp_path) -> None:
    import json

    api = arxiv_api_harvester(replay=True)
    with replaying(ARXIV_RECORDINGS):
        harvest_arxiv_ids(sessions, api, ["1605.08386"])
    original = ARXIV_RECORDINGS / "id_1605.08386_s0_m100_199195aa31ad.json"
    changed = json.loads(original.read_text())
    changed["body"] = changed["body"].replace(
        "<title>Heat-bath random walks with Markov bases</title>",
        "<title>Heat-bath random walks with Markov bases (revised)</title>",
    )
    folder = tmp_path / "changed"
    folder.mkdir()
    (folder / "constructed_changed_title_1605.08386.json").write_text(json.dumps(changed))
    with replaying(folder):
        summary = harvest_arxiv_ids(sessions, arxiv_api_harvester(replay=True), ["1605.08386"])
    assert summary.counts["updated"] == 1 and summary.counts["inserted"] == 0
    with sessions() as s:
        assert s.scalar(select(Work.title)) == "Heat-bath random walks with Markov bases (revised)"
        assert count(s, Work) == 1


def test_failed_run_is_recorded_and_keeps_what_was_stored(sessions) -> None:
    api = arxiv_api_harvester(replay=True)
    with replaying(ARXIV_RECORDINGS), pytest.raises(SourceHTTPError):
        harvest_arxiv_ids(sessions, api, ["1605.08386"])  # stored
        harvest_arxiv_ids(sessions, api, ["abc"])  # the recorded 400 error feed
    with sessions() as s:
        runs = s.scalars(select(HarvestRun).order_by(HarvestRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "failed"]
        assert "incorrect id format for abc" in (runs[1].error or "")
        assert runs[1].finished_at is not None
        assert count(s, SourceRecord) == 1


def window(sessions, **kwargs):  # type: ignore[no-untyped-def]
    return harvest_arxiv_window(
        sessions,
        arxiv_oai_harvester(replay=True),
        set_spec="physics:hep-th",
        since=date(2017, 12, 1),
        until=date(2017, 12, 14),
        **kwargs,
    )


def snapshot(sessions: sessionmaker[Session]) -> dict[str, object]:
    with sessions() as s:
        return {
            "records": sorted(
                s.execute(
                    select(SourceRecord.source, SourceRecord.source_id, SourceRecord.content_hash)
                ).all()
            ),
            "works": sorted(
                s.execute(
                    select(WorkIdentifier.value, Work.title, Work.year, Work.abstract).join(Work)
                ).all()
            ),
            "authorships": sorted(
                s.execute(
                    select(WorkIdentifier.value, Authorship.position, Author.display_name)
                    .join(Work, Work.id == WorkIdentifier.work_id)
                    .join(Authorship, Authorship.work_id == Work.id)
                    .join(Author, Author.id == Authorship.author_id)
                ).all()
            ),
            "cursors": sorted(
                s.execute(select(HarvestCursor.key, HarvestCursor.value)).all(), key=str
            ),
        }


def test_backfill_stopped_after_page_one_resumes_from_the_stored_token(
    sessions, engine, tmp_path
) -> None:
    from models.base import Base
    from models.engine import make_engine, session_factory

    key = window_key("arXiv", "physics:hep-th", date(2017, 12, 1), date(2017, 12, 14))
    with replaying(ARXIV_RECORDINGS) as recordings:
        first = window(sessions, max_pages=1)
        assert first.counts["inserted"] == 2
        with sessions() as s:
            stored = s.scalar(select(HarvestCursor.value).where(HarvestCursor.key == key))
            assert stored is not None and stored["resumption_token"] == "constructed|2"
        second = window(sessions)
        assert second.counts["inserted"] == 1
        assert second.counts["fetched"] == 1  # page 1 was not fetched again
        assert not [p for p in recordings.unused() if "split" in p.name]

    other = make_engine(f"sqlite:///{tmp_path / 'uninterrupted.db'}")
    Base.metadata.create_all(other)
    uninterrupted = session_factory(other)
    with replaying(ARXIV_RECORDINGS):
        whole = window(uninterrupted)
    assert whole.counts["inserted"] == 3
    assert snapshot(sessions) == snapshot(uninterrupted)


def test_backfill_killed_mid_window_resumes_after_the_last_committed_page(
    sessions, replay_dir
) -> None:
    # Only page 1 is recorded: fetching page 2 fails as a dropped connection would.
    from conftest import ARXIV_RECORDINGS as REC

    folder = replay_dir(REC / "constructed_split_oai_arXiv_hep-th_page1.json")
    with replaying(folder), pytest.raises(NoRecordingError):
        window(sessions)
    with sessions() as s:
        run = s.scalar(select(HarvestRun))
        assert run is not None and run.status == "failed" and run.inserted == 2
    with replaying(ARXIV_RECORDINGS):
        resumed = window(sessions)
    assert resumed.counts["inserted"] == 1
    with sessions() as s:
        assert count(s, SourceRecord) == 3


def test_a_window_without_since_starts_at_the_stored_datestamp_else_yesterday(
    sessions, tmp_path
) -> None:
    from flows.pipelines.arxiv import default_window

    empty = tmp_path / "empty"
    empty.mkdir()
    with replaying(empty), pytest.raises(NoRecordingError) as info:
        harvest_arxiv_window(
            sessions, arxiv_oai_harvester(replay=True), set_spec="cs", since=None, until=None
        )
    assert f"from={default_window()[0].isoformat()}" in info.value.url
    with replaying(ARXIV_RECORDINGS):
        harvest_arxiv_window(
            sessions,
            arxiv_oai_harvester(replay=True),
            set_spec="physics:hep-th",
            since=date(2017, 12, 14),
            until=None,
        )
    with replaying(empty), pytest.raises(NoRecordingError) as info:
        harvest_arxiv_window(
            sessions,
            arxiv_oai_harvester(replay=True),
            set_spec="physics:hep-th",
            since=None,
            until=None,
        )
    assert "from=2017-12-14" in info.value.url


def test_tracked_author_results_are_attributed_to_the_tracked_author(sessions) -> None:
    from flows.runtime import tracked_author_queries
    from models.queries import add_tracked_author

    with sessions() as s:
        tracked = add_tracked_author(
            s, "Adrian Del Maestro", arxiv_query="au:del_maestro AND ti:checkerboard"
        )
        s.commit()
    (query,) = tracked_author_queries(sessions)
    assert query.tracked_id == tracked.id
    api = arxiv_api_harvester(replay=True, page_size=10)
    with replaying(ARXIV_RECORDINGS):  # recorded with relevance order
        harvest_arxiv_authors(sessions, api, [query], sort="relevance")
    with sessions() as s:
        first = s.scalar(
            select(Authorship)
            .join(WorkIdentifier, WorkIdentifier.work_id == Authorship.work_id)
            .where(WorkIdentifier.value == "cond-mat/0603029", Authorship.position == 0)
        )
        assert first is not None and first.author_id == tracked.author_id
