"""The GitHub write path on SQLite and PostgreSQL: renames, merges, snapshots, gone."""

from __future__ import annotations

import dataclasses

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.github.harvester import RepositoryRecord
from models.github import store
from models.github.queries import star_history
from models.github.tables import GitHubRepository, GitHubRepositorySnapshot, GitHubWorkRepository
from models.runs import start_run

RECORD = RepositoryRecord(
    full_name="PyGithub/PyGithub",
    raw='{"id": 3544490}',
    raw_format="rest-json",
    via="rest",
    github_id=3544490,
    stars=7122,
    forks=1795,
    open_issues=354,
)


def new_run(session: Session) -> int:
    return start_run(session, "github", "repositories", {}).id


def test_rename_keeps_history_on_one_row_and_the_old_name_as_alias(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        old = dataclasses.replace(
            RECORD, full_name="jacquev6/PyGithub", stars=10, raw='{"id": 3544490, "s": 10}'
        )
        store.store_records(session, new_run(session), [old])
        renamed = dataclasses.replace(RECORD, requested_name="jacquev6/PyGithub")
        counts, _ = store.store_records(session, new_run(session), [renamed])
        session.commit()
        assert counts.updated == 1
        (row,) = session.scalars(select(GitHubRepository)).all()
        assert row.full_name == "PyGithub/PyGithub"
        assert store.find_repository(session, "JACQUEV6/pygithub") is row
        assert [s for _, s in star_history(session, "jacquev6/PyGithub")] == [10, 7122]


def test_two_rows_that_turn_out_to_be_one_repository_are_merged(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        from models.works import Work

        work = Work(title="w", match_key="w", canonical_source="test", categories=[])
        session.add(work)
        session.flush()
        store.link_works(
            session,
            [
                (work.id, "jacquev6/PyGithub", "https://github.com/jacquev6/PyGithub"),
                (work.id, "PyGithub/PyGithub", "https://github.com/PyGithub/PyGithub"),
            ],
            source="work_link",
        )
        assert session.scalar(select(func.count()).select_from(GitHubRepository)) == 2
        renamed = dataclasses.replace(RECORD, requested_name="jacquev6/PyGithub")
        store.store_records(session, new_run(session), [renamed])
        session.commit()
        (row,) = session.scalars(select(GitHubRepository)).all()
        assert row.github_id == 3544490
        assert session.scalars(select(GitHubWorkRepository.repository_id)).all() == [row.id]


def test_one_snapshot_per_repository_per_run_even_when_reported_twice(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        run_id = new_run(session)
        store.store_records(session, run_id, [RECORD, dataclasses.replace(RECORD, stars=7200)])
        carried, _ = store.store_unchanged(session, run_id, ["PyGithub/PyGithub"], via="rest")
        session.commit()
        assert carried == 1
        assert session.scalars(select(GitHubRepositorySnapshot.stars)).all() == [7122]


def test_gone_repository_keeps_its_row_and_history(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        store.store_records(session, new_run(session), [RECORD])
        run_id = new_run(session)
        assert store.mark_gone(session, run_id, ["PyGithub/PyGithub"], "HTTP 404") == 1
        assert store.mark_gone(session, run_id, ["PyGithub/PyGithub"], "HTTP 404") == 0
        session.commit()
        row = session.scalars(select(GitHubRepository)).one()
        assert row.status == "gone" and row.stars == 7122
        assert store.refresh_targets(session) == []
        assert [t.id for t in store.refresh_targets(session, include_gone=True)] == [row.id]
        assert session.scalar(select(func.count()).select_from(GitHubRepositorySnapshot)) == 1
